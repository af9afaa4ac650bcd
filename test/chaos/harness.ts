/**
 * The chaos suite's harness: a private redis-server that can be shut down, killed and restarted on
 * the same port; a fake Slack Web API (the sandbox's stand-in) with time-based faults (429 with
 * Retry-After, 500s, slow answers); the bot as real `node --import tsx src/main.ts` processes;
 * signed Slack requests; the bot's stores read straight from Redis; and waits that always have a
 * deadline. Everything listens on and talks to 127.0.0.1 only.
 *
 * Every child process is registered, and killed (SIGKILL) when the suite exits for any reason.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect as netConnect, createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { SimulatedPlatform } from '../../src/platform/simulated/simulated-platform.js';
import { createSlackStandin, type SlackStandin } from '../../src/sandbox/slack-standin.js';
import { AuditLog } from '../../src/store/audit-log.js';
import { CardStore } from '../../src/store/card-store.js';
import { keys, type Keys } from '../../src/store/redis.js';
import { TaskStore } from '../../src/store/task-store.js';
import { JobStore } from '../../src/store/versioned-store.js';
import { signSlackRequest, slashCommandBody } from '../support/slack-signing.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const SECRET = 'chaos-signing-secret';
export const LOOPBACK = '127.0.0.1';

// ---------------------------------------------------------------------------------------------
// Time, deadlines, randomness
// ---------------------------------------------------------------------------------------------

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class DeadlineError extends Error {}

/** Thrown by waits once the scenario was stopped (its time budget ran out). */
export class Aborted extends Error {}

/**
 * Polls `check` every `everyMs` until it returns something truthy; throws DeadlineError after
 * `timeoutMs` (naming `what` and, if given, the last state `describe()` reports).
 */
export async function waitFor<T>(
  what: string,
  timeoutMs: number,
  check: () => Promise<T | undefined | false | null> | T | undefined | false | null,
  opts: { everyMs?: number; signal?: AbortSignal; describe?: () => Promise<string> | string } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (opts.signal?.aborted) throw new Aborted(`stopped while waiting for ${what}`);
    const v = await check();
    if (v) return v;
    if (Date.now() >= deadline) {
      const last = opts.describe ? ` (last: ${await opts.describe()})` : '';
      throw new DeadlineError(`timed out after ${timeoutMs} ms waiting for ${what}${last}`);
    }
    await sleep(opts.everyMs ?? 50);
  }
}

/** mulberry32: seeded, so a scenario's random choices can be replayed with CHAOS_SEED. */
export function rng(seed: number): () => number {
  let s = seed | 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Runs `fn` over `items` with at most `limit` at once; results in input order. */
export async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  });
  await Promise.all(lanes);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Scenario plumbing: figures, cleanup
// ---------------------------------------------------------------------------------------------

export interface ScenarioContext {
  /** Aborted when the scenario's time budget runs out. */
  signal: AbortSignal;
  /** Registers cleanup; run last-in first-out when the scenario ends, however it ends. */
  defer(fn: () => Promise<void> | void): void;
  /** Seed for the scenario's random choices. */
  seed: number;
  /** Progress for CHAOS_VERBOSE=1. */
  log(msg: string): void;
}

export interface ScenarioResult {
  /** `kill-storm: 20 tasks, 142 components, 6 kills, lost 0, doubled 0` */
  line: string;
  /** One entry per wrong figure: what it was and what it should have been. */
  wrong: string[];
  /** Extra detail printed under the line when something is wrong. */
  notes: string[];
}

/** The figures of one scenario line; each knows whether it is right. */
export class Figures {
  private readonly parts: string[] = [];
  readonly wrong: string[] = [];
  readonly notes: string[] = [];

  constructor(private readonly scenario: string) {}

  /** Adds `text` to the line; if `ok` is false, records it as wrong with what was expected. */
  add(text: string, ok: boolean, expected: string): this {
    this.parts.push(text);
    if (!ok) this.wrong.push(`${text} (expected ${expected})`);
    return this;
  }

