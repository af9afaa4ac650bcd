/**
 * Scenario "startup": how soon a fresh process serves, and how much memory it holds, for the built
 * bot (`node dist/main.js`, as the image runs it) per ROLE, compared with a bare Bolt app (one
 * slash-command listener, plain JavaScript: bench/lib/bare-bolt.mjs) started the same way. The
 * sources run through tsx (`node --import tsx src/main.ts`, how the bot ran before it was built)
 * are measured beside them for comparison.
 *
 * Each launch is a new `node` process (no npm in between) against the runner's Redis, with Slack
 * at a closed loopback port (unreachable: auth.test fails at once and the bot carries on, as it
 * does when Slack is down). Time: from spawn() to the first 200 from GET /healthz, polled every
 * POLL_MS. Memory: VmRSS from /proc/<pid>/status SETTLE_MS after that. Every round launches every
 * target once, one at a time, in the same order; the figures are medians over the rounds, and a
 * ratio is the median of the per-round ratios (each round's bare app is the yardstick, so load
 * from elsewhere on the machine that comes and goes between rounds cancels out).
 * Targets: the built bot within 2x of the bare app, on both.
 *
 * The scenario builds dist/ first (scripts/build.mjs), so it measures the sources as they are.
 */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { round } from './lib/stats.js';
import type { BenchContext, Scenario, ScenarioResult } from './lib/types.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DEFAULT_ROUNDS = 5;
const POLL_MS = 10;
const SETTLE_MS = 1000;
const START_TIMEOUT_MS = 30_000;
const TARGET_RATIO = 2;
const SECRET = 'bench-signing-secret';

const ROLES = ['web', 'worker', 'all'] as const;
type Role = (typeof ROLES)[number];

/** One way of starting a process: `node <args>` in the repository with `env` added. */
export interface Launch {
  label: string;
  args: string[];
  env: Record<string, string>;
}

export interface Launched {
  /** spawn() to the first 200 from /healthz. */
  readyMs: number;
  /** VmRSS when /healthz first answered 200. */
  rssAtReadyMiB: number;
  /** VmRSS SETTLE_MS later. */
  rssMiB: number;
}

/** The targets: the bare app, then the built bot and the tsx-run sources per role. */
export function launches(o: { redisUrl: string; prefix: string; slackApiUrl: string }): Launch[] {
  const bot = (role: Role): Record<string, string> => ({
    ROLE: role,
    REDIS_URL: o.redisUrl,
    REDIS_PREFIX: o.prefix,
    SLACK_BOT_TOKEN: 'xoxb-bench',
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_API_URL: o.slackApiUrl,
    PLATFORM: 'simulated',
  });
  return [
    { label: 'bare bolt', args: ['bench/lib/bare-bolt.mjs'], env: { SLACK_SIGNING_SECRET: SECRET } },
    ...ROLES.map((role) => ({ label: `built ${role}`, args: ['dist/main.js'], env: bot(role) })),
    ...ROLES.map((role) => ({ label: `tsx ${role}`, args: ['--import', 'tsx', 'src/main.ts'], env: bot(role) })),
  ];
}

