/**
 * /healthz, /readyz and /metrics, in the web+worker process and in a worker-only process.
 */
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { start, type Running } from '../../src/bootstrap.js';
import { queuePrefix } from '../../src/jobs/queues.js';
import { eventually, startTestBot, type TestBot } from '../support/test-bot.js';

let bot: TestBot | undefined;
let worker: Running | undefined;
afterEach(async () => {
  await worker?.stop();
  worker = undefined;
  await bot?.stop();
  bot = undefined;
});

describe('probes and metrics', () => {
  it('serves health, readiness and Prometheus metrics with queue counts, operations and ack latency', async () => {
    bot = await startTestBot({}, 'probes');
    expect((await fetch(`${bot.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${bot.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ready: true, redis: true, workers: true });

    const id = await bot.create('m deploy --env dev a=img:1');
    await bot.command(`start ${id}`);
    await bot.command('start rt-zzzzzz');
    await bot.command('create nonsense');
    await bot.waitForTask(id, (t) => t.status === 'Released');

    // The run's job completes just after the task is settled.
    const text = await eventually(async () => {
      const t = await (await fetch(`${bot!.url}/metrics`)).text();
      return /^switchyard_queue_jobs\{queue="releases",state="completed"\} 1$/m.test(t) ? t : undefined;
    }, 5000, 'completed run job in metrics');
    expect(text).toMatch(/^switchyard_queue_jobs\{queue="slack",state="waiting"\} \d+$/m);
    expect(text).toMatch(/^switchyard_operations_total\{type="start",outcome="accepted"\} 1$/m);
    expect(text).toMatch(/^switchyard_operations_total\{type="start",outcome="refused"\} 1$/m);
    expect(text).toMatch(/^switchyard_operations_total\{type="command",outcome="invalid"\} 1$/m);
    expect(text).toMatch(/^switchyard_operations_total\{type="release",outcome="Released"\} 1$/m);
    expect(text).toMatch(/^switchyard_ack_latency_seconds_count 4$/m);
    expect(text).toMatch(/^switchyard_ack_latency_seconds_bucket\{le="\+Inf"\} 4$/m);
  });

  it('a worker-only process serves the probes on its own port, and is not ready once its workers stop', async () => {
    bot = await startTestBot({ ROLE: 'web' }, 'probes-worker');
    expect(await (await fetch(`${bot.url}/readyz`)).json()).toEqual({ ready: true, redis: true });
    worker = await start(
      loadConfig({ ROLE: 'worker', SLACK_BOT_TOKEN: 'xoxb-t', REDIS_URL: bot.config.REDIS_URL, REDIS_PREFIX: bot.config.REDIS_PREFIX, PORT: '0', SLACK_API_URL: bot.config.SLACK_API_URL }),
      pino({ level: 'silent' }),
    );
    const url = `http://127.0.0.1:${worker.port}`;
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${url}/readyz`)).json()).toEqual({ ready: true, redis: true, workers: true });
    expect((await fetch(`${url}/slack/events`, { method: 'POST' })).status).toBe(404);
    await worker.workers!.close();
    const after = await fetch(`${url}/readyz`);
    expect(after.status).toBe(503);
    expect(await after.json()).toEqual({ ready: false, redis: true, workers: false });
  });
});

describe('start-up failures', () => {
  it('a taken port rejects start() and closes what it had opened', async () => {
    bot = await startTestBot({}, 'port-taken');
    const clash = loadConfig({ SLACK_BOT_TOKEN: 'xoxb-t', SLACK_SIGNING_SECRET: 's', REDIS_URL: bot.config.REDIS_URL, REDIS_PREFIX: bot.config.REDIS_PREFIX, PORT: String(bot.running.port), SLACK_API_URL: bot.config.SLACK_API_URL, ROLE: 'worker' });
    await expect(start(clash, pino({ level: 'silent' }))).rejects.toThrow(/EADDRINUSE/);
    // Its workers were closed: only the running bot's workers are registered on the queue.
    const { Queue } = await import('bullmq');
    const q = new Queue('releases', { connection: bot.redis, prefix: queuePrefix(bot.config.REDIS_PREFIX, 'releases', bot.redis.isCluster) });
    await eventually(async () => (await q.getWorkersCount()) === 1, 5000, 'only one worker left');
    await q.close();
  });
});
