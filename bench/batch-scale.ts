/**
 * Scenario "batch-scale": a Bulk Upgrade of 200, 500 and 2,000 components (SIM_LATENCY_MS=0,
 * `--parallel 32`, CARD_COALESCE_MS=1000 as in production) from the Release click to Released,
 * against raw BullMQ processing the same number of no-op jobs at concurrency 32 on the same Redis,
 * the two measured alternately in one run.
 *
 * Per size it also reports the Redis commands per component (INFO commandstats around the run,
 * less the scenario's own polling), the task's memory in Redis (MEMORY USAGE of its keys) and the
 * Slack Web API calls the task cost from create until the slack queue is drained.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue, Worker } from 'bullmq';
import type { Cluster, Redis } from 'ioredis';
import type { Running } from '../src/bootstrap.js';
import { QUEUES } from '../src/jobs/catalogue.js';
import { buttonValue } from '../src/slack/blocks/task-card.js';
import { CardStore } from '../src/store/card-store.js';
import { SimulatedPlatform } from '../src/platform/simulated/simulated-platform.js';
import { connectRedis, keys, type RedisClient, type RedisSettings } from '../src/store/redis.js';
import { queuePrefix } from '../src/jobs/queues.js';
import { TaskStore } from '../src/store/task-store.js';
import type { FakeSlack } from '../test/support/fake-slack.js';
import { startRedisCluster } from '../test/support/redis-cluster.js';
import { blockActionsBody, postSigned, slashCommandBody } from '../test/support/slack-signing.js';
import { BENCH_SECRET, startBenchBot } from './lib/bot.js';
import { round, summarize, type Summary } from './lib/stats.js';
import type { BenchContext, Scenario, ScenarioResult, Table } from './lib/types.js';

const SIZES = [200, 500, 2000] as const;
/** Size run on the Redis Cluster too. */
const CLUSTER_SIZE = 500;
const PARALLEL = 32;
const DEFAULT_ROUNDS = 3;
const CHANNEL = 'C0SCALE';
const USER = 'U0SCALE';
const TIMEOUT_MS = 120_000;
/** Targets from the issue: Release click → Released within this many times raw BullMQ. */
const TARGET_RATIO: Partial<Record<(typeof SIZES)[number], number>> = { 500: 2, 2000: 3 };
const MAX_SLACK_CALLS_2000 = 40;
const POLL_MS = 5;

interface SizeResult {
  size: number;
  switchyardMs: Summary;
  rawMs: Summary;
  ratio: number;
  commandsPerComponent: number;
  taskBytes: number;
  slackCalls: number;
  slackMethods: Record<string, number>;
}

type Target = { label: string; redis: RedisSettings; sizes: readonly number[] };

export const batchScale: Scenario = {
  name: 'batch-scale',
  description: `Bulk Upgrade of ${SIZES.join(', ')} components, Release click → Released, vs raw BullMQ no-op jobs (concurrency ${PARALLEL}); ${CLUSTER_SIZE} on a 3-master Redis Cluster too`,
  async run(ctx: BenchContext): Promise<ScenarioResult> {
    const rounds = ctx.rounds ?? DEFAULT_ROUNDS;
    const results: Array<SizeResult & { target: string }> = [];
    for (const r of await measure(ctx, { label: 'one Redis', redis: { url: ctx.redisUrl }, sizes: SIZES }, rounds)) results.push({ ...r, target: 'one Redis' });
    const cluster = await startRedisCluster(3);
    try {
      const nodes = cluster.nodes.split(',').map((n) => ({ host: n.split(':')[0]!, port: Number(n.split(':')[1]) }));
      for (const r of await measure(ctx, { label: '3-master cluster', redis: { cluster: nodes }, sizes: [CLUSTER_SIZE] }, rounds, { REDIS_CLUSTER_NODES: cluster.nodes })) {
        results.push({ ...r, target: '3-master cluster' });
      }
    } finally {
      await cluster.stop();
    }

    const table: Table = {
      title: `batch-scale: Bulk Upgrade, Release click → Released (median of ${rounds}), vs raw BullMQ no-op jobs on the same Redis, concurrency ${PARALLEL}`,
      headers: ['Redis', 'components', 'switchyard ms', 'raw BullMQ ms', 'ratio', 'target', 'Redis cmds/component', 'task in Redis', 'Slack calls'],
      rows: results.map((x) => [
        x.target,
        x.size,
        round(x.switchyardMs.p50, 0),
        round(x.rawMs.p50, 0),
        `${x.ratio}x`,
        target(x),
        x.commandsPerComponent,
        `${round(x.taskBytes / 1024, 0)} KiB`,
        x.slackCalls,
      ]),
      notes: [
        `Slack calls: everything the task cost from create until the queues drained (${Object.entries(results.find((x) => x.size === 2000)?.slackMethods ?? {}).map(([m, n]) => `${m} ${n}`).join(', ')} for 2,000); target for 2,000: at most ${MAX_SLACK_CALLS_2000}`,
        'Redis commands: INFO commandstats calls (every master) during click → Released, less this scenario\'s own polling, per component; commands run inside Lua scripts count too',
      ],
    };
    return {
      params: { sizes: SIZES, clusterSize: CLUSTER_SIZE, parallel: PARALLEL, rounds, SIM_LATENCY_MS: 0, CARD_COALESCE_MS: 1000, targets: TARGET_RATIO, maxSlackCalls2000: MAX_SLACK_CALLS_2000 },
      results: { unit: 'ms', sizes: results },
      table,
    };
  },
};