/** Starts `node <args>`, waits for /healthz 200, reads its memory, stops it. */
export async function launch(l: Launch): Promise<Launched> {
  const port = await freePort();
  const t0 = performance.now();
  const child = spawn(process.execPath, l.args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NODE_ENV: 'production', PORT: String(port), ...l.env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    const deadline = t0 + START_TIMEOUT_MS;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${l.label} exited (${child.exitCode ?? child.signalCode}) before /healthz answered:\n${stderr}`);
      if (await healthy(port)) break;
      if (performance.now() > deadline) throw new Error(`${l.label}: no /healthz 200 within ${START_TIMEOUT_MS} ms:\n${stderr}`);
      await sleep(POLL_MS);
    }
    const readyMs = performance.now() - t0;
    const rssAtReadyMiB = vmRssMiB(child.pid!);
    await sleep(SETTLE_MS);
    return { readyMs: round(readyMs, 1), rssAtReadyMiB, rssMiB: vmRssMiB(child.pid!) };
  } finally {
    child.kill('SIGTERM');
    const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(kill);
  }
}

async function healthy(port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(1000) });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

/** Resident memory of a process in MiB, from /proc (Linux). */
function vmRssMiB(pid: number): number {
  const kb = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  if (!kb) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return round(Number(kb) / 1024, 1);
}

/** A loopback port nothing listens on (taken from the OS, then let go). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

/** Launches every target once per round and returns the medians per target, in target order. */
export async function measure(targets: readonly Launch[], rounds: number, log: (m: string) => void) {
  const samples = new Map<string, Launched[]>(targets.map((t) => [t.label, []]));
  for (let r = 1; r <= rounds; r++) {
    const line: string[] = [];
    for (const t of targets) {
      const s = await launch(t);
      samples.get(t.label)!.push(s);
      line.push(`${t.label} ${Math.round(s.readyMs)} ms ${Math.round(s.rssMiB)} MiB`);
    }
    log(`round ${r}/${rounds}: ${line.join(', ')}`);
  }
  return targets.map((t) => {
    const s = samples.get(t.label)!;
    return {
      label: t.label,
      readyMs: round(median(s.map((x) => x.readyMs)), 1),
      rssAtReadyMiB: round(median(s.map((x) => x.rssAtReadyMiB)), 1),
      rssMiB: round(median(s.map((x) => x.rssMiB)), 1),
      samples: s,
    };
  });
}

export const startup: Scenario = {
  name: 'startup',
  description: 'process start to /healthz 200 and resident memory: node dist/main.js per ROLE (and tsx) vs a bare Bolt app',
  async run(ctx: BenchContext): Promise<ScenarioResult> {
    const rounds = ctx.rounds ?? DEFAULT_ROUNDS;
    ctx.log('building dist/ (node scripts/build.mjs)');
    execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
    const slackApiUrl = `http://127.0.0.1:${await freePort()}/api/`;
    const targets = launches({ redisUrl: ctx.redisUrl, prefix: ctx.prefix, slackApiUrl });
    const results = await measure(targets, rounds, ctx.log);
    const bare = results[0]!;
    /** Median over the rounds of this target's figure over the bare app's in the same round. */
    const ratio = (r: (typeof results)[number], of: (x: Launched) => number) => round(median(r.samples.map((x, i) => of(x) / of(bare.samples[i]!))), 2);
    const ratios = results.map((r) => ({ readyRatio: ratio(r, (x) => x.readyMs), rssRatio: ratio(r, (x) => x.rssMiB) }));
    const rows = results.map((r, i) => {
      const t = ratios[i]!.readyRatio;
      const m = ratios[i]!.rssRatio;
      const within = r === bare ? '' : r.label.startsWith('built') ? (t <= TARGET_RATIO && m <= TARGET_RATIO ? 'yes' : 'NO') : '-';
      return [r.label, r.readyMs, `${t.toFixed(2)}x`, r.rssAtReadyMiB, r.rssMiB, `${m.toFixed(2)}x`, within];
    });
    return {
      params: {
        rounds,
        pollMs: POLL_MS,
        settleMs: SETTLE_MS,
        slack: 'SLACK_API_URL at a closed loopback port (unreachable)',
        platform: 'simulated',
        env: 'NODE_ENV=production, LOG_LEVEL default (info), stdout discarded',
        targets: targets.map((t) => ({ label: t.label, command: `node ${t.args.join(' ')}`, ROLE: t.env.ROLE })),
      },
      results: {
        unit: { readyMs: 'ms', rss: 'MiB' },
        targets: results.map((r, i) => ({ ...r, ...ratios[i]! })),
      },
      table: {
        title: `startup: spawn to /healthz 200, and VmRSS ${SETTLE_MS / 1000} s later (medians of ${rounds} rounds)`,
        headers: ['target', 'ready ms', 'vs bare', 'RSS@ready MiB', 'RSS MiB', 'vs bare', `within ${TARGET_RATIO}x`],
        rows,
        notes: [
          'vs bare: median of the per-round ratios to the bare Bolt app',
          'built = node dist/main.js (as the image runs it); tsx = node --import tsx src/main.ts; Slack unreachable, real Redis',
        ],
      },
    };
  },
};
