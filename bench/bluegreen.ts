/**
 * Scenario "bluegreen": how soon traffic moves after a Release click on a blue-green job's card,
 * and how many Slack Web API calls one update→release cycle costs.
 *
 * The whole bot runs in this process (ROLE=all, HTTP mode, fake Slack Web API, SIM_LATENCY_MS=0,
 * CARD_COALESCE_MS=1000 as in production). One job is created, then cycled: `/bluegreen update`
 * → Paused → a signed `bluegreen.release` click → Healthy on the other slot.
 *
 * Latency: from the click's HTTP ack (200) arriving at the client to the simulated platform's
 * service pointing at the new slot, read back to back from Redis (one HGET in flight at a time,
 * so the reading is within one round trip, ~0.1 ms). Target: p50 under 50 ms.
 *
 * Slack calls: for a few cycles, the slack queue is left to drain after each (nothing waiting,
 * active or delayed, twice 50 ms apart) and the fake Slack's calls during the cycle are counted.
 * Two ways to click: as soon as the job is Paused (as in the latency cycles; the edit showing
 * Paused is coalesced away), and after the card showing Paused is on Slack, as a person would.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { BlueGreenJob, JobStatus, Slot } from '../src/domain/bluegreen-job.js';
import { QUEUES } from '../src/jobs/catalogue.js';
import type { Running } from '../src/bootstrap.js';
import { CardStore, type CardRef } from '../src/store/card-store.js';
import { keys } from '../src/store/redis.js';
import { JobStore } from '../src/store/versioned-store.js';
import type { FakeSlack, FakeSlackCall } from '../test/support/fake-slack.js';
import { blockActionsBody, postSigned, slashCommandBody, type PostSignedResult } from '../test/support/slack-signing.js';
import { BENCH_SECRET, startBenchBot } from './lib/bot.js';
import { round, summarize, type Summary } from './lib/stats.js';
import type { BenchContext, Scenario, ScenarioResult, Table } from './lib/types.js';

const SECRET = BENCH_SECRET;
const CHANNEL = 'C0BENCH';
const USER = 'U0BENCH';
const JOB = 'bench';
const ENV = 'bench';
const WORKLOAD = 'web';
const CYCLES_PER_ROUND = 20;
const DEFAULT_ROUNDS = 10;
const WARMUP = 5;
/** Cycles counted for Slack calls, per way of clicking. */
const COUNTED = 5;
const TARGET_P50_MS = 50;
const STEP_TIMEOUT_MS = 10_000;
const DRAIN_TIMEOUT_MS = 20_000;
/** The Slack queue counts as drained when it is empty at two looks this far apart. */
const QUIET_MS = 50;
/** Calls counted per cycle: always shown, even at 0. */
const COUNTED_METHODS = ['chat.update', 'chat.postMessage (thread)', 'chat.postEphemeral'] as const;

type ClickWhen = 'paused' | 'card-shown';
const CLICK_LABEL: Record<ClickWhen, string> = { paused: 'click at Paused', 'card-shown': 'click after Paused card' };

interface CycleTimes {
  clickToAck: number;
  ackToSwitch: number;
  clickToSwitch: number;
  switchToHealthy: number;
  /** `/bluegreen update` sent → Healthy on the new slot. */
  cycle: number;
}

