/**
 * Configuration from the environment, parsed once at start with zod. `loadConfig(env)` takes the
 * env as a parameter so tests and the benchmark build configs without touching process.env.
 */
import { z } from 'zod';

const intFrom = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const csv = z
  .string()
  .default('')
  .transform((s) =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean),
  );

/** `host:port` (or `[ipv6]:port`), comma-separated: a few nodes of a Redis Cluster. */
const NODE = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9_.-]+)):(\d{1,5})$/;
const clusterNodes = z
  .string()
  .transform((s) => s.split(',').map((x) => x.trim()))
  .refine((list) => list.every((n) => NODE.test(n) && Number(NODE.exec(n)![3]) >= 1 && Number(NODE.exec(n)![3]) <= 65535), {
    message: 'a comma-separated list of host:port, e.g. 10.0.0.1:7000,10.0.0.2:7000',
  })
  .transform((list) => list.map((n) => {
    const [, v6, host, port] = NODE.exec(n)!;
    return { host: (v6 ?? host)!, port: Number(port) };
  }));

const schema = z
  .object({
    ROLE: z.enum(['all', 'web', 'worker']).default('all'),
    SLACK_BOT_TOKEN: z.string().regex(/^xox[bp]-/, 'a bot token starting with xoxb-'),
    SLACK_SIGNING_SECRET: z.string().min(1).optional(),
    SLACK_APP_TOKEN: z.string().regex(/^xapp-/, 'an app-level token starting with xapp-').optional(),
    SLACK_API_URL: z.url().default('https://slack.com/api/'),
    PORT: intFrom(0, 65535).default(3000),
    REDIS_URL: z.string().regex(/^rediss?:\/\//, 'a redis:// or rediss:// URL').default('redis://127.0.0.1:6379'),
    /** A Redis Cluster instead: a few of its nodes. Wins over REDIS_URL. */
    REDIS_CLUSTER_NODES: clusterNodes.optional(),
    /** Prefix of every Redis key, BullMQ's included: lets several bots (or test runs) share a Redis. */
    REDIS_PREFIX: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, . _ -').default('switchyard'),
    PLATFORM: z.enum(['simulated', 'kubernetes']).default('simulated'),
    /**
     * Kubernetes: how long a rollout may take before it counts as failed. Above the 600 s default
     * progressDeadlineSeconds (plus a minute for the controller to notice and a poll to see it), so
     * a stuck rollout is reported with Kubernetes's verdict, ProgressDeadlineExceeded.
     */
    K8S_ROLLOUT_TIMEOUT_MS: intFrom(1000, 3_600_000).default(660_000),
    /** Kubernetes: how often a rollout's status is read while waiting. */
    K8S_POLL_MS: intFrom(10, 60_000).default(1000),
    SWITCHYARD_CONFIG: z.string().optional(),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    SIM_LATENCY_MS: intFrom(0, 600_000).default(1500),
    SIM_FAIL_COMPONENTS: csv,
    /** Tasks one worker process runs at once. */
    WORKER_CONCURRENCY: intFrom(1, 256).default(8),
    /** BullMQ lock on a running job; a killed worker's job returns after it lapses. */
    JOB_LOCK_MS: intFrom(1000, 600_000).default(30_000),
    JOB_STALLED_INTERVAL_MS: intFrom(500, 600_000).default(30_000),
    /** Card edits for one task are coalesced to at most one per this many ms. */
    CARD_COALESCE_MS: intFrom(0, 60_000).default(1000),
    /** Slack Web API calls per second, across all workers (the slack queue's limiter). */
    SLACK_CALLS_PER_SEC: intFrom(1, 100).default(4),
    /** HTTP API requests per minute per token, unless its policy entry sets `rateLimit`. */
    API_RATE_LIMIT: intFrom(1, 100_000).default(120),
    /** Webhook deliveries retry 8 times, waiting this long, then doubling (1 s: about 2 minutes in all). */
    WEBHOOK_BACKOFF_MS: intFrom(1, 600_000).default(1000),
  });

export type Config = z.infer<typeof schema>;

/** Values never repeated in an error: tokens, secrets, and URLs that may hold a password. */
const SECRET = /^SLACK_|^REDIS_URL$/;

export class ConfigError extends Error {}

/** Parse and validate; throws ConfigError naming each bad variable (secrets are never echoed). */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // Treat empty and blank strings as unset: docker-compose passes `${VAR:-}` through as "".
  const cleaned = Object.fromEntries(
    Object.entries(env).flatMap(([k, v]) => (v === undefined || v.trim() === '' ? [] : [[k, v.trim()]])),
  );
  const parsed = schema.safeParse(cleaned);
  const lines = parsed.success
    ? []
    : parsed.error.issues.map((i) => {
        const name = String(i.path[0] ?? 'config');
        const value = cleaned[name];
        if (value === undefined) return `${name} is required`;
        return `${name} expects ${i.message}${SECRET.test(name) ? '' : ` (got "${value.slice(0, 40)}")`}`;
      });
  // Checked on the raw env so it is reported together with any other problem.
  if ((cleaned.ROLE ?? 'all') !== 'worker' && !cleaned.SLACK_APP_TOKEN && !cleaned.SLACK_SIGNING_SECRET) {
    lines.push('SLACK_SIGNING_SECRET is required in HTTP mode (or set SLACK_APP_TOKEN for Socket Mode)');
  }
  if (parsed.success && lines.length === 0) return parsed.data;
  throw new ConfigError(`Invalid configuration: ${lines.join('; ')}`);
}