  /** Something wrong that has no figure of its own on the line (e.g. a process that died by itself). */
  fail(text: string): this {
    this.wrong.push(text);
    return this;
  }

  note(text: string): this {
    this.notes.push(text);
    return this;
  }

  result(): ScenarioResult {
    return { line: `${this.scenario}: ${this.parts.join(', ')}`, wrong: this.wrong, notes: this.notes };
  }
}

export const yesNo = (b: boolean): string => (b ? 'yes' : 'no');

// ---------------------------------------------------------------------------------------------
// Child processes
// ---------------------------------------------------------------------------------------------

const children = new Set<ChildProcess>();

function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Redis data directories to delete when the suite exits, whatever way it ends. */
const tempDirs = new Set<string>();

/** SIGKILLs every child still running and deletes temp dirs (synchronous: safe in an 'exit' handler). */
export function killAllChildren(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  for (const dir of tempDirs) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // best effort
    }
  }
}

let exitHooksInstalled = false;
/** Kills the children whatever way the suite ends: normal exit, an uncaught error, Ctrl-C. */
export function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.on('exit', killAllChildren);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      killAllChildren();
      process.exit(130);
    });
  }
  process.on('uncaughtException', (err) => {
    console.error('chaos: uncaught exception:', err);
    killAllChildren();
    process.exit(2);
  });
}

const isGone = (c: ChildProcess) => c.exitCode !== null || c.signalCode !== null;

function exitOf(c: ChildProcess): Promise<void> {
  return isGone(c) ? Promise.resolve() : new Promise((r) => c.once('exit', () => r()));
}

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createNetServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, LOOPBACK, () => {
      const port = (srv.address() as AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Redis: a private redis-server that can be shut down, killed and restarted on the same port
// ---------------------------------------------------------------------------------------------

export class ChaosRedis {
  private child: ChildProcess | undefined;
  readonly url: string;

  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly aof: boolean,
  ) {
    this.url = `redis://${LOOPBACK}:${port}`;
  }

  /** A redis-server on a free port of 127.0.0.1, data in a temp dir (append-only file if `aof`). */
  static async start(opts: { aof?: boolean } = {}): Promise<ChaosRedis> {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-chaos-'));
    tempDirs.add(dir);
    const r = new ChaosRedis(await freePort(), dir, opts.aof ?? false);
    await r.restart();
    return r;
  }

  get running(): boolean {
    return !!this.child && !isGone(this.child);
  }

  get pid(): number | undefined {
    return this.running ? this.child!.pid : undefined;
  }

  /** Starts redis-server (again) on the same port and dir; resolves once it answers PING after loading its data. */
  async restart(timeoutMs = 15_000): Promise<void> {
    if (this.running) throw new Error('redis-server is already running');
    const args = [
      '--port', String(this.port), '--bind', LOOPBACK, '--dir', this.dir, '--save', '',
      '--appendonly', this.aof ? 'yes' : 'no', '--appendfsync', 'everysec', '--maxmemory-policy', 'noeviction',
    ];
    const child = track(spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] }));
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-4000)));
    child.stderr!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-4000)));
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', () => resolve());
      child.once('error', (err: NodeJS.ErrnoException) =>
        reject(new Error(err.code === 'ENOENT' ? 'redis-server not found: install it (apt-get install redis-server)' : err.message)),
      );
    });
    this.child = child;
    await waitFor(`redis-server on port ${this.port}`, timeoutMs, async () => {
      if (isGone(child)) throw new Error(`redis-server exited (${child.exitCode ?? child.signalCode}): ${out}`);
      const c = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      c.on('error', () => {});
      try {
        await c.connect();
        return (await c.ping()) === 'PONG';
      } catch {
        return false; // not listening yet, or still loading the append-only file
      } finally {
        c.disconnect();
      }
    });
  }

  /** SHUTDOWN (the server fsyncs its append-only file and exits); resolves once it is gone. */
  async shutdown(): Promise<void> {
    const child = this.child;
    if (!child || isGone(child)) return;
    const c = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    c.on('error', () => {});
    await c.connect();
    await c.call('SHUTDOWN').catch(() => undefined); // the server closes the connection instead of answering
    c.disconnect();
    await Promise.race([exitOf(child), sleep(10_000)]);
    if (!isGone(child)) throw new Error('redis-server did not exit after SHUTDOWN');
  }

  /** kill -9 of redis-server. */
  async kill9(): Promise<void> {
    const child = this.child;
    if (!child || isGone(child)) return;
    child.kill('SIGKILL');
    await exitOf(child);
  }

  /** Stops the server (SIGKILL) and deletes its data. */
  async stop(): Promise<void> {
    await this.kill9();
    rmSync(this.dir, { recursive: true, force: true });
    tempDirs.delete(this.dir);
  }
}

