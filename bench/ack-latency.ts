/**
 * Scenario "ack-latency": how long Slack waits for the ack of `/release create …` from the whole
 * bot (ROLE=all: HTTP receiver, Redis store, queues and workers in one process) compared with a
 * bare Bolt app whose /release listener acks at once. The bare app is the floor set by Bolt,
 * Node's HTTP server and signature checking; the ratio is what Switchyard adds on top.
 *
 * Bursts of CONCURRENCY requests go to one target at a time, alternating switchyard and bare so
 * both share the machine's noise; each request has a distinct task name.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { App, HTTPReceiver, LogLevel } from '@slack/bolt';
import type { Running } from '../src/bootstrap.js';
import type { FakeSlack } from '../test/support/fake-slack.js';
import { startLoadClient, type LoadClient } from './lib/load-client.js';
import type { BurstReply } from './lib/protocol.js';
import { BENCH_SECRET, startBenchBot } from './lib/bot.js';
import { round, summarize, type Summary } from './lib/stats.js';
import type { BenchContext, Scenario, ScenarioResult } from './lib/types.js';

const SECRET = BENCH_SECRET;
const COMMAND = '/release';
const DEFAULT_ROUNDS = 10;
const CONCURRENCY = 50;
const WARMUP = 20;
/** Quiet time between bursts, the same before every burst of either target. */
const GAP_MS = 100;
const EXPECT_CREATED = 'Created release task';

type Target = 'switchyard' | 'bare';

export const ackLatency: Scenario = {
  name: 'ack-latency',
  description: `/release create acks: whole bot vs bare Bolt, ${CONCURRENCY} concurrent per burst`,
  async run(ctx: BenchContext): Promise<ScenarioResult> {
    const rounds = ctx.rounds ?? DEFAULT_ROUNDS;
    let fake: FakeSlack | undefined;
    let bot: Running | undefined;
    let bare: App | undefined;
    let load: LoadClient | undefined;
    try {
      const started = await startBenchBot(ctx);
      ({ fake, bot } = started);
      const config = started.config;
      const bareStarted = await startBareBolt();
      bare = bareStarted.app;
      load = await startLoadClient();

      const urls: Record<Target, string> = {
        switchyard: `http://127.0.0.1:${bot.port}/slack/events`,
        bare: `http://127.0.0.1:${bareStarted.port}/slack/events`,
      };
      let seq = 0;
      const client = load;
      const fire = async (target: Target, count: number): Promise<BurstReply> => {
        const texts = Array.from({ length: count }, () => `create bench-${++seq} deploy --env bench c=img:1`);
        const reply = await client.burst({
          url: urls[target],
          secret: SECRET,
          command: COMMAND,
          texts,
          ...(target === 'switchyard' ? { expectBody: EXPECT_CREATED } : {}),
        });
        if (reply.failed > 0) {
          throw new Error(`${target}: ${reply.failed} of ${count} requests failed, e.g. ${JSON.stringify(reply.failures)}`);
        }
        return reply;
      };

      ctx.log(`warm-up: ${WARMUP} requests each`);
      await fire('switchyard', WARMUP);
      await fire('bare', WARMUP);

      const samples: Record<Target, number[]> = { switchyard: [], bare: [] };
      const newConnections: Record<Target, number> = { switchyard: 0, bare: 0 };
      const perRound: Array<Record<Target, { p50: number; p99: number }>> = [];
      for (let r = 1; r <= rounds; r++) {
        const row = {} as Record<Target, { p50: number; p99: number }>;
        for (const target of ['switchyard', 'bare'] as const) {
          await sleep(GAP_MS);
          const reply = await fire(target, CONCURRENCY);
          samples[target].push(...reply.samples);
          newConnections[target] += reply.newConnections;
          const s = summarize(reply.samples);
          row[target] = { p50: s.p50, p99: s.p99 };
        }
        perRound.push(row);
        ctx.log(`round ${r}/${rounds}: switchyard p50 ${row.switchyard.p50.toFixed(2)} ms, bare p50 ${row.bare.p50.toFixed(2)} ms`);
      }

      const sy = summarize(samples.switchyard);
      const bb = summarize(samples.bare);
      const ratio = { p50: round(sy.p50 / bb.p50, 2), p99: round(sy.p99 / bb.p99, 2) };
      const cardsPosted = fake.callsTo('chat.postMessage').length;
      const row = (label: string, s: Summary) => [label, s.n, s.p50, s.p90, s.p99, s.max];
      return {
        params: {
          concurrency: CONCURRENCY,
          rounds,
          warmup: WARMUP,
          gapMs: GAP_MS,
          command: `${COMMAND} create bench-N deploy --env bench c=img:1`,
          order: 'per round: switchyard burst, then bare burst',
          client: 'separate Node process, node:http keep-alive agent, wall time per request (performance.now)',
          bot: { ROLE: config.ROLE, SIM_LATENCY_MS: config.SIM_LATENCY_MS, WORKER_CONCURRENCY: config.WORKER_CONCURRENCY, SLACK_CALLS_PER_SEC: config.SLACK_CALLS_PER_SEC },
        },
        results: {
          unit: 'ms',
          switchyard: sy,
          bare: bb,
          ratio,
          perRound,
          /** Measured requests that opened a TCP connection rather than reusing a keep-alive one. */
          newConnections,
          cardsPostedDuringRun: cardsPosted,
          samples: { switchyard: samples.switchyard.map((x) => round(x)), bare: samples.bare.map((x) => round(x)) },
        },
        table: {
          title: `ack-latency: ${COMMAND} create, ${CONCURRENCY} concurrent x ${rounds} rounds (ms, client-side wall time)`,
          headers: ['target', 'n', 'p50', 'p90', 'p99', 'max'],
          rows: [row('switchyard', sy), row('bare bolt', bb), ['ratio sy/bare', '', `${ratio.p50.toFixed(2)}x`, '', `${ratio.p99.toFixed(2)}x`, '']],
          notes: [
            `every switchyard ack said "${EXPECT_CREATED}"; new TCP connections while measuring: switchyard ${newConnections.switchyard}, bare ${newConnections.bare}`,
          ],
        },
      };
    } finally {
      await load?.close().catch((err: Error) => ctx.log(`load client close: ${err.message}`));
      await bare?.stop().catch((err: Error) => ctx.log(`bare bolt stop: ${err.message}`));
      await bot?.stop().catch((err: Error) => ctx.log(`switchyard stop: ${err.message}`));
      await fake?.close().catch((err: Error) => ctx.log(`fake slack close: ${err.message}`));
    }
  },
};

/** A Bolt app in HTTP mode with one /release listener that acks at once: the floor. */
async function startBareBolt(): Promise<{ app: App; port: number }> {
  const app = new App({
    signingSecret: SECRET,
    token: 'xoxb-x',
    botId: 'B',
    botUserId: 'U',
    tokenVerificationEnabled: false,
    logLevel: LogLevel.ERROR,
    receiver: new HTTPReceiver({ signingSecret: SECRET, endpoints: '/slack/events', logLevel: LogLevel.ERROR }),
  });
  app.command(COMMAND, async ({ ack }) => ack());
  const server = (await app.start(0)) as Server;
  return { app, port: (server.address() as AddressInfo).port };
}