export const bluegreen: Scenario = {
  name: 'bluegreen',
  description: 'blue-green Release click ack → traffic switch, and Slack calls per update→release cycle',
  async run(ctx: BenchContext): Promise<ScenarioResult> {
    const rounds = ctx.rounds ?? DEFAULT_ROUNDS;
    const cycles = rounds * CYCLES_PER_ROUND;
    let fake: FakeSlack | undefined;
    let bot: Running | undefined;
    let redis: Redis | undefined;
    const queues: Queue[] = [];
    try {
      const started = await startBenchBot(ctx, { CARD_COALESCE_MS: '1000' });
      ({ fake, bot } = started);
      const config = started.config;
      // Our own connection: reads do not queue behind the bot's commands.
      redis = new Redis(ctx.redisUrl, { maxRetriesPerRequest: 3, connectionName: 'bench-bluegreen' });
      const slackQueue = new Queue(QUEUES.slack, { connection: redis, prefix: ctx.prefix });
      const releasesQueue = new Queue(QUEUES.releases, { connection: redis, prefix: ctx.prefix });
      queues.push(slackQueue, releasesQueue);
      const k = keys(ctx.prefix);
      const jobs = new JobStore(redis, k);
      const cards = new CardStore(redis, k);
      const serviceKey = k.simBg(ENV, WORKLOAD);
      const events = `http://127.0.0.1:${bot.port}/slack/events`;
      const slack = fake;
      const r = redis;

      const command = (text: string) =>
        postSigned(events, slashCommandBody({ command: '/bluegreen', text, user_id: USER, channel_id: CHANNEL }), { secret: SECRET });
      let card: CardRef = { channel: CHANNEL, ts: '0' };
      const click = (value: string) =>
        postSigned(
          events,
          blockActionsBody({ user_id: USER, channel_id: card.channel, message_ts: card.ts, action_id: 'bluegreen.release', value }),
          { secret: SECRET },
        );

      /** Polls the job every ~1 ms until `ok`; throws with its last state after STEP_TIMEOUT_MS. */
      const waitJob = async (what: string, ok: (j: BlueGreenJob) => boolean): Promise<BlueGreenJob> => {
        const deadline = performance.now() + STEP_TIMEOUT_MS;
        for (;;) {
          const j = await jobs.get(JOB);
          if (j && ok(j)) return j;
          if (performance.now() > deadline) throw new Error(`job ${JOB} never became ${what}; last: ${j ? `${j.status} v${j.version}` : 'missing'}`);
          await sleep(1);
        }
      };
      const status = (s: JobStatus) => (j: BlueGreenJob) => j.status === s;
      const busy = async (q: Queue) => {
        const c = await q.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
        return Object.values(c).reduce((a, b) => a + b, 0);
      };
      /** Until no Slack call (or release run) is waiting, active or delayed. */
      const drained = async (): Promise<void> => {
        const deadline = performance.now() + DRAIN_TIMEOUT_MS;
        let quietSince: number | undefined;
        for (;;) {
          const n = (await busy(slackQueue)) + (await busy(releasesQueue));
          const now = performance.now();
          if (n > 0) quietSince = undefined;
          else if (quietSince === undefined) quietSince = now;
          else if (now - quietSince >= QUIET_MS) return;
          if (now > deadline) throw new Error(`slack queue not drained after ${DRAIN_TIMEOUT_MS} ms (${n} jobs left)`);
          await sleep(10);
        }
      };
      const ackText = (res: PostSignedResult) => (res.json as { text?: string } | undefined)?.text ?? res.body;

      ctx.log(`create ${JOB}`);
      const created = await command(`create ${JOB} --env ${ENV} --workload ${WORKLOAD} --image web:1`);
      if (!ackText(created).includes('Created blue-green job')) throw new Error(`create: ${created.status} ${ackText(created)}`);
      await waitJob('Healthy', status('Healthy'));
      await drained();
      card = (await cards.get(`bg:${JOB}`)) ?? card;

      let image = 1;
      const cycle = async (clickWhen: ClickWhen): Promise<CycleTimes> => {
        const tStart = performance.now();
        const next = `web:${++image}`;
        const up = await command(`update ${JOB} ${next}`);
        if (!ackText(up).includes('is now Progressing')) throw new Error(`update to ${next}: ${up.status} ${ackText(up)}`);
        const paused = await waitJob('Paused', status('Paused'));
        const slot: Slot | undefined = paused.pending?.slot;
        if (!slot) throw new Error(`Paused without a pending version: ${JSON.stringify(paused)}`);
        if (clickWhen === 'card-shown') {
          await drained();
          const shown = slack.messages(card.channel).find((m) => m.ts === card.ts);
          if (!shown?.text?.includes('Paused')) throw new Error(`card not showing Paused before the click: ${shown?.text}`);
        }
        if ((await r.hget(serviceKey, 'serving')) === slot) throw new Error(`${slot} serves before the release`);

        const tClick = performance.now();
        const ack = await click(`release ${JOB} @v${paused.version}`);
        const tAck = performance.now();
        if (ack.status !== 200) throw new Error(`release click: HTTP ${ack.status} ${ack.body}`);
        // Back to back: the next HGET goes out as soon as the previous answer is in.
        while ((await r.hget(serviceKey, 'serving')) !== slot) {
          if (performance.now() - tAck > STEP_TIMEOUT_MS) {
            const j = await jobs.get(JOB);
            throw new Error(`traffic never moved to ${slot}; job ${j?.status} v${j?.version}`);
          }
        }
        const tSwitch = performance.now();
        await waitJob(`Healthy on ${slot}`, (j) => j.status === 'Healthy' && j.active === slot);
        const tHealthy = performance.now();
        return {
          clickToAck: tAck - tClick,
          ackToSwitch: tSwitch - tAck,
          clickToSwitch: tSwitch - tClick,
          switchToHealthy: tHealthy - tSwitch,
          cycle: tHealthy - tStart,
        };
      };

      // Slack calls per cycle, with the queue drained between cycles.
      const slackCalls = {} as Record<ClickWhen, { perCycle: Array<Record<string, number>>; mean: Record<string, number>; meanTotal: number; cycleMs: Summary }>;
      for (const clickWhen of ['paused', 'card-shown'] as const) {
        const perCycle: Array<Record<string, number>> = [];
        const took: number[] = [];
        for (let i = 0; i < COUNTED; i++) {
          const from = slack.calls.length;
          const t0 = performance.now();
          await cycle(clickWhen);
          await drained();
          took.push(performance.now() - t0);
          perCycle.push(tally(slack.calls.slice(from)));
        }
        const methods = [...new Set([...COUNTED_METHODS, ...perCycle.flatMap((c) => Object.keys(c))])];
        const mean = Object.fromEntries(methods.map((m) => [m, round(perCycle.reduce((s, c) => s + (c[m] ?? 0), 0) / COUNTED, 2)]));
        const meanTotal = round(Object.values(mean).reduce((a, b) => a + b, 0), 2);
        slackCalls[clickWhen] = { perCycle, mean, meanTotal, cycleMs: summarize(took) };
        ctx.log(`${CLICK_LABEL[clickWhen]}: ${meanTotal} Slack calls per cycle ${JSON.stringify(mean)}`);
      }

      ctx.log(`warm-up: ${WARMUP} cycles`);
      for (let i = 0; i < WARMUP; i++) await cycle('paused');

      const times: CycleTimes[] = [];
      const perRound: Array<{ p50: number; p99: number }> = [];
      const callsBefore = slack.calls.length;
      const tMeasure = performance.now();
      for (let rd = 1; rd <= rounds; rd++) {
        const inRound: number[] = [];
        for (let i = 0; i < CYCLES_PER_ROUND; i++) {
          const t = await cycle('paused');
          times.push(t);
          inRound.push(t.ackToSwitch);
        }
        const s = summarize(inRound);
        perRound.push({ p50: s.p50, p99: s.p99 });
        ctx.log(`round ${rd}/${rounds}: ack → switch p50 ${s.p50.toFixed(2)} ms, p99 ${s.p99.toFixed(2)} ms`);
      }
      const measureMs = performance.now() - tMeasure;
      const measuredCalls = slack.calls.slice(callsBefore);
      const slackCallsWhileMeasuring = measuredCalls.length;
      const peakCallsPerSec = peakPerSecond(measuredCalls.map((c) => c.at));
      const slackBacklogAfter = await busy(slackQueue);
      const switches = Number((await r.hget(k.simBgSwitches, `${ENV}/${WORKLOAD}`)) ?? 0);
      const expectedSwitches = 1 + 2 * COUNTED + WARMUP + cycles;
      if (switches !== expectedSwitches) throw new Error(`${switches} traffic switches recorded, expected ${expectedSwitches}`);

      const of = (f: keyof CycleTimes) => times.map((t) => t[f]);
      const latency = {
        ackToSwitch: summarize(of('ackToSwitch')),
        clickToAck: summarize(of('clickToAck')),
        clickToSwitch: summarize(of('clickToSwitch')),
        switchToHealthy: summarize(of('switchToHealthy')),
        cycle: summarize(of('cycle')),
      };
      const met = latency.ackToSwitch.p50 < TARGET_P50_MS;
      const row = (label: string, s: Summary) => [label, s.n, s.p50, s.p90, s.p99, s.max];

      const latencyTable: Table = {
        title: `bluegreen: release click → traffic switch, ${cycles} update→release cycles (ms, client-side wall time)`,
        headers: ['interval', 'n', 'p50', 'p90', 'p99', 'max'],
        rows: [
          row('ack → traffic switch', latency.ackToSwitch),
          row('click sent → ack', latency.clickToAck),
          row('click sent → switch', latency.clickToSwitch),
          row('switch → Healthy', latency.switchToHealthy),
          row('whole cycle', latency.cycle),
        ],
        notes: [
          `target: p50 of ack → traffic switch under ${TARGET_P50_MS} ms: ${met ? 'met' : 'NOT met'} (${latency.ackToSwitch.p50.toFixed(2)} ms)`,
          `SIM_LATENCY_MS=0, CARD_COALESCE_MS=1000, SLACK_CALLS_PER_SEC=${config.SLACK_CALLS_PER_SEC}; while measuring: ${slackCallsWhileMeasuring} Slack calls (peak ${peakCallsPerSec} in 1 s), ${slackBacklogAfter} Slack jobs still queued at the end`,
        ],
      };
      const methods = [...new Set([...Object.keys(slackCalls.paused.mean), ...Object.keys(slackCalls['card-shown'].mean)])];
      const callsTable: Table = {
        title: `bluegreen: Slack Web API calls per update→release cycle (mean of ${COUNTED} cycles each, slack queue drained after each)`,
        headers: ['method', CLICK_LABEL.paused, CLICK_LABEL['card-shown']],
        rows: [
          ...methods.map((m) => [m, slackCalls.paused.mean[m] ?? 0, slackCalls['card-shown'].mean[m] ?? 0]),
          ['total', slackCalls.paused.meanTotal, slackCalls['card-shown'].meanTotal],
        ],
        notes: [
          `"${CLICK_LABEL.paused}": Release as soon as the job is Paused, as in the latency cycles (the Paused card edit is coalesced away);`,
          `"${CLICK_LABEL['card-shown']}": Release once the card shows Paused, as a person would. CARD_COALESCE_MS=1000.`,
        ],
      };

      return {
        params: {
          cycles,
          rounds,
          cyclesPerRound: CYCLES_PER_ROUND,
          warmup: WARMUP,
          countedCycles: COUNTED,
          job: `/bluegreen create ${JOB} --env ${ENV} --workload ${WORKLOAD} --image web:1`,
          cycle: `/bluegreen update ${JOB} web:<n> → Paused → click bluegreen.release "release ${JOB} @v<version>" → Healthy`,
          clock: 'ack: client receives the 200 of the click; switch: HGET serving of the simulated service returns the new slot (HGETs back to back on a separate connection)',
          drained: `slack and releases queues with no waiting, active, delayed or prioritized job at two looks ${QUIET_MS} ms apart`,
          targetP50Ms: TARGET_P50_MS,
          bot: {
            ROLE: config.ROLE,
            SIM_LATENCY_MS: config.SIM_LATENCY_MS,
            CARD_COALESCE_MS: config.CARD_COALESCE_MS,
            WORKER_CONCURRENCY: config.WORKER_CONCURRENCY,
            SLACK_CALLS_PER_SEC: config.SLACK_CALLS_PER_SEC,
          },
        },
        results: {
          unit: 'ms',
          latency,
          target: { metric: 'ackToSwitch.p50', underMs: TARGET_P50_MS, met },
          perRound,
          measuredForMs: round(measureMs, 1),
          slackCallsWhileMeasuring,
          /** Most Slack calls within any 1 s while measuring (SLACK_CALLS_PER_SEC limits slack jobs, and one thread job may post several replies). */
          peakSlackCallsPerSec: peakCallsPerSec,
          slackBacklogAfter,
          trafficSwitches: switches,
          slackCallsPerCycle: slackCalls,
          samples: Object.fromEntries((['ackToSwitch', 'clickToAck', 'clickToSwitch', 'switchToHealthy'] as const).map((f) => [f, of(f).map((x) => round(x))])),
        },
        table: [latencyTable, callsTable],
      };
    } finally {
      for (const q of queues) await q.close().catch((err: Error) => ctx.log(`queue close: ${err.message}`));
      await bot?.stop().catch((err: Error) => ctx.log(`switchyard stop: ${err.message}`));
      redis?.disconnect();
      await fake?.close().catch((err: Error) => ctx.log(`fake slack close: ${err.message}`));
    }
  },
};

/** Calls by method; chat.postMessage split into thread replies and top-level messages. */
function tally(calls: FakeSlackCall[]): Record<string, number> {
  const out: Record<string, number> = Object.fromEntries(COUNTED_METHODS.map((m) => [m, 0]));
  for (const c of calls) {
    const m = c.method === 'chat.postMessage' ? `chat.postMessage (${c.args.thread_ts ? 'thread' : 'top-level'})` : c.method;
    out[m] = (out[m] ?? 0) + 1;
  }
  return out;
}

/** The most timestamps (ms) within any 1000 ms window. */
function peakPerSecond(at: number[]): number {
  const sorted = [...at].sort((a, b) => a - b);
  let peak = 0;
  for (let lo = 0, hi = 0; hi < sorted.length; hi++) {
    while (sorted[hi]! - sorted[lo]! >= 1000) lo++;
    peak = Math.max(peak, hi - lo + 1);
  }
  return peak;
}
