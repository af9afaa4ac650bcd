/**
 * End to end: how the chat answers people. A click's card edit goes out at once (not after the
 * coalesce window), a triple click starts a task once and says nothing about "out of date", a
 * task coming to rest is summed up in the environment's notify channels with a link to its card,
 * and help leads with a quick start while a mistyped subcommand gets the one suggestion that fits.
 * Real signed requests in; the fake Slack's calls and Redis state checked.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { removePolicies, writePolicy } from '../support/policy.js';
import { blockActionsBody, postSigned } from '../support/slack-signing.js';
import { SECRET, cardControlValue, cardPosted, eventually, sleep, slackIdle, startTestBot, type TestBot } from '../support/test-bot.js';

let bot: TestBot | undefined;
afterEach(async () => {
  await bot?.stop();
  bot = undefined;
});
afterAll(() => removePolicies());

/** The fake Slack's record of a chat.update of the card at `ts`, made at or after `since`. */
function updatesOf(b: TestBot, ts: string, since: number) {
  return b.fake.callsTo('chat.update').filter((c) => c.args.ts === ts && c.at >= since && !c.error);
}

describe('the card answers the click', () => {
  it("sends the click's card edit within 500 ms, not after the 2 s coalesce window", async () => {
    bot = await startTestBot({ CARD_COALESCE_MS: '2000', SIM_LATENCY_MS: '1500' }, 'chat-urgent');
    const b = bot;
    const id = await b.create('urgent deploy --env staging web=web:1.0');
    const card = await cardPosted(b, id);
    // One edit per card per window stays: the click comes once the window after the post is over.
    await sleep(2100);
    const value = await cardControlValue(b, id, 'release.start', async () => (await b.tasks.get(id))?.stateVersion);

    const clickedAt = Date.now();
    const res = await postSigned(`${b.url}/slack/events`, blockActionsBody({ user_id: 'U0BOB', channel_id: card.channel, message_ts: card.ts, action_id: 'release.start', value }), { secret: SECRET });
    expect(res.status).toBe(200);
    await eventually(() => updatesOf(b, card.ts, clickedAt).length > 0, 3000, 'the card edit after the click');
    const first = updatesOf(b, card.ts, clickedAt)[0]!;
    expect(first.at - clickedAt).toBeLessThan(500);
    // It shows what the click did: the task is Releasing (the simulated release takes 1.5 s).
    expect(String(first.args.text)).toContain('Releasing');
    expect((await b.tasks.get(id))!.status).toBe('Releasing');

    // Worker progress still coalesces: no two edits of the card within one window.
    await b.waitForTask(id, (t) => t.status === 'Released');
    await eventually(async () => String((await b.card(id))?.text).includes('Released'), 6000, 'card shows Released');
    const times = updatesOf(b, card.ts, clickedAt).map((c) => c.at);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(1900);
  });

  it('a triple click starts the task once and answers no "out of date"', async () => {
    bot = await startTestBot({ SIM_LATENCY_MS: '300' }, 'chat-triple');
    const b = bot;
    const id = await b.create('triple deploy --env staging web=web:1.0 api=api:1.0');
    const card = await cardPosted(b, id);
    const value = await cardControlValue(b, id, 'release.start', async () => (await b.tasks.get(id))?.stateVersion);
    const click = () => postSigned(`${b.url}/slack/events`, blockActionsBody({ user_id: 'U0BOB', channel_id: card.channel, message_ts: card.ts, action_id: 'release.start', value }), { secret: SECRET });

    const answers = await Promise.all([click(), sleep(40).then(click), sleep(80).then(click)]);
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200]);
    await b.waitForTask(id, (t) => t.status === 'Released');
    await slackIdle(b);

    const audit = await b.redis.xrange(`${b.config.REDIS_PREFIX}:audit`, '-', '+');
    expect(audit.map(([, f]) => f[f.indexOf('action') + 1])).toEqual(['create', 'start', 'release-finished']);
    expect(b.fake.ephemerals.filter((e) => String(e.text).includes('out of date'))).toEqual([]);
    expect(b.fake.ephemerals).toEqual([]);
    expect((await b.threadTexts(id)).filter((t) => t.startsWith('Releasing started by'))).toHaveLength(1);

    // A refused click is answered every time: only repeats of a click that went through are ignored.
    const carol = () => postSigned(`${b.url}/slack/events`, blockActionsBody({ user_id: 'U0CAROL', channel_id: card.channel, message_ts: card.ts, action_id: 'release.start', value }), { secret: SECRET });
    await carol();
    await eventually(() => b.fake.ephemerals.length === 1, 5000, 'the first refusal');
    await carol();
    await eventually(() => b.fake.ephemerals.length === 2, 5000, 'the second refusal');
    expect(b.fake.ephemerals.map((e) => e.user)).toEqual(['U0CAROL', 'U0CAROL']);
    expect(String(b.fake.ephemerals[1]!.text)).toContain('That card was out of date');
  });
});

