/**
 * The production build, run as the image runs it: `npm run build` once (scripts/build.mjs), then
 * `node dist/main.js` as child processes — no tsx, no vitest transform. So a build that works only
 * under tsx (a chunk that cannot load, a bundled dependency that breaks, the sandbox page missing
 * from dist/) fails here. Each process gets the tests' Redis and a fake Slack (and, for
 * PLATFORM=kubernetes, the fake Kubernetes API), and is driven with real signed requests.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ReleaseTask } from '../../src/domain/release-task.js';
import { CardStore } from '../../src/store/card-store.js';
import { keys } from '../../src/store/redis.js';
import { TaskStore } from '../../src/store/task-store.js';
import { startFakeKube, type FakeKube } from '../support/fake-kube.js';
import { startFakeSlack, type FakeSlack } from '../support/fake-slack.js';
import { cleanupPrefix, testRedisUrl, uniquePrefix } from '../support/redis.js';
import { postSigned, slashCommandBody } from '../support/slack-signing.js';
import { eventually } from '../support/test-bot.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SECRET = 'compiled-signing-secret';
const TOKEN = 'xoxb-compiled';
const CHANNEL = 'C0RELEASES';
const START_TIMEOUT_MS = 20_000;

interface Started {
  child: ChildProcess;
  /** The first JSON log line whose msg is `msg`, once it is there. */
  line: Record<string, unknown>;
  output: () => string;
}

const children: ChildProcess[] = [];
const prefixes: string[] = [];
let fake: FakeSlack | undefined;
let redis: Redis | undefined;

beforeAll(() => {
  // Exactly what `npm run build` and the image's build stage run.
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'], timeout: 120_000 });
}, 130_000);

afterEach(async () => {
  await Promise.all(children.splice(0).map(stop));
  await fake?.close();
  fake = undefined;
});

afterAll(async () => {
  redis?.disconnect();
  for (const p of prefixes) await cleanupPrefix(testRedisUrl(), p);
});

