/**
 * End to end: outgoing webhooks. A policy file gives environments `webhooks: [{ url, secret }]`;
 * a local HTTP receiver records what arrives. A released task and a blue-green update are each
 * POSTed once, signed over timestamp and body; a receiver that fails is retried with backoff
 * (WEBHOOK_BACKOFF_MS kept small here) and one that is down never touches the release.
 */
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Queue } from 'bullmq';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PublishedTask } from '../../src/domain/published.js';
import { queuePrefix } from '../../src/jobs/queues.js';
import { removePolicies, writePolicy } from '../support/policy.js';
import { eventually, startTestBot, type TestBot } from '../support/test-bot.js';

const SECRET = 'whsec-e2e-0123456789abcdef';
const OTHER_SECRET = 'whsec-e2e-fedcba9876543210';

interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A webhook receiver: records every request; answers each path from its queue of statuses, then 200. */
class Receiver {
  readonly received: Received[] = [];
  private readonly answers = new Map<string, number[]>();
  private server!: Server;
  port = 0;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const path = req.url ?? '/';
        this.received.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        const status = this.answers.get(path)?.shift() ?? 200;
        res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'no');
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** The next answers to `path`, in order. */
  answer(path: string, ...statuses: number[]): void {
    this.answers.set(path, statuses);
  }

  at(path: string): Received[] {
    return this.received.filter((r) => r.path === path);
  }

  close(): Promise<void> {
    return new Promise((r) => {
      this.server.close(() => r());
      this.server.closeAllConnections();
    });
  }
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const signature = (secret: string, r: Received) =>
  `v1=${createHmac('sha256', secret).update(`${String(r.headers['x-switchyard-timestamp'])}.${r.body}`).digest('hex')}`;