// ---------------------------------------------------------------------------------------------
// Fake Slack Web API with time-based faults
// ---------------------------------------------------------------------------------------------

export type SlackFault =
  | { kind: 'none' }
  | { kind: '429'; retryAfterSec: number }
  | { kind: '500' }
  | { kind: 'slow'; minMs: number; maxMs: number };

/** A request the bot made to a response_url (they point at this server, never at slack.com). */
export interface HookPost {
  path: string;
  body: unknown;
  at: number;
}

export interface ChaosSlack {
  readonly standin: SlackStandin;
  /** `http://127.0.0.1:<port>/api/` for SLACK_API_URL. */
  readonly apiUrl: string;
  /** `http://127.0.0.1:<port>/` */
  readonly base: string;
  /** What the Web API methods in `faultMethods` answer now. */
  fault: SlackFault;
  faultMethods: Set<string>;
  /** Answers given because of a fault, by kind. */
  readonly faults: { '429': number; '500': number; slow: number };
  /** POSTs to response URLs (`/hooks/...`). */
  readonly hooks: HookPost[];
  close(): Promise<void>;
}

export async function startChaosSlack(random: () => number = Math.random): Promise<ChaosSlack> {
  const standin = createSlackStandin({ token: 'xoxb-chaos' });
  const hooks: HookPost[] = [];
  const state: ChaosSlack = {
    standin,
    apiUrl: '',
    base: '',
    fault: { kind: 'none' },
    faultMethods: new Set(['chat.postMessage', 'chat.update', 'chat.postEphemeral']),
    faults: { '429': 0, '500': 0, slow: 0 },
    hooks,
    close: async () => {},
  };
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path.startsWith('/hooks/')) {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown = raw;
      try {
        body = JSON.parse(raw);
      } catch {
        // keep the raw text
      }
      hooks.push({ path, body, at: Date.now() });
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      return;
    }
    const method = /^\/api\/([^/]+)$/.exec(path)?.[1];
    const fault = state.fault;
    if (method && state.faultMethods.has(method) && fault.kind !== 'none') {
      if (fault.kind === '429') {
        state.faults['429']++;
        req.resume();
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after': String(fault.retryAfterSec) });
        res.end(JSON.stringify({ ok: false, error: 'ratelimited' }));
        return;
      }
      if (fault.kind === '500') {
        state.faults['500']++;
        req.resume();
        res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: false, error: 'internal_error' }));
        return;
      }
      state.faults.slow++;
      await sleep(fault.minMs + random() * (fault.maxMs - fault.minMs));
    }
    const handled = await standin.handle(req, res);
    if (!handled) res.writeHead(404).end('not found');
  };
  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => resolve());
  });
  const base = `http://${LOOPBACK}:${(server.address() as AddressInfo).port}/`;
  standin.setBase(base);
  Object.assign(state, {
    apiUrl: `${base}api/`,
    base,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  });
  return state;
}

// ---------------------------------------------------------------------------------------------
// The bot as real processes
// ---------------------------------------------------------------------------------------------

export interface BotProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  /** Port of its HTTP server (Slack endpoint and probes, or probes only for ROLE=worker). */
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly alive: boolean;
  /** The last lines it wrote (stdout and stderr). */
  output(): string;
  /** Resolves when it has exited. */
  exited(): Promise<void>;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/** Environment of a bot process: loopback Redis and fake Slack, quiet but for the start line. */
