/** The whole bot as the benchmarks run it: ROLE=all, HTTP mode, a fake Slack, SIM_LATENCY_MS=0. */
import { pino } from 'pino';
import { loadConfig, type Config } from '../../src/config.js';
import { start, type Running } from '../../src/bootstrap.js';
import { startFakeSlack, type FakeSlack } from '../../test/support/fake-slack.js';
import type { BenchContext } from './types.js';

export const BENCH_SECRET = 'bench-signing-secret';

/** Starts the fake Slack, then the bot against it; `env` overrides the defaults. */
export async function startBenchBot(ctx: BenchContext, env: Record<string, string> = {}): Promise<{ fake: FakeSlack; bot: Running; config: Config }> {
  const fake = await startFakeSlack({ token: 'xoxb-bench' });
  try {
    const config = loadConfig({
      ROLE: 'all',
      SLACK_BOT_TOKEN: 'xoxb-bench',
      SLACK_SIGNING_SECRET: BENCH_SECRET,
      SLACK_API_URL: fake.url,
      REDIS_URL: ctx.redisUrl,
      REDIS_PREFIX: ctx.prefix,
      PORT: '0',
      SIM_LATENCY_MS: '0',
      LOG_LEVEL: 'silent',
      ...env,
    });
    return { fake, config, bot: await start(config, pino({ level: 'silent' })) };
  } catch (err) {
    await fake.close();
    throw err;
  }
}