describe('notify channels', () => {
  const POLICY = `
environments:
  production:
    channel: C0PROD
    notify: [C0ANNOUNCE, C0PROD, C0SRE]
  staging: {}
`;

  /** The top-level messages the bot posted in `channel`. */
  const linesIn = (b: TestBot, channel: string) => b.fake.messages(channel).map((m) => m.text ?? '');

  it('each notify channel gets one line with the link to the card when a task is Released, and when one fails', async () => {
    bot = await startTestBot({ SWITCHYARD_CONFIG: writePolicy(POLICY), SIM_FAIL_COMPONENTS: 'api' }, 'chat-notify');
    const b = bot;
    const ok = await b.create('web-rollout deploy --env production web=web:1.0', 'U0ALICE');
    const card = await cardPosted(b, ok);
    expect(card.channel).toBe('C0PROD');
    await b.click(ok, 'release.start', { user: 'U0BOB' });
    await b.waitForTask(ok, (t) => t.status === 'Released');
    const link = `https://switchyard-test.slack.com/archives/C0PROD/p${card.ts.replace('.', '')}`;
    const released = `:white_check_mark: *web-rollout* (\`${ok}\`) Released in production by <@U0BOB> — <${link}|view card>`;
    await eventually(() => linesIn(b, 'C0SRE').length === 1, 5000, 'the line in C0SRE');
    await eventually(() => linesIn(b, 'C0ANNOUNCE').length === 1, 5000, 'the line in C0ANNOUNCE');
    expect(linesIn(b, 'C0ANNOUNCE')).toEqual([released]);
    expect(linesIn(b, 'C0SRE')).toEqual([released]);
    // The card's own channel is not told again: it has the card (and only the card).
    expect(b.fake.messages('C0PROD').map((m) => m.ts)).toEqual([card.ts]);

    const bad = await b.create('api-broken deploy --env production api=api:2.0', 'U0ALICE');
    await b.command(`start ${bad}`, { user: 'U0CAROL' });
    await b.waitForTask(bad, (t) => t.status === 'Release failed');
    const badCard = await cardPosted(b, bad);
    await eventually(() => linesIn(b, 'C0SRE').length === 2, 5000, 'the failure line');
    expect(linesIn(b, 'C0SRE')[1]).toBe(
      `:x: *api-broken* (\`${bad}\`) Release failed in production, started by <@U0CAROL> — <https://switchyard-test.slack.com/archives/C0PROD/p${badCard.ts.replace('.', '')}|view card>`,
    );
    expect(linesIn(b, 'C0ANNOUNCE')).toHaveLength(2);

    // Staging lists no notify channels: its releases stay in their own channel.
    const quiet = await b.create('quiet deploy --env staging web=web:1.0');
    await b.command(`start ${quiet}`);
    await b.waitForTask(quiet, (t) => t.status === 'Released');
    await slackIdle(b);
    expect(linesIn(b, 'C0SRE')).toHaveLength(2);
    expect(b.fake.callsTo('chat.postMessage').filter((c) => c.args.channel === 'C0SRE' || c.args.channel === 'C0ANNOUNCE')).toHaveLength(4);
  });

  it('a blue-green job coming to rest is told the same way, crediting who released it', async () => {
    bot = await startTestBot({ SWITCHYARD_CONFIG: writePolicy(POLICY) }, 'chat-notify-bg');
    const b = bot;
    const bg = (text: string, user: string) => b.command(text, { command: '/bluegreen', user });
    await bg('create web --env production --workload web --image web:1.0', 'U0ALICE');
    await b.jobUntil('web', 'Healthy');
    const card = await cardPosted(b, 'bg:web');
    const link = `<https://switchyard-test.slack.com/archives/C0PROD/p${card.ts.replace('.', '')}|view card>`;
    await eventually(() => linesIn(b, 'C0SRE').length === 1, 5000, 'the line for the created job');
    expect(linesIn(b, 'C0SRE')).toEqual([`:large_green_circle: blue-green job *web* Healthy in production by <@U0ALICE> — ${link}`]);

    await bg('update web web:2.0', 'U0ALICE');
    await b.jobUntil('web', 'Paused');
    await eventually(() => linesIn(b, 'C0SRE').length === 2, 5000, 'the line for the paused update');
    await bg('release web', 'U0BOB');
    await b.jobUntil('web', (j) => j.status === 'Healthy' && j.history.length > 0, 'web:2.0 released');
    await eventually(() => linesIn(b, 'C0SRE').length === 3, 5000, 'the line for the release');
    expect(linesIn(b, 'C0SRE').slice(1)).toEqual([
      `:double_vertical_bar: blue-green job *web* Paused in production by <@U0ALICE> — ${link}`,
      `:large_green_circle: blue-green job *web* Healthy in production by <@U0BOB> — ${link}`,
    ]);
  });
});