export function botEnv(o: { redisUrl: string; prefix: string; slackApiUrl: string; role: 'all' | 'web' | 'worker' }, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ROLE: o.role,
    PORT: '0',
    REDIS_URL: o.redisUrl,
    REDIS_PREFIX: o.prefix,
    SLACK_BOT_TOKEN: 'xoxb-chaos',
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_API_URL: o.slackApiUrl,
    LOG_LEVEL: 'info',
    ...extra,
  };
}

/** Spawns `node --import tsx src/main.ts` and resolves once it logs 'switchyard started'. */
export async function spawnBot(name: string, env: Record<string, string>, timeoutMs = 45_000): Promise<BotProcess> {
  const child = track(
    spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', TMPDIR: process.env.TMPDIR ?? tmpdir(), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  let tail = '';
  const keep = (d: Buffer) => (tail = (tail + d.toString()).slice(-20_000));
  const port = await new Promise<number>((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new DeadlineError(`${name} did not start within ${timeoutMs} ms:\n${tail}`));
    }, timeoutMs);
    child.stdout!.on('data', (d: Buffer) => {
      keep(d);
      buffered += d.toString();
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (!line.includes('switchyard started')) continue;
        try {
          const p = (JSON.parse(line) as { port?: number }).port;
          if (typeof p === 'number') {
            clearTimeout(timer);
            resolve(p);
          }
        } catch {
          // not the JSON log line
        }
      }
    });
    child.stderr!.on('data', keep);
    child.once('exit', (code, sig) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code ?? sig}) before starting:\n${tail}`));
    });
  });
  return {
    name,
    child,
    pid: child.pid!,
    port,
    url: `http://${LOOPBACK}:${port}`,
    get alive() {
      return !isGone(child);
    },
    output: () => tail,
    exited: () => exitOf(child),
    async stop(graceMs = 5000) {
      if (isGone(child)) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exitOf(child);
      clearTimeout(t);
    },
  };
}

/**
 * Local TCP ports of `pid`'s connections to `remotePort` on loopback (from /proc): lets a
 * scenario tell which bot process sent a command it sees in Redis MONITOR. Linux only; empty elsewhere.
 */