async function webhookMetric(b: TestBot, outcome: string): Promise<number> {
  const text = await (await fetch(`${b.url}/metrics`)).text();
  return Number(new RegExp(`^switchyard_webhook_deliveries_total\\{outcome="${outcome}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? NaN);
}

const receiver = new Receiver();
let downPort = 0;
let bot: TestBot;

beforeAll(async () => {
  await receiver.start();
  downPort = await closedPort();
});
afterAll(async () => {
  await receiver.close();
  removePolicies();
});
afterEach(async () => {
  await bot?.stop();
});

async function startBot(name: string): Promise<TestBot> {
  const base = `http://127.0.0.1:${receiver.port}`;
  const policy = `
environments:
  staging:
    webhooks:
      - { url: "${base}/staging", secret: "${SECRET}" }
      - { url: "${base}/staging-audit", secret: "${OTHER_SECRET}" }
  flaky:
    webhooks: [{ url: "${base}/flaky", secret: "${SECRET}" }]
  down:
    webhooks: [{ url: "http://127.0.0.1:${downPort}/never", secret: "${SECRET}" }]
  quiet: {}
`;
  bot = await startTestBot({ SWITCHYARD_CONFIG: writePolicy(policy), WEBHOOK_BACKOFF_MS: '20' }, name);
  return bot;
}

async function release(text: string): Promise<string> {
  const id = await bot.create(text);
  await bot.command(`start ${id}`);
  await bot.waitForTask(id, (t) => t.status === 'Released');
  return id;
}

describe('outgoing webhooks', () => {
  it('POSTs a released task once to each webhook of its environment, signed with that webhook\'s secret', async () => {
    await startBot('hooks-task');
    const id = await release('web-1 deploy --env staging web=registry.local/web:1.0x2 api=registry.local/api:1.0 --desc "first"');

    const [hook] = await eventually(() => (receiver.at('/staging').length ? receiver.at('/staging') : undefined), 5000, 'webhook POST');
    const [audit] = await eventually(() => (receiver.at('/staging-audit').length ? receiver.at('/staging-audit') : undefined), 5000, 'second webhook POST');
    expect(hook!.headers['content-type']).toBe('application/json');
    expect(hook!.headers['user-agent']).toBe('switchyard');
    expect(hook!.headers['x-switchyard-signature']).toBe(signature(SECRET, hook!));
    expect(audit!.headers['x-switchyard-signature']).toBe(signature(OTHER_SECRET, audit!));
    expect(hook!.headers['x-switchyard-signature']).not.toBe(signature(OTHER_SECRET, hook!));
    expect(Math.abs(Number(hook!.headers['x-switchyard-timestamp']) - Date.now() / 1000)).toBeLessThan(60);
    expect(hook!.headers['x-switchyard-delivery']).toBe(`settled-task-${id}-1-released-hook-0`);
    expect(audit!.headers['x-switchyard-delivery']).toBe(`settled-task-${id}-1-released-hook-1`);

    const body = JSON.parse(hook!.body) as Record<string, unknown> & { task: Record<string, unknown> & { components: unknown[] } };
    expect(body).toMatchObject({ event: 'task.settled', status: 'Released', run: 1 });
    expect(Date.parse(String(body.sentAt))).not.toBeNaN();
    expect(body.task).toMatchObject({
      id, name: 'web-1', env: 'staging', status: 'Released', operation: 'deploy', description: 'first', createdBy: 'U0ALICE', startedBy: 'U0ALICE', run: 1,
    });
    // The same shape as the HTTP API's GET /api/v1/tasks/{id}.
    expect(PublishedTask.parse(body.task)).toBeTruthy();
    expect(body.task.components).toEqual([
      expect.objectContaining({ name: 'web', status: 'Released', image: 'registry.local/web:1.0', replicas: 2 }),
      expect.objectContaining({ name: 'api', status: 'Released', image: 'registry.local/api:1.0', replicas: 1 }),
    ]);

    // An upgrade says what each component ran before; a task elsewhere tells nobody.
    const up = await release('web-2 upgrade --env staging web=registry.local/web:2.0');
    const second = await eventually(() => receiver.at('/staging').find((r) => r.body.includes(up)), 5000, 'upgrade POST');
    expect((JSON.parse(second.body) as { task: { components: unknown[] } }).task.components).toEqual([
      expect.objectContaining({ name: 'web', status: 'Released', image: 'registry.local/web:2.0', previousImage: 'registry.local/web:1.0' }),
    ]);
    await release('q deploy --env quiet q=q:1');
    await eventually(async () => (await webhookMetric(bot, 'delivered')) === 4, 5000, 'four deliveries counted');
    expect(receiver.received.filter((r) => r.body.includes(id))).toHaveLength(2); // once per webhook, no repeats

    // The secret is read from the policy at delivery: it is in no queued job.
    const events = new Queue('events', { connection: bot.redis, prefix: queuePrefix(bot.config.REDIS_PREFIX, 'events', bot.redis.isCluster) });
    try {
      const jobs = await events.getJobs(['completed', 'failed', 'waiting', 'delayed', 'active']);
      expect(jobs.map((j) => j.name)).toEqual(expect.arrayContaining(['events.settled', 'webhook.deliver']));
      expect(JSON.stringify(jobs.map((j) => j.data))).not.toContain(SECRET.slice(6));
    } finally {
      await events.close();
    }
  });

  it('retries a failing receiver with backoff: 500, 500, then delivered on the third attempt', async () => {
    await startBot('hooks-retry');
    receiver.answer('/flaky', 500, 500);
    const id = await release('f1 deploy --env flaky a=a:1');
    const attempts = await eventually(() => {
      const got = receiver.at('/flaky').filter((r) => r.body.includes(id));
      return got.length >= 3 ? got : undefined;
    }, 10_000, 'three attempts');
    // The same delivery each time, signed anew with the time of each attempt.
    expect(new Set(attempts.map((a) => a.headers['x-switchyard-delivery']))).toEqual(new Set([`settled-task-${id}-1-released-hook-0`]));
    for (const a of attempts) expect(a.headers['x-switchyard-signature']).toBe(signature(SECRET, a));
    await eventually(async () => (await webhookMetric(bot, 'delivered')) === 1, 5000, 'delivered counted');
    expect(await webhookMetric(bot, 'retried')).toBe(2);
    expect(await webhookMetric(bot, 'failed')).toBe(0);
    expect(receiver.at('/flaky').filter((r) => r.body.includes(id))).toHaveLength(3);
  });

  it('tells a blue-green job coming to rest: Healthy at create, Paused after an update', async () => {
    await startBot('hooks-bg');
    const bg = (text: string) => bot.command(text, { command: '/bluegreen' });
    await bg('create shop --env staging --workload shop --image shop:1.0');
    await bot.jobUntil('shop', 'Healthy');
    await bg('update shop shop:2.0');
    await bot.jobUntil('shop', 'Paused');
    const bodies = await eventually(() => {
      const got = receiver.at('/staging').map((r) => JSON.parse(r.body) as { event: string; status: string; run: number; job?: Record<string, unknown> });
      const shop = got.filter((b) => b.job?.name === 'shop');
      return shop.length >= 2 ? shop : undefined;
    }, 5000, 'two blue-green POSTs');
    expect(bodies.map((b) => [b.event, b.status, b.run])).toEqual([
      ['bluegreen.settled', 'Healthy', 1],
      ['bluegreen.settled', 'Paused', 2],
    ]);
    expect(bodies[1]!.job).toMatchObject({
      name: 'shop', env: 'staging', workload: 'shop', status: 'Paused', active: 'blue',
      versions: [{ slot: 'blue', revision: 1, image: 'shop:1.0', labels: ['Active', 'Stable'] }, { slot: 'green', revision: 2, image: 'shop:2.0', labels: ['New'] }],
      pending: { slot: 'green', revision: 2, image: 'shop:2.0', by: 'U0ALICE' },
    });
  });

  it('a receiver that is down changes nothing in the release; the delivery gives up and is counted', async () => {
    await startBot('hooks-down');
    const id = await release('d1 deploy --env down a=a:1 b=b:1');
    const task = await bot.tasks.get(id);
    expect(task!.status).toBe('Released');
    expect(task!.components.every((c) => c.status === 'Released')).toBe(true);
    // Eight attempts, 20 ms doubling: given up within a few seconds.
    await eventually(async () => (await webhookMetric(bot, 'failed')) === 1, 15_000, 'delivery given up');
    expect(await webhookMetric(bot, 'retried')).toBe(7);
    expect(await webhookMetric(bot, 'delivered')).toBe(0);
    const thread = await eventually(async () => {
      const t = await bot.threadTexts(id);
      return t.some((s) => s.startsWith('Released in')) ? t : undefined;
    }, 5000, 'thread summary');
    expect(thread.join('\n')).not.toMatch(/webhook/i);
  });
});