describe('help', () => {
  it('/release help leads with a three-line quick start; help <subcommand> has the details; a typo gets the one suggestion that fits', async () => {
    bot = await startTestBot({}, 'chat-help');
    const b = bot;
    const help = b.ackText(await b.command('help'));
    const lines = help.split('\n');
    expect(lines.slice(1, 5)).toEqual([
      '*Quick start*',
      '1. `/release create web-1.4 deploy --env staging web=registry.example.com/web:1.4` creates a task and posts its card here',
      '2. Click *Release* on the card (or `/release start rt-7k2f9q`) to release it; the card and its thread follow the run',
      '3. `/release list` shows the tasks; `/release show rt-7k2f9q` shows one in detail',
    ]);
    expect(lines.length).toBeLessThanOrEqual(12);
    expect(help).not.toContain('• `/release'); // no usage bullets: those are in help <subcommand>

    const start = b.ackText(await b.command('help start'));
    expect(start.split('\n')[0]).toBe('*`/release start`*');
    expect(start).toContain('e.g. `/release start rt-7k2f9q --at 22:00`');

    const typo = await b.command('strat rt-1');
    expect(b.ackText(typo)).toBe('Unknown subcommand `strat`. Did you mean `/release start rt-1`? `/release help` lists them all.');
    const bgTypo = await b.command('relase web', { command: '/bluegreen' });
    expect(b.ackText(bgTypo)).toBe('Unknown subcommand `relase`. Did you mean `/bluegreen release web`? `/bluegreen help` lists them all.');
    const bgHelp = b.ackText(await b.command('help', { command: '/bluegreen' }));
    expect(bgHelp).toContain('*Quick start*\n1. `/bluegreen create web');
    // Nothing was done, nothing was said anywhere else.
    expect(await b.tasks.list()).toEqual([]);
    expect(b.fake.callsTo('chat.postMessage')).toEqual([]);
  });
});

