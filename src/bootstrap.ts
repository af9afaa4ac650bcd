/**
 * Composition root: connect, build the stores, ports and operations, and start by ROLE — web
 * (Slack requests in), worker (release work and Slack calls out) or all (both, the default).
 * `start()` is what main.ts, the sandbox, the tests and the benchmark run; it never reads
 * process.env (config comes in) and never exits the process.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebClient } from '@slack/web-api';
import { pino, type Logger } from 'pino';
import { ConfigError, type Config } from './config.js';
import { JobQueues } from './jobs/queues.js';
import { BullRunQueue } from './jobs/run-queue.js';
import type { JobHandlers, WorkerHost } from './jobs/worker-host.js';
import { Metrics } from './http/metrics.js';
import { probeRoutes } from './http/routes.js';
import { close, listen } from './http/server.js';
import { prometheusStandin, STANDIN_PATH } from './platform/simulated/prometheus-standin.js';
import { SimulatedPlatform } from './platform/simulated/simulated-platform.js';
import { loadPolicyFile, policyWarnings } from './policy/policy-file.js';
import { Policy } from './policy/policy.js';
import type { SlackIdentity } from './slack/app.js';
import { slackLogger } from './slack/logger.js';
import { QueueNotifier } from './slack/notifier.js';
import { AuditLog } from './store/audit-log.js';
import { CardStore } from './store/card-store.js';
import { HomeOpeners } from './store/home-openers.js';
import { moveLegacyKeys } from './store/key-layout.js';
import { KnownEnvironments } from './store/known-environments.js';
import { ComponentLocks } from './store/locks.js';
import { connectRedis, keys, redisSettings } from './store/redis.js';
import { TaskStore } from './store/task-store.js';
import { JobStore } from './store/versioned-store.js';

// What a role does not use is imported where it is used (`await import(…)`), so a process never
// loads it: the Kubernetes client only with PLATFORM=kubernetes, the workers (handlers, worker
// host, reconciler, Slack delivery) only where ROLE is not web, Bolt and the blue-green and audit
// operations only where ROLE is not worker. Release operations are built in every role (workers
// carry out scheduled starts through them), once per process. The production build
// (scripts/build.mjs) splits the bundle along these lines.

export interface Running {
  port: number;
  workers?: WorkerHost;
  stop(): Promise<void>;
}

export async function start(config: Config, log: Logger = pino({ level: config.LOG_LEVEL })): Promise<Running> {
  const clock = () => new Date();
  // The policy file is read once; a bad one stops the bot before anything connects.
  const file = config.SWITCHYARD_CONFIG ? loadPolicyFile(config.SWITCHYARD_CONFIG) : undefined;
  const policy = new Policy(file);
  // One that runs but cannot work as meant (approvals that can never complete) is said at start.
  for (const warning of file ? policyWarnings(file, clock()) : []) log.warn({ policy: config.SWITCHYARD_CONFIG }, warning);
  const redisAt = redisSettings(config);
  const redis = connectRedis(redisAt, { name: 'switchyard-store' });
  const k = keys(config.REDIS_PREFIX);
  // Data from before hash-tagged keys moves over once, in the background: a Redis that is down at
  // start must not stop the bot (readiness says so until it answers).
  void moveLegacyKeys(redis, config.REDIS_PREFIX, k, log).catch((err: Error) => log.warn({ err: err.message }, 'could not move keys to the current layout; will try at the next start'));
  const tasks = new TaskStore(redis, k);
  const jobs = new JobStore(redis, k);
  const locks = new ComponentLocks(redis, k);
  const audit = new AuditLog(redis, k);
  const cards = new CardStore(redis, k);
  const platform =
    config.PLATFORM === 'kubernetes'
      ? new (await import('./platform/kubernetes/kubernetes-platform.js')).KubernetesPlatform({ policy, rolloutTimeoutMs: config.K8S_ROLLOUT_TIMEOUT_MS, pollMs: config.K8S_POLL_MS, clock })
      : new SimulatedPlatform(redis, k, {
          latencyMs: config.SIM_LATENCY_MS,
          failComponents: config.SIM_FAIL_COMPONENTS,
        });
  // The queues' producers get a connection of their own, without the store's autopipelining.
  const queueRedis = connectRedis(redisAt, { name: 'switchyard-queues', autopipeline: false });
  const queues = new JobQueues(queueRedis, config.REDIS_PREFIX);
  const runs = new BullRunQueue(queues);
  const homes = new HomeOpeners(redis, k);
  const notifier = new QueueNotifier(queues, cards, config.CARD_COALESCE_MS, homes);
  const metrics = new Metrics();
  const client = new WebClient(config.SLACK_BOT_TOKEN, {
    slackApiUrl: config.SLACK_API_URL,
    // 429s are the slack queue's to handle (it pauses for Retry-After), not the client's to wait out.
    rejectRateLimitedCalls: true,
    retryConfig: { retries: 0 },
    timeout: 10_000,
    logger: slackLogger(log, 'slack-web-api'),
  });

  // The gate every operation passes (operators, approvers, freezes) and the release operations:
  // the web role takes requests through them, workers fire scheduled starts through them.
  const core = async () => {
    const [{ Environments }, { Governance }, { ReleaseOperations }, { Directory }] = await Promise.all([
      import('./operations/environments.js'),
      import('./operations/governance.js'),
      import('./operations/release-operations.js'),
      import('./policy/directory.js'),
    ]);
    const directory = new Directory(client, redis, config.REDIS_PREFIX, log);
    const governance = new Governance(policy, directory);
    const environments = new Environments({ policy, tasks, jobs, platform, known: new KnownEnvironments(redis, k) });
    const release = new ReleaseOperations({ tasks, locks, audit, runs, notifier, platform, environments, metrics, governance, zones: directory, clock });
    return { governance, environments, release };
  };
  let built: ReturnType<typeof core> | undefined;
  const operations = () => (built ??= core());

  let workers: WorkerHost | undefined;
  let stopReconciler = () => {};
  if (config.ROLE !== 'web') {
    const [{ deliverWebhookHandler, webhookListener }, { abandonBlueGreenRun, runBlueGreenHandler }, { abandonTaskRun, runTaskHandler }, { scheduledStartHandler }, { settledHandler }, { workflowStepListener }, { startReconciler }, { QueueReleaseEvents }, { WorkerHost }, { cardSources }, { deliveryHandlers }, { release }] = await Promise.all([
      import('./jobs/handlers/deliver-webhook.js'),
      import('./jobs/handlers/run-bluegreen.js'),
      import('./jobs/handlers/run-task.js'),
      import('./jobs/handlers/scheduled-start.js'),
      import('./jobs/handlers/settled.js'),
      import('./jobs/handlers/workflow-step.js'),
      import('./jobs/reconciler.js'),
      import('./jobs/release-events.js'),
      import('./jobs/worker-host.js'),
      import('./slack/card-sources.js'),
      import('./slack/delivery.js'),
      operations(),
    ]);
    const { notifyListener } = await import('./jobs/handlers/notify-channels.js');
    const events = new QueueReleaseEvents(queues, metrics, log);
    // App Home: the person's approvals, running releases and failures, linked to their cards.
    const [{ HomeQueries }, { homeSource }, { Permalinks }, { governance }] = await Promise.all([
      import('./operations/home.js'),
      import('./slack/home-source.js'),
      import('./slack/permalinks.js'),
      operations(),
    ]);
    const { CheckGates } = await import('./checks/gates.js');
    const { HttpCheckProbe } = await import('./checks/probe.js');
    // Checks (policy `checks`) gate released components and blue-green versions.
    const gates = new CheckGates(policy, new HttpCheckProbe(), metrics);
    const permalinks = new Permalinks(client, notifier);
    const home = { openers: homes, source: homeSource({ queries: new HomeQueries({ tasks, jobs, governance }), permalinks, clock }) };
    const handlers: JobHandlers = {
      'task.run': runTaskHandler({ tasks, locks, platform, notifier, events, audit, metrics, clock, progressIntervalMs: config.CARD_COALESCE_MS, links: (env) => policy.links(env), gates }),
      'bluegreen.run': runBlueGreenHandler({ jobs, platform, notifier, events, audit, metrics, clock, gates, approvers: (env) => policy.approvers(env) }),
      'task.scheduled-start': scheduledStartHandler(release),
      'events.settled': settledHandler({
        tasks,
        jobs,
        listeners: [webhookListener({ policy, queues, backoffMs: config.WEBHOOK_BACKOFF_MS }), workflowStepListener({ tasks, notifier }), notifyListener({ policy, queues })],
      }),
      'webhook.deliver': deliverWebhookHandler({ policy, metrics }),
      ...deliveryHandlers({ client, cards, notifier, log, coalesceMs: config.CARD_COALESCE_MS, sources: cardSources({ tasks, jobs, clock, policy }), home, permalinks }),
    };
    workers = new WorkerHost(handlers, {
      redis: redisAt,
      prefix: config.REDIS_PREFIX,
      concurrency: config.WORKER_CONCURRENCY,
      lockDurationMs: config.JOB_LOCK_MS,
      stalledIntervalMs: config.JOB_STALLED_INTERVAL_MS,
      slackCallsPerSec: config.SLACK_CALLS_PER_SEC,
      log,
    }, {
      'task.run': abandonTaskRun({ tasks, locks, platform, notifier, events, audit, metrics, clock }),
      'bluegreen.run': abandonBlueGreenRun({ jobs, platform, notifier, events, audit, metrics, clock }),
    });
    workers.start();
    stopReconciler = startReconciler({ redis, keys: k, tasks, jobs, locks, runs, log });
  }

  const stopBackground = async () => {
    stopReconciler();
    await workers?.close();
    await queues.close();
    await redis.quit().catch(() => redis.disconnect());
    await queueRedis.quit().catch(() => queueRedis.disconnect());
  };
  const routes = [
    ...probeRoutes({ redis, queues, metrics, ...(workers ? { workersRunning: () => workers.running } : {}) }),
    // Checks can be tried without a Prometheus: the simulated platform answers its query API.
    ...(platform instanceof SimulatedPlatform ? [{ path: STANDIN_PATH, method: ['GET'], handler: prometheusStandin(platform, clock) }] : []),
  ];
  let server: Server;
  let stopWeb: () => Promise<void>;
  try {
    if (config.ROLE !== 'worker') {
      const [{ AuditQueries }, { BlueGreenOperations }, { WorkflowStep }, { createSlackApp }, { SeenRequests }, { governance, environments, release }, api] = await Promise.all([
        import('./operations/audit-queries.js'),
        import('./operations/bluegreen-operations.js'),
        import('./operations/workflow-step.js'),
        import('./slack/app.js'),
        import('./store/seen-requests.js'),
        operations(),
        import('./api/index.js'),
      ]);
      const identity = await slackIdentity(client, log);
      const bluegreen = new BlueGreenOperations({ jobs, audit, runs, notifier, platform, environments, metrics, governance, clock });
      const auditQueries = new AuditQueries({ audit, tasks, jobs, notifier, clock });
      const workflow = new WorkflowStep({ release, tasks, governance });
      const deps = { release, bluegreen, workflow, audit: auditQueries, notifier, metrics, log };
      const apiRoutes = api.httpApi({ policy, release, bluegreen, tasks, jobs, redis, keys: k, client, notifier, metrics, log, rateLimit: config.API_RATE_LIMIT });
      const { app } = createSlackApp(config, identity, [...routes, ...apiRoutes], new SeenRequests(redis, k), deps, log);
      server = (await app.start(config.PORT)) as Server;
      stopWeb = () => app.stop().then(() => undefined);
    } else {
      server = await listen(routes, config.PORT, log);
      stopWeb = () => close(server);
    }
  } catch (err) {
    // A half-started bot must not leave connections and workers behind (port taken, bad token).
    await stopBackground();
    throw err;
  }
  const port = config.SLACK_APP_TOKEN ? config.PORT : (server.address() as AddressInfo).port;
  log.info(
    { role: config.ROLE, port, platform: config.PLATFORM, mode: config.SLACK_APP_TOKEN ? 'socket' : 'http', policy: config.SWITCHYARD_CONFIG ?? 'none: everyone may do everything' },
    'switchyard started',
  );

  return {
    port,
    ...(workers ? { workers } : {}),
    async stop() {
      await stopWeb().catch((err: Error) => log.warn({ err: err.message }, 'web stop'));
      await stopBackground();
    },
  };
}

/** Who we are on Slack. A wrong token stops the bot; an unreachable Slack does not. */
async function slackIdentity(client: WebClient, log: Logger): Promise<SlackIdentity> {
  try {
    const me = await Promise.race([
      client.auth.test(),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('auth.test timed out after 3 s')), 3000).unref()),
    ]);
    log.info({ team: me.team, user: me.user }, 'connected to Slack');
    return { botId: me.bot_id ?? 'unknown', botUserId: me.user_id ?? 'unknown' };
  } catch (err) {
    const code = (err as { data?: { error?: string } }).data?.error;
    if (code === 'invalid_auth' || code === 'not_authed' || code === 'token_revoked') {
      throw new ConfigError(`SLACK_BOT_TOKEN was refused by Slack (${code}): copy the Bot User OAuth Token again`);
    }
    log.warn({ err: (err as Error).message }, 'Slack unreachable at start; carrying on, calls will be retried');
    return { botId: 'unknown', botUserId: 'unknown' };
  }
}