/** `node dist/main.js` with `env` (and nothing of this process's but PATH, HOME and TMPDIR); resolves once it logs `msg`. */
async function startBuilt(env: Record<string, string>, msg: string): Promise<Started> {
  const child = spawn(process.execPath, ['dist/main.js'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', TMPDIR: process.env.TMPDIR ?? tmpdir(), NODE_ENV: 'production', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const find = () =>
    out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.msg === msg);
  const line = await eventually(() => {
    if (child.exitCode !== null) throw new Error(`node dist/main.js exited (${child.exitCode}) before logging "${msg}":\n${out}`);
    return find();
  }, START_TIMEOUT_MS, `"${msg}" from node dist/main.js`);
  return { child, line, output: () => out };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/** The environment of a bot in HTTP mode against the fake Slack and the tests' Redis. */
function botEnv(slack: FakeSlack, extra: Record<string, string> = {}): { env: Record<string, string>; prefix: string } {
  const prefix = uniquePrefix('compiled');
  prefixes.push(prefix);
  const env = {
    SLACK_BOT_TOKEN: TOKEN,
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_API_URL: slack.url,
    REDIS_URL: testRedisUrl(),
    REDIS_PREFIX: prefix,
    PORT: '0',
    SIM_LATENCY_MS: '20',
    CARD_COALESCE_MS: '50',
    SLACK_CALLS_PER_SEC: '100',
    ...extra,
  };
  return { env, prefix };
}

/** A signed `/release <text>` to the bot; returns the ack's text. */
async function command(base: string, slack: FakeSlack, text: string): Promise<string> {
  const res = await postSigned(
    `${base}/slack/events`,
    slashCommandBody({ command: '/release', text, user_id: 'U0ALICE', channel_id: CHANNEL, response_url: slack.responseUrl({ channel: CHANNEL, user: 'U0ALICE' }) }),
    { secret: SECRET },
  );
  expect(res.status).toBe(200);
  return (res.json as { text?: string } | undefined)?.text ?? res.body;
}

/** Creates a task and starts it, as a person would with two commands; returns when it is Released. */
async function release(base: string, slack: FakeSlack, prefix: string, text: string): Promise<ReleaseTask> {
  const ack = await command(base, slack, `create ${text}`);
  const id = /`(rt-[0-9a-z]{6})`/.exec(ack)?.[1];
  expect(id, ack).toBeDefined();
  redis ??= new Redis(testRedisUrl());
  const k = keys(prefix);
  // The card: posted by the worker side through the slack queue, recorded by the fake Slack.
  const cards = new CardStore(redis, k);
  const ref = await eventually(() => cards.get(id!), 10_000, `card of ${id} posted`);
  expect(slack.messages(ref.channel).find((m) => m.ts === ref.ts)?.text).toContain(id!);
  await command(base, slack, `start ${id}`);
  const tasks = new TaskStore(redis, k);
  return eventually(async () => {
    const t = await tasks.get(id!);
    return t?.status === 'Released' ? t : undefined;
  }, 15_000, `${id} Released`);
}

describe('the build output (node dist/main.js)', () => {
  it('answers /healthz, acks a signed slash command, posts the card and runs the release (ROLE=all)', async () => {
    fake = await startFakeSlack({ token: TOKEN });
    const { env, prefix } = botEnv(fake);
    const bot = await startBuilt(env, 'switchyard started');
    const base = `http://127.0.0.1:${bot.line.port as number}`;

    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);

    const task = await release(base, fake, prefix, 'c-1 deploy --env staging web=registry.local/web:1.0 api=registry.local/api:1.0');
    expect(task.components.map((c) => c.status)).toEqual(['Released', 'Released']);
    expect(fake.callsTo('auth.test').length).toBeGreaterThan(0);
    await eventually(() => fake!.callsTo('chat.update').some((c) => JSON.stringify(c.args).includes('Released')), 10_000, 'the card showing Released');
    fake.assertNothingRefused();
  });

  it('releases on Kubernetes with the bundled client (PLATFORM=kubernetes)', async () => {
    let kube: FakeKube | undefined;
    const kubeconfig = join(tmpdir(), `switchyard-compiled-kubeconfig-${process.pid}.yaml`);
    try {
      kube = await startFakeKube({ tickMs: 10, rbac: { namespaces: ['shop'] } });
      writeFileSync(kubeconfig, kube.kubeConfig().exportConfig());
      fake = await startFakeSlack({ token: TOKEN });
      const { env, prefix } = botEnv(fake, { PLATFORM: 'kubernetes', KUBECONFIG: kubeconfig, K8S_POLL_MS: '20', K8S_ROLLOUT_TIMEOUT_MS: '20000' });
      const bot = await startBuilt(env, 'switchyard started');
      const base = `http://127.0.0.1:${bot.line.port as number}`;

      await release(base, fake, prefix, 'k-1 deploy --env shop web=registry.local/web:1.0');
      const deployment = kube.object('Deployment', 'shop', 'web') as { spec: { template: { spec: { containers: Array<{ image: string }> } } } } | undefined;
      expect(deployment?.spec.template.spec.containers[0]?.image).toBe('registry.local/web:1.0');
      expect(kube.forbidden).toEqual([]);
    } finally {
      await Promise.all(children.splice(0).map(stop));
      await kube?.close();
      rmSync(kubeconfig, { force: true });
    }
  });

  it('runs the sandbox without Slack credentials, its page served from dist/', async () => {
    const prefix = uniquePrefix('compiled-sandbox');
    prefixes.push(prefix);
    const box = await startBuilt({ REDIS_URL: testRedisUrl(), REDIS_PREFIX: prefix, PORT: '0', SIM_LATENCY_MS: '20' }, 'switchyard started');
    const url = await eventually(() => /Open (http:\/\/localhost:\d+)/.exec(box.output())?.[1], 5000, 'the sandbox URL');
    const page = await fetch(`${url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<html');
    expect((await fetch(`${url}/app.js`)).status).toBe(200);
  });
});
