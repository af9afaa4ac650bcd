/**
 * The whole bot in HTTP mode, in this process, against the tests' redis-server and a fake Slack
 * Web API: what end-to-end tests drive with real signed requests.
 */
import { Queue } from 'bullmq';
import { pino } from 'pino';
import { loadConfig, type Config } from '../../src/config.js';
import type { BlueGreenJob, JobStatus } from '../../src/domain/bluegreen-job.js';
import type { ReleaseTask } from '../../src/domain/release-task.js';
import { start, type Running } from '../../src/bootstrap.js';
import { queuePrefix } from '../../src/jobs/queues.js';
import { SimulatedPlatform } from '../../src/platform/simulated/simulated-platform.js';
import { CardStore } from '../../src/store/card-store.js';
import { connectRedis, keys, redisSettings, type RedisClient } from '../../src/store/redis.js';
import { TaskStore } from '../../src/store/task-store.js';
import { JobStore } from '../../src/store/versioned-store.js';
import { messageRefusal, startFakeSlack, type FakeSlack, type FakeMessage } from './fake-slack.js';
import { cleanupPrefix, testClusterNodes, testRedisUrl, uniquePrefix } from './redis.js';
import { blockActionsBody, postSigned, slashCommandBody, type PostSignedResult } from './slack-signing.js';

export const SECRET = 'test-signing-secret';
export const CHANNEL = 'C0RELEASES';

export interface TestBot {
  url: string;
  config: Config;
  fake: FakeSlack;
  /** The bot's Redis (a cluster when REDIS_CLUSTER_NODES is set). */
  redis: RedisClient;
  tasks: TaskStore;
  /** The bot's blue-green jobs. */
  jobs: JobStore;
  cards: CardStore;
  platform: SimulatedPlatform;
  running: Running;
  /** POST a signed slash command; returns the HTTP response (the ack). */
  command(text: string, opts?: { user?: string; channel?: string; command?: string }): Promise<PostSignedResult>;
  /** The ephemeral text of an ack. */
  ackText(res: PostSignedResult): string;
  /** Click a button on a task's card (once it is posted), as Slack would send it. */
  click(taskId: string, actionId: string, opts?: { user?: string; value?: string }): Promise<PostSignedResult>;
  /** Create a task with a command and return its ID (from the ack). */
  create(text: string, user?: string): Promise<string>;
  waitForTask(id: string, until: (t: ReleaseTask) => boolean, timeoutMs?: number): Promise<ReleaseTask>;
  /**
   * Waits for the blue-green job `name` to be in `status`, or for `until(job)` to hold (`what` names
   * the condition in the timeout error), and returns the job.
   */
  jobUntil(name: string, until: JobStatus | ((j: BlueGreenJob) => boolean), what?: string, timeoutMs?: number): Promise<BlueGreenJob>;
  /** The task's card message as the fake Slack holds it now. */
  card(taskId: string): Promise<FakeMessage | undefined>;
  threadTexts(taskId: string): Promise<string[]>;
  stop(): Promise<void>;
}

/**
 * Starts the bot with `env` over the tests' defaults. Its Redis is the tests' redis-server, or the
 * Redis Cluster the global setup provides (or `env.REDIS_CLUSTER_NODES`).
 */
