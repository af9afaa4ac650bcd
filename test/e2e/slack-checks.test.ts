/**
 * What Slack checks, end to end against the fake that checks it too: the bot token (a wrong one
 * stops the bot at start), the 3-second ack (a slow command is acked with "Working on it…" and
 * answered through its response_url), and Block Kit's limits on the largest things the bot shows
 * (every card, edit and answer of a 200-component task; test-bot.ts fails a test on any refusal).
 */
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { start } from '../../src/bootstrap.js';
import { startFakeSlack } from '../support/fake-slack.js';
import { removePolicies, writePolicy } from '../support/policy.js';
import { cleanupPrefix, testRedisUrl, uniquePrefix } from '../support/redis.js';
import { CHANNEL, SECRET, cardPosted, eventually, slackIdle, startTestBot, type TestBot } from '../support/test-bot.js';

let bot: TestBot | undefined;
afterEach(async () => {
  await bot?.stop();
  bot = undefined;
  removePolicies();
});

describe('the bot token', () => {
  it('a token Slack does not take stops the bot at start (invalid_auth)', async () => {
    const fake = await startFakeSlack();
    const prefix = uniquePrefix('wrong-token');
    try {
      const config = loadConfig({
        SLACK_BOT_TOKEN: 'xoxb-not-the-bots',
        SLACK_SIGNING_SECRET: SECRET,
        SLACK_API_URL: fake.url,
        REDIS_URL: testRedisUrl(),
        REDIS_PREFIX: prefix,
        PORT: '0',
        LOG_LEVEL: 'silent',
      });
      const err = await start(config, pino({ level: 'silent' })).then(
        async (running) => {
          await running.stop();
          throw new Error('the bot started with a token Slack refused');
        },
        (e: unknown) => e as Error,
      );
      expect(err).toBeInstanceOf(ConfigError);
      expect(err.message).toContain('SLACK_BOT_TOKEN was refused by Slack (invalid_auth)');
      expect(fake.callsTo('auth.test').map((c) => [c.token, c.error])).toEqual([['xoxb-not-the-bots', 'invalid_auth']]);
    } finally {
      await fake.close();
      await cleanupPrefix(testRedisUrl(), prefix);
    }
  });
});

describe('the 3-second ack', () => {
  it('a command slower than 2.5 s is acked "Working on it…", and its answer comes through the response_url', async () => {
    // Only the S0OPS group may create: the first create reads its members from Slack, which is slow today.
    bot = await startTestBot({ SWITCHYARD_CONFIG: writePolicy('operators: [S0OPS]\n') }, 'slow-ack');
    bot.fake.setUsergroup('S0OPS', ['U0ALICE']);
    bot.fake.slowNext('usergroups.users.list', 3500);

    const t0 = Date.now();
    const ack = await bot.command('create slow-one deploy --env stage web=registry.local/web:1.0');
    const ackMs = Date.now() - t0;
    expect(ack.status).toBe(200);
    expect(bot.ackText(ack)).toBe('Working on it…');
    expect(ackMs).toBeGreaterThanOrEqual(2400);
    expect(ackMs).toBeLessThan(3000);
    expect(bot.fake.responses).toEqual([]); // the answer is not there yet

    const fake = bot.fake;
    const [answer] = await eventually(() => (fake.responses.length > 0 ? fake.responses : undefined), 5000, 'the answer at the response_url');
    expect(answer).toMatchObject({ channel: CHANNEL, user: 'U0ALICE', response_type: 'ephemeral', replace_original: false });
    const id = /`(rt-[0-9a-z]{6})`/.exec(answer!.text ?? '')?.[1];
    expect(id, `the answer names the task: ${answer!.text}`).toBeDefined();
    expect(fake.callsTo('response_url').map((c) => c.status)).toEqual([200]);
    // It is what the user sees, privately; and the task is there with its card.
    expect(fake.ephemerals.map((e) => [e.user, e.text])).toContainEqual(['U0ALICE', answer!.text]);
    await cardPosted(bot, id!);
    expect((await bot.tasks.get(id!))?.name).toBe('slow-one');
  });
});

describe("Block Kit's limits on the largest things the bot shows", () => {
  /** A name of the longest kind the grammar takes (63 characters), numbered. */
  const longName = (i: number) => `${'component-with-a-very-long-name'.padEnd(59, '-x')}-${String(i).padStart(3, '0')}`;
  /** An image of the longest kind (255 characters); a tag ending in -broken never becomes ready. */
  const longImage = (i: number, broken = false) => {
    const tag = broken ? `${i}-broken` : String(i);
    return `registry.example.com/${'r'.repeat(255 - 'registry.example.com/'.length - tag.length - 1)}:${tag}`;
  };

  /** Runs the task to its end and asks for everything about it; every ack is checked (test-bot.ts). */
  async function runAndAsk(b: TestBot, id: string, env: string): Promise<void> {
    await cardPosted(b, id);
    await b.command(`start ${id}`);
    await b.waitForTask(id, (t) => t.status === 'Release failed', 60_000);
    await slackIdle(b, 20_000);
    for (const text of [`show ${id}`, `list --env ${env}`, 'list', `components ${env}`, `audit ${id}`, `audit --env ${env}`]) {
      expect((await b.command(text)).status, text).toBe(200);
    }
    // Every card post and edit and every thread reply was taken (stop() checks again at the end).
    expect(b.fake.refusals()).toEqual([]);
    expect(b.fake.callsTo('chat.update').length).toBeGreaterThan(0);
    expect((await b.card(id))?.blocks?.length).toBeLessThanOrEqual(50);
  }

  it('a task of 200 components, 40 failing, with the longest task name and description', async () => {
    bot = await startTestBot({ SIM_LATENCY_MS: '1' }, 'big-task');
    // Slack sends at most 4,000 characters of command text: 200 components fit with short names.
    const comps = Array.from({ length: 200 }, (_, i) => `c${i}=r:${i}${i % 5 === 0 ? '-broken' : ''}`);
    const id = await bot.create(`${'t'.repeat(80)} deploy --env big ${comps.join(' ')} --desc "${'d'.repeat(200)}" --parallel 32 --best-effort`);
    await runAndAsk(bot, id, 'big');
    expect((await bot.tasks.get(id))?.components.filter((c) => c.status === 'Release failed')).toHaveLength(40);
  });

  it('a task listed one component per line, with the longest names and images', async () => {
    bot = await startTestBot({ SIM_LATENCY_MS: '1' }, 'long-lines');
    const comps = Array.from({ length: 11 }, (_, i) => `${longName(i)}=${longImage(i, i % 2 === 0)}`);
    expect([longName(0).length, longImage(0, true).length, longImage(1).length]).toEqual([63, 255, 255]);
    const id = await bot.create(`${'t'.repeat(80)} deploy --env long ${comps.join(' ')} --parallel 11 --best-effort`);
    await runAndAsk(bot, id, 'long');
  });

  it('an environment of 200 components with the longest names and images', async () => {
    bot = await startTestBot({}, 'big-env');
    for (let i = 0; i < 200; i++) {
      await bot.platform.deploy({ opId: `seed-${i}`, env: 'wide', name: longName(i), image: longImage(i), replicas: 3 });
    }
    const ack = await bot.command('components wide');
    expect(bot.ackText(ack)).toBeTruthy();
    const blocks = (ack.json as { blocks?: unknown[] }).blocks;
    expect(blocks?.length).toBeGreaterThan(1);
  });
});