export function connectionPorts(pid: number, remotePort: number): Set<number> {
  const out = new Set<number>();
  try {
    const inodes = new Set<string>();
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) inodes.add(m[1]!);
      } catch {
        // closed meanwhile
      }
    }
    for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
      let text = '';
      try {
        text = readFileSync(table, 'utf8');
      } catch {
        continue;
      }
      for (const row of text.split('\n').slice(1)) {
        const f = row.trim().split(/\s+/);
        if (f.length < 10) continue;
        const local = parseInt(f[1]!.split(':')[1] ?? '', 16);
        const remote = parseInt(f[2]!.split(':')[1] ?? '', 16);
        if (remote === remotePort && inodes.has(f[9]!)) out.add(local);
      }
    }
  } catch {
    // not Linux, or the process is gone
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Slack requests to the bot
// ---------------------------------------------------------------------------------------------

export interface Answer {
  status: number;
  body: string;
  json?: unknown;
  ms: number;
  /** Set when no HTTP answer came (connection error or timeout). */
  error?: string;
}

/** POSTs raw bytes to the bot's Slack endpoint; never throws (a missing answer is status 0). */
export async function post(url: string, body: string | Buffer, headers: Record<string, string>, timeoutMs = 10_000): Promise<Answer> {
  const t0 = performance.now();
  try {
    const res = await fetch(url, { method: 'POST', headers, body: typeof body === 'string' ? body : new Uint8Array(body), signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, body: text, ...(json === undefined ? {} : { json }), ms: performance.now() - t0 };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    return { status: 0, body: '', ms: performance.now() - t0, error: `${e.name}: ${e.cause?.code ?? e.cause?.message ?? e.message}` };
  }
}

/** Signed form POST, as Slack sends slash commands and interactivity payloads. */
export function postSignedForm(url: string, body: string, timeoutMs?: number): Promise<Answer> {
  return post(url, body, { 'content-type': 'application/x-www-form-urlencoded', ...signSlackRequest(SECRET, body) }, timeoutMs);
}

/** The text a command's ack shows. */
export function ackText(a: Answer): string {
  const j = a.json as { text?: unknown } | undefined;
  return typeof j?.text === 'string' ? j.text : a.body;
}

/** Sends slash commands to one bot as one user in one channel (response_url on the fake Slack). */
export class SlackUser {
  constructor(
    readonly botUrl: string,
    readonly channel: string,
    readonly user: string,
    readonly hookBase: string,
  ) {}

  command(text: string, opts: { command?: string; user?: string; hook?: string } = {}): Promise<Answer> {
    const body = slashCommandBody({
      command: opts.command ?? '/release',
      text,
      user_id: opts.user ?? this.user,
      channel_id: this.channel,
      response_url: `${this.hookBase}hooks/${opts.hook ?? 'cmd'}`,
    });
    return postSignedForm(`${this.botUrl}/slack/events`, body);
  }

  /** `/release create …`; returns the new task's ID from the ack. */
  async create(text: string): Promise<string> {
    const a = await this.command(`create ${text}`);
    const id = /`(rt-[0-9a-z]{6})`/.exec(ackText(a))?.[1];
    if (!id) throw new Error(`create did not return a task ID: ${a.status} ${ackText(a).slice(0, 300)}`);
    return id;
  }

  /** `/release start <id>`; throws unless the ack says it started. */
  async start(id: string): Promise<void> {
    const a = await this.command(`start ${id}`);
    if (a.status !== 200) throw new Error(`start ${id}: ${a.status} ${a.body.slice(0, 200)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// The bot's state, read from Redis
// ---------------------------------------------------------------------------------------------

export interface Store {
  redis: Redis;
  k: Keys;
  prefix: string;
  tasks: TaskStore;
  jobs: JobStore;
  cards: CardStore;
  audit: AuditLog;
  /** The simulated platform over the same keys, no latency: for seeding and applied counts. */
  platform: SimulatedPlatform;
  close(): void;
}

/** What every scenario starts from: its own Redis, a fake Slack and a view of the store, closed when it ends. */
export async function stage(ctx: ScenarioContext, o: { prefix: string; aof?: boolean; random?: () => number }): Promise<{ redis: ChaosRedis; slack: ChaosSlack; store: Store; prefix: string }> {
  const redis = await ChaosRedis.start(o.aof ? { aof: true } : undefined);
  ctx.defer(() => redis.stop());
  const slack = await startChaosSlack(o.random);
  ctx.defer(() => slack.close());
  const store = openStore(redis.url, o.prefix);
  ctx.defer(() => store.close());
  return { redis, slack, store, prefix: o.prefix };
}

export function openStore(redisUrl: string, prefix: string): Store {
  // Retries without limit: some scenarios read through a Redis restart.
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null, retryStrategy: (n) => Math.min(n * 50, 500) });
  redis.on('error', () => {});
  const k = keys(prefix);
  return {
    redis,
    k,
    prefix,
    tasks: new TaskStore(redis, k),
    jobs: new JobStore(redis, k),
    cards: new CardStore(redis, k),
    audit: new AuditLog(redis, k),
    platform: new SimulatedPlatform(redis, k, { latencyMs: 0, failComponents: [] }),
    close: () => redis.disconnect(),
  };
}

/** Keys matching `pattern` (SCAN, never KEYS). */
export async function scanKeys(redis: Redis, pattern: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    found.push(...batch);
  } while (cursor !== '0');
  return found;
}

/** Waits until nothing is active, waiting, delayed or prioritized on the bot's slack queue. */
export async function slackQueueIdle(store: Store, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const q = new Queue('slack', { connection: store.redis, prefix: store.prefix });
  try {
    await waitFor(
      'the slack queue to drain',
      timeoutMs,
      async () => {
        const c = await q.getJobCounts('active', 'waiting', 'delayed', 'prioritized');
        return Object.values(c).every((n) => n === 0);
      },
      { everyMs: 100, ...(signal ? { signal } : {}), describe: async () => JSON.stringify(await q.getJobCounts('active', 'waiting', 'delayed', 'prioritized')) },
    );
  } finally {
    await q.close();
  }
}

/** GET a probe; status 0 when it did not answer within `timeoutMs`. */
export async function probe(url: string, path: '/healthz' | '/readyz', timeoutMs = 3000): Promise<number> {
  try {
    const res = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

// ---------------------------------------------------------------------------------------------
// Release tasks: specs, seeding, and the exactly-once tally
// ---------------------------------------------------------------------------------------------

export interface TaskSpec {
  name: string;
  /** Each task has an environment of its own: no two tasks contend for a component lock. */
  env: string;
  op: 'deploy' | 'upgrade';
  components: string[];
  parallel: number;
  id?: string;
}

/** `count` tasks of `min`..`max` components, deploys and upgrades alternating. */
export function taskSpecs(random: () => number, prefix: string, count: number, min: number, max: number, parallel: number): TaskSpec[] {
  return Array.from({ length: count }, (_, i) => {
    const n = min + Math.floor(random() * (max - min + 1));
    return {
      name: `${prefix}-${i + 1}`,
      env: `${prefix}-env-${i + 1}`,
      op: i % 2 === 0 ? 'deploy' : 'upgrade',
      components: Array.from({ length: n }, (_, j) => `c${j + 1}`),
      parallel,
    };
  });
}

/** What an upgrade task upgrades must run first: put image :1 there, straight in Redis. */
export async function seedUpgrades(store: Store, specs: TaskSpec[]): Promise<void> {
  for (const s of specs.filter((t) => t.op === 'upgrade')) {
    for (const c of s.components) {
      const r = await store.platform.deploy({ opId: `chaos-seed-${s.env}-${c}`, env: s.env, name: c, image: `registry.local/${c}:1`, replicas: 1 });
      if (!r.ok) throw new Error(`seeding ${s.env}/${c}: ${r.error}`);
    }
  }
}

export function createText(s: TaskSpec): string {
  return `${s.name} ${s.op} --env ${s.env} ${s.components.map((c) => `${c}=registry.local/${c}:2`).join(' ')} --parallel ${s.parallel} --new-env`;
}

export interface Tally {
  tasks: number;
  components: number;
  /** Components not applied on the platform, or not Released in their task. */
  lost: number;
  /** Applications beyond the first, summed over components. */
  doubled: number;
  /** Tasks that did not end Released. */
  unfinished: number;
  details: string[];
}

/**
 * Counts, per component of every task, how often the simulated platform applied it since
 * `baseline` (its `sim:applied` hash, bumped by the same Lua script that commits a step, once per
 * real change) and what the task says about it.
 */
export async function tally(store: Store, specs: TaskSpec[], baseline: Record<string, number>): Promise<Tally> {
  const applied = await store.platform.appliedCounts();
  const t: Tally = { tasks: 0, components: 0, lost: 0, doubled: 0, unfinished: 0, details: [] };
  for (const s of specs) {
    const task = s.id ? await store.tasks.get(s.id) : undefined;
    if (task) t.tasks++;
    if (!task || task.status !== 'Released') {
      t.unfinished++;
      t.details.push(`${s.name} (${s.id ?? 'not created'}) ended ${task?.status ?? 'missing'}`);
    }
    for (const c of s.components) {
      t.components++;
      const key = `${s.env}/${c}`;
      const n = (applied[key] ?? 0) - (baseline[key] ?? 0);
      const comp = task?.components.find((x) => x.name === c);
      const status = comp?.status;
      if (n === 0 || status !== 'Released') {
        t.lost++;
        const error = comp?.history.at(-1)?.error;
        t.details.push(`${key}: applied ${n}x, ${status ?? 'missing'}${error ? ` (${error.slice(0, 160)})` : ''}`);
      }
      if (n > 1) {
        t.doubled += n - 1;
        t.details.push(`${key}: applied ${n}x`);
      }
    }
  }
  return t;
}

/** True once every existing task of `specs` was started and has left the active statuses (Releasing, Suspending, Rolling back). */
export async function allSettled(store: Store, specs: TaskSpec[]): Promise<boolean> {
  for (const s of specs) {
    const t = s.id ? await store.tasks.get(s.id) : undefined;
    if (!t) continue; // never created, or gone (tally counts it): nothing to wait for
    if (t.run === 0 || ['Releasing', 'Suspending', 'Rolling back'].includes(t.status)) return false;
  }
  return true;
}

/** "rt-a: Releasing 3/7; …" for timeouts. */
export async function progress(store: Store, specs: TaskSpec[]): Promise<string> {
  const rows: string[] = [];
  for (const s of specs) {
    const t = s.id ? await store.tasks.get(s.id) : undefined;
    if (!t) continue;
    const done = t.components.filter((c) => c.status === 'Released').length;
    if (t.status !== 'Released') rows.push(`${t.id} ${t.status} ${done}/${t.components.length}`);
  }
  return rows.join('; ') || 'all Released';
}

/** Whether any task of `specs` is running now. */
export async function anyActive(store: Store, specs: TaskSpec[]): Promise<boolean> {
  for (const s of specs) {
    const t = s.id ? await store.tasks.get(s.id) : undefined;
    if (t && ['Releasing', 'Suspending', 'Rolling back'].includes(t.status)) return true;
  }
  return false;
}

/** Top-level messages (cards) in `channel` and whether each task's stored card is one of them. */
export async function cardCount(store: Store, slack: ChaosSlack, channel: string, specs: TaskSpec[]): Promise<{ messages: number; tasksWithCard: number }> {
  const top = slack.standin.messages(channel);
  let tasksWithCard = 0;
  for (const s of specs) {
    const ref = s.id ? await store.cards.get(s.id) : undefined;
    if (ref && top.some((m) => m.ts === ref.ts)) tasksWithCard++;
  }
  return { messages: top.length, tasksWithCard };
}

/** One command as Redis MONITOR reports it. */
export interface Monitored {
  /** `127.0.0.1:<port>` of the client that sent it, or `lua` for a script's own calls. */
  source: string;
  args: string[];
}

/**
 * Redis MONITOR on a plain socket (ioredis's monitor mode mistakes the first lines for replies
 * under load). Calls `onCommand` for every command Redis ran; returns a function that closes it.
 */
export async function monitorRedis(port: number, onCommand: (c: Monitored) => void): Promise<() => void> {
  const sock = netConnect(port, LOOPBACK);
  sock.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    sock.once('connect', () => resolve());
    sock.once('error', reject);
  });
  let buf = '';
  let ready = false;
  const ok = new Promise<void>((resolve) => {
    sock.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      let nl: number;
      while ((nl = buf.indexOf('\r\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 2);
        if (!ready) {
          if (line === '+OK') {
            ready = true;
            resolve();
          }
          continue;
        }
        // +1700000000.123456 [0 127.0.0.1:53932] "eval" "..." ...
        const m = /^\+[\d.]+ \[\d+ ([^\]]+)\] (.*)$/.exec(line);
        if (!m) continue;
        const args = [...m[2]!.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((a) => a[1]!.replace(/\\(x[0-9a-f]{2}|.)/g, (_, e: string) => (e.length === 3 ? String.fromCharCode(parseInt(e.slice(1), 16)) : e === 'n' ? '\n' : e === 'r' ? '\r' : e === 't' ? '\t' : e)));
        onCommand({ source: m[1]!, args });
      }
    });
  });
  sock.write('MONITOR\r\n');
  await Promise.race([ok, sleep(5000).then(() => Promise.reject(new Error('MONITOR did not answer')))]);
  return () => sock.destroy();
}