async function measure(ctx: BenchContext, on: Target, rounds: number, env: Record<string, string> = {}): Promise<SizeResult[]> {
    let fake: FakeSlack | undefined;
    let bot: Running | undefined;
    let redis: RedisClient | undefined;
    const queues: Queue[] = [];
    try {
      const started = await startBenchBot(ctx, { CARD_COALESCE_MS: '1000', ...env });
      ({ fake, bot } = started);
      redis = connectRedis(on.redis, { name: 'bench-scale' });
      const r = redis;
      const clustered = r.isCluster;
      const slack = fake;
      const k = keys(ctx.prefix);
      const tasks = new TaskStore(r, k);
      const sim = new SimulatedPlatform(r, k, { latencyMs: 0, failComponents: [] });
      const cards = new CardStore(r, k);
      const slackQueue = new Queue(QUEUES.slack, { connection: r, prefix: queuePrefix(ctx.prefix, 'slack', clustered) });
      const releasesQueue = new Queue(QUEUES.releases, { connection: r, prefix: queuePrefix(ctx.prefix, 'releases', clustered) });
      queues.push(slackQueue, releasesQueue);
      const events = `http://127.0.0.1:${bot.port}/slack/events`;
      let seq = 0;
      const drained = async () => {
        let quiet = 0;
        const deadline = Date.now() + TIMEOUT_MS;
        while (quiet < 2) {
          const counts = await Promise.all([slackQueue, releasesQueue].map((q) => q.getJobCounts('waiting', 'active', 'delayed', 'prioritized')));
          const n = counts.flatMap((c) => Object.values(c)).reduce((a, b) => a + b, 0);
          quiet = n === 0 ? quiet + 1 : 0;
          if (Date.now() > deadline) throw new Error(`queues not drained (${n} jobs left)`);
          await sleep(100);
        }
      };

      /** One Bulk Upgrade of `size` components: Release click → Released, with its costs. */
      const switchyardRound = async (size: number) => {
        const n = ++seq;
        const env = `scale-${size}-${n}`;
        // The environment's components, put there directly (not measured).
        for (let i = 0; i < size; i += 100) {
          await Promise.all(Array.from({ length: Math.min(100, size - i) }, (_, j) =>
            sim.deploy({ opId: `seed-${env}-${i + j}`, env, name: `c${i + j}`, image: `r/c${i + j}:1`, replicas: 1 })));
        }
        // Listed one by one where that fits in a slash command (4,000 characters), else --all.
        const listed = Array.from({ length: size }, (_, i) => `c${i}=r/c${i}:2`).join(' ');
        const selection = listed.length <= 3500 ? listed : '--all --tag 2';
        const callsBefore = slack.calls.length;
        const created = await postSigned(
          events,
          slashCommandBody({ command: '/release', text: `create scale-${n} upgrade --env ${env} --parallel ${PARALLEL} ${selection}`, user_id: USER, channel_id: CHANNEL }),
          { secret: BENCH_SECRET },
        );
        const text = (created.json as { text?: string } | undefined)?.text ?? created.body;
        const id = /rt-[0-9a-z]{6}/.exec(text)?.[0];
        if (!id) throw new Error(`create: ${created.status} ${text.slice(0, 300)}`);
        // The card is posted by the worker; the click must come from it.
        let card = await cards.get(id);
        for (const deadline = Date.now() + TIMEOUT_MS; !card; card = await cards.get(id)) {
          if (Date.now() > deadline) throw new Error(`card of ${id} never posted`);
          await sleep(20);
        }
        await drained();
        const task = (await tasks.head(id))!;
        const statsBefore = await commandCount(r);
        let polls = 0;
        const t0 = performance.now();
        const click = await postSigned(
          events,
          blockActionsBody({ user_id: USER, channel_id: card.channel, message_ts: card.ts, action_id: 'release.start', value: buttonValue('start', task) }),
          { secret: BENCH_SECRET },
        );
        if (click.status !== 200) throw new Error(`click: HTTP ${click.status} ${click.body}`);
        for (;;) {
          const state = await tasks.runState(id);
          polls++;
          if (state?.status === 'Released') break;
          if (state && state.status !== 'Releasing' && state.status !== 'To release') throw new Error(`${id} ended ${state.status}`);
          if (performance.now() - t0 > TIMEOUT_MS) throw new Error(`${id} not Released after ${TIMEOUT_MS} ms`);
          await sleep(POLL_MS);
        }
        const ms = performance.now() - t0;
        // Commands of the run itself; the card edits and thread replies it queued come after.
        const statsAfter = await commandCount(r);
        const commands = statsAfter - statsBefore - polls - (clustered ? 3 : 1); // our polls, and the INFOs themselves
        await drained();
        const calls = slack.calls.slice(callsBefore);
        const released = (await tasks.get(id))!.components.filter((c) => c.status === 'Released').length;
        if (released !== size) throw new Error(`${id}: ${released}/${size} components Released`);
        const bytes = (await Promise.all([k.task(id), k.taskComponents(id)].map((key) => r.memory('USAGE', key)))).reduce<number>((a, b) => a + Number(b ?? 0), 0);
        return { ms, commandsPerComponent: commands / size, bytes, calls: calls.map((c) => c.method) };
      };

      /** Raw BullMQ: `size` no-op jobs added, then a worker at concurrency 32 from start to the last completion. */
      const rawRound = async (size: number) => {
        const name = `raw-${size}-${++seq}`;
        const prefix = clustered ? `{${ctx.prefix}-${name}}` : ctx.prefix;
        const q = new Queue(name, { connection: r, prefix });
        await q.addBulk(Array.from({ length: size }, (_, i) => ({ name: 'noop', data: { i }, opts: { removeOnComplete: true } })));
        let done = 0;
        let finished!: () => void;
        const all = new Promise<void>((resolve) => (finished = resolve));
        const conn = connectRedis(on.redis, { forBullmq: true, name: 'bench-raw' });
        const t0 = performance.now();
        const w = new Worker(name, async () => undefined, { connection: conn, prefix, concurrency: PARALLEL });
        w.on('completed', () => {
          if (++done === size) finished();
        });
        await all;
        const ms = performance.now() - t0;
        await w.close();
        conn.disconnect();
        await q.obliterate({ force: true });
        await q.close();
        return ms;
      };

      const results: SizeResult[] = [];
      for (const size of on.sizes) {
        const sy: number[] = [];
        const raw: number[] = [];
        const perComponent: number[] = [];
        let bytes = 0;
        let calls: string[] = [];
        ctx.log(`${on.label}, ${size} components: warm-up`);
        await rawRound(size);
        for (let i = 1; i <= rounds; i++) {
          raw.push(await rawRound(size));
          const s = await switchyardRound(size);
          sy.push(s.ms);
          perComponent.push(s.commandsPerComponent);
          bytes = s.bytes;
          calls = s.calls;
          ctx.log(`${on.label}, ${size} components, round ${i}/${rounds}: switchyard ${s.ms.toFixed(0)} ms, raw BullMQ ${raw.at(-1)!.toFixed(0)} ms, ${s.commandsPerComponent.toFixed(1)} Redis commands/component, ${s.calls.length} Slack calls`);
        }
        const switchyardMs = summarize(sy);
        const rawMs = summarize(raw);
        results.push({
          size,
          switchyardMs,
          rawMs,
          ratio: round(switchyardMs.p50 / rawMs.p50, 2),
          commandsPerComponent: round(summarize(perComponent).p50, 1),
          taskBytes: bytes,
          slackCalls: calls.length,
          slackMethods: tally(calls),
        });
      }

      return results;
    } finally {
      await Promise.all(queues.map((q) => q.close()));
      redis?.disconnect();
      await bot?.stop();
      await fake?.close();
    }
}

function target(x: SizeResult): string {
  const t = TARGET_RATIO[x.size as (typeof SIZES)[number]];
  return t === undefined ? '—' : `≤ ${t}x ${x.ratio <= t ? 'met' : 'NOT met'}`;
}

/** Commands served so far, summed over every master of a cluster. */
async function commandCount(r: RedisClient): Promise<number> {
  const nodes = r.isCluster ? (r as Cluster).nodes('master') : [r as Redis];
  let total = 0;
  for (const node of nodes) {
    const info = await node.info('commandstats');
    for (const m of info.matchAll(/^cmdstat_[^:]+:calls=(\d+)/gm)) total += Number(m[1]);
  }
  return total;
}

function tally(methods: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of methods) out[m] = (out[m] ?? 0) + 1;
  return out;
}