export async function startTestBot(env: Record<string, string> = {}, name = 'e2e'): Promise<TestBot> {
  const fake = await startFakeSlack();
  const prefix = uniquePrefix(name);
  const cluster = testClusterNodes();
  const config = loadConfig({
    SLACK_BOT_TOKEN: 'xoxb-test',
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_API_URL: fake.url,
    REDIS_URL: testRedisUrl(),
    ...(cluster ? { REDIS_CLUSTER_NODES: cluster } : {}),
    REDIS_PREFIX: prefix,
    PORT: '0',
    SIM_LATENCY_MS: '20',
    CARD_COALESCE_MS: '50',
    SLACK_CALLS_PER_SEC: '100',
    LOG_LEVEL: 'silent',
    ...env,
  });
  const running = await start(config, pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }));
  const url = `http://127.0.0.1:${running.port}`;
  const redisAt = redisSettings(config);
  const redis = connectRedis(redisAt, { name: 'switchyard-test' });
  const k = keys(prefix);
  const tasks = new TaskStore(redis, k);
  const jobs = new JobStore(redis, k);
  const cards = new CardStore(redis, k);
  const platform = new SimulatedPlatform(redis, k, { latencyMs: 0, failComponents: [] });

  const bot: TestBot = {
    url,
    config,
    fake,
    redis,
    tasks,
    jobs,
    cards,
    platform,
    running,
    command: (text, o = {}) => {
      const [user, channel] = [o.user ?? 'U0ALICE', o.channel ?? CHANNEL];
      // The command's late answer goes to the fake, which checks it like any message.
      const response_url = fake.responseUrl({ channel, user });
      return postSigned(
        `${url}/slack/events`,
        slashCommandBody({ command: o.command ?? '/release', text, user_id: user, channel_id: channel, response_url }),
        { secret: SECRET },
      ).then(ackSlackTakes);
    },
    ackText: (res) => {
      const body = res.json as { text?: string } | undefined;
      return body?.text ?? res.body;
    },
    async click(taskId, actionId, o = {}) {
      // A person clicks a card once it is there: the click comes from its channel and message.
      const ref = await cardPosted(bot, taskId);
      const value = o.value ?? (await cardControlValue(bot, taskId, actionId, async () => (await tasks.get(taskId))?.stateVersion));
      return postSigned(
        `${url}/slack/events`,
        blockActionsBody({ user_id: o.user ?? 'U0ALICE', channel_id: ref.channel, message_ts: ref.ts, action_id: actionId, value }),
        { secret: SECRET },
      );
    },
    async create(text, user) {
      const res = await bot.command(`create ${text}`, user ? { user } : {});
      const id = /`(rt-[0-9a-z]{6})`/.exec(bot.ackText(res))?.[1];
      if (!id) throw new Error(`create did not return an ID: ${res.status} ${bot.ackText(res)}`);
      return id;
    },
    async waitForTask(id, until, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      let last: ReleaseTask | undefined;
      while (Date.now() < deadline) {
        last = await tasks.get(id);
        if (last && until(last)) return last;
        await sleep(20);
      }
      throw new Error(`task ${id} never reached the expected state; last: ${last?.status} ${JSON.stringify(last?.components.map((c) => [c.name, c.status]))}`);
    },
    jobUntil(name, until, what, timeoutMs = 10_000) {
      const ok = typeof until === 'string' ? (j: BlueGreenJob) => j.status === until : until;
      const condition = typeof until === 'string' ? `${name} to be ${until}` : `${name}: ${what ?? 'condition'}`;
      return eventually(async () => {
        const j = await jobs.get(name);
        return j && ok(j) ? j : undefined;
      }, timeoutMs, condition);
    },
    async card(taskId) {
      const ref = await cards.get(taskId);
      return ref && fake.messages(ref.channel).find((m) => m.ts === ref.ts);
    },
    async threadTexts(taskId) {
      const ref = await cards.get(taskId);
      return ref ? fake.thread(ref.channel, ref.ts).map((m) => m.text ?? '') : [];
    },
    async stop() {
      await running.stop();
      await fake.close();
      await cleanupPrefix(redisAt, prefix);
      redis.disconnect();
      // A card or answer Slack would have refused fails the test that made it.
      fake.assertNothingRefused();
    },
  };
  return bot;
}

/** A command's ack is a message Slack checks like any other: throws on one it would refuse. */
function ackSlackTakes(res: PostSignedResult): PostSignedResult {
  if (res.status !== 200 || res.json === undefined) return res;
  const refusal = messageRefusal(res.json as Record<string, unknown>);
  if (refusal) throw new Error(`Slack would refuse this ack: ${refusal.error}${refusal.errors ? ` (${refusal.errors.join('; ')})` : ''}: ${res.body.slice(0, 300)}`);
  return res;
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Poll until `check` returns a truthy value. */
export async function eventually<T>(check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Waits until nothing is active, waiting, delayed or prioritized on the bot's slack queue. */
export async function slackIdle(b: TestBot, timeoutMs = 10_000): Promise<void> {
  const q = new Queue('slack', { connection: b.redis, prefix: queuePrefix(b.config.REDIS_PREFIX, 'slack', b.redis.isCluster) });
  try {
    await eventually(async () => {
      const c = await q.getJobCounts('active', 'waiting', 'delayed', 'prioritized');
      return Object.values(c).every((n) => n === 0);
    }, timeoutMs, 'slack queue idle');
  } finally {
    await q.close();
  }
}

/**
 * The value of the control `actionId` on the card of `cardKey` (a task ID, or `bg:<job>`), as the
 * card in the fake Slack carries it: what a person's click sends. Waits until the card shows the
 * entity as it is now (its controls carry version `current()`), as a person clicks what they see.
 */
export async function cardControlValue(b: TestBot, cardKey: string, actionId: string, current: () => Promise<number | undefined>, timeoutMs = 5000): Promise<string> {
  let seen: string[] = [];
  try {
    return await eventually(async () => {
      const ref = await b.cards.get(cardKey);
      const card = ref && b.fake.messages(ref.channel).find((m) => m.ts === ref.ts);
      const controls = ((card?.blocks ?? []) as Array<{ type: string; elements?: Array<{ action_id?: string; value?: string }> }>)
        .filter((block) => block.type === 'actions')
        .flatMap((block) => block.elements ?? []);
      seen = controls.map((c) => `${c.action_id}=${c.value}`);
      const value = controls.find((c) => c.action_id === actionId)?.value;
      const version = await current();
      return value !== undefined && value.endsWith(` @v${version}`) ? value : undefined;
    }, timeoutMs, `${actionId} on the card of ${cardKey}`);
  } catch (err) {
    throw new Error(`${(err as Error).message}; the card carries ${seen.join(', ') || 'no controls'}`);
  }
}

/** Waits until the card of task `id` has been posted, and returns where it is. */
export async function cardPosted(b: TestBot, id: string, timeoutMs = 5000): Promise<{ channel: string; ts: string }> {
  return eventually(() => b.cards.get(id), timeoutMs, `card of ${id} posted`);
}
