/**
 * End to end: what cards and threads say about time and size. Durations summed over every run
 * (suspend and resume), "under 1 s" for short runs, no relative time in anything sent to Slack,
 * a large task's card (the plan before the release, a progress bar and five names in flight while
 * releasing), and a rollback that leaves no stale "Release failed" on the card.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ReleaseTask } from '../../src/domain/release-task.js';
import { shortDuration } from '../../src/text.js';
import { eventually, slackIdle, startTestBot, type TestBot } from '../support/test-bot.js';
import type { PostSignedResult } from '../support/slack-signing.js';

let bot: TestBot | undefined;
afterEach(async () => {
  await bot?.stop();
  bot = undefined;
});

/** Relative time that a sent message would freeze: "3m ago", "(1s ago)", "in 5m", "running for 2m". */
const RELATIVE = /\b\d+\s?(s|m|h|d|w|mo|y|sec|secs|min|mins|hours?|days?) ago\b|\bago\)|\bin \d+\s?[smhd]\b|\brunning for\b/;

async function threadLine(b: TestBot, id: string, prefix: string): Promise<string> {
  const lines = await eventually(async () => {
    const t = await b.threadTexts(id);
    return t.some((s) => s.startsWith(prefix)) ? t : undefined;
  }, 10_000, `thread line "${prefix}"`);
  return lines.find((s) => s.startsWith(prefix))!;
}

/** The card's text once `until` holds for it. */
async function cardText(b: TestBot, id: string, until: (text: string) => boolean, what: string, timeoutMs = 10_000): Promise<string> {
  return eventually(async () => {
    const card = await b.card(id);
    const text = JSON.stringify(card?.blocks ?? []);
    return until(text) ? text : undefined;
  }, timeoutMs, what);
}

/** The who/when line of a task's card. */
async function whoLine(b: TestBot, id: string): Promise<string> {
  const blocks = ((await b.card(id))?.blocks ?? []) as Array<{ type: string; elements?: Array<{ text?: string }> }>;
  return blocks.flatMap((x) => (x.type === 'context' ? (x.elements ?? []).map((e) => e.text ?? '') : [])).find((t) => t.startsWith('Created')) ?? '';
}

describe('durations', () => {
  it('a task suspended and resumed reports the time of both runs, not the last one, and not the pause', async () => {
    bot = await startTestBot({ SIM_LATENCY_MS: '500' }, 'card-sum');
    const id = await bot.create(`sum deploy --env stage ${['a', 'b', 'c', 'd', 'e', 'f'].map((n) => `${n}=img:1`).join(' ')} --parallel 1`);
    await bot.command(`start ${id}`);
    const firstStart = (await bot.waitForTask(id, (t) => t.run === 1 && !!t.startedAt)).startedAt!;
    await bot.waitForTask(id, (t) => t.components.filter((c) => c.status === 'Released').length >= 2);
    await bot.command(`suspend ${id}`);
    const suspended = await bot.waitForTask(id, (t) => t.status === 'Suspended');
    const first = suspended.spentMs?.release ?? 0;
    expect(first).toBeGreaterThan(500);
    // A pause the duration must not count.
    await new Promise((r) => setTimeout(r, 1500));
    await bot.command(`resume ${id}`);
    const done = await bot.waitForTask(id, (t) => t.status === 'Released');
    const lastRun = Date.parse(done.endedAt!) - Date.parse(done.startedAt!);
    const total = done.spentMs!.release!;
    expect(total - first).toBe(lastRun);
    expect(total).toBeGreaterThan(lastRun);
    const wallClock = Date.parse(done.endedAt!) - Date.parse(firstStart);
    expect(total).toBeLessThan(wallClock - 1000);

    const summary = await threadLine(bot, id, 'Released in');
    expect(summary).toBe(`Released in ${shortDuration(total)}: 6/6 components · <@U0ALICE>`);
    expect(summary).not.toBe(`Released in ${shortDuration(lastRun)}: 6/6 components · <@U0ALICE>`);
    await cardText(bot, id, (t) => t.includes('Released by'), 'card Released');
    expect(await whoLine(bot, id)).toMatch(new RegExp(`· took ${shortDuration(total)}$`));
  });

  it('a sub-second run says "under 1 s", never "0s"', async () => {
    bot = await startTestBot({}, 'card-short');
    const id = await bot.create('quick deploy --env qa solo=img:1');
    await bot.command(`start ${id}`);
    await bot.waitForTask(id, (t) => t.status === 'Released');
    expect(await threadLine(bot, id, 'Released in')).toBe('Released in under 1 s: 1/1 component · <@U0ALICE>');
    expect((await bot.threadTexts(id))[0]).toMatch(/^Releasing started by <@U0ALICE>: 1 component, 4 at a time/);
    await cardText(bot, id, (t) => t.includes('Released by'), 'card Released');
    expect(await whoLine(bot, id)).toMatch(/ · took under 1 s$/);
    expect(JSON.stringify(bot.fake.calls)).not.toMatch(/took 0s|in 0s/);
  });
});

describe('no relative time in messages', () => {
  it('every card, reply, view and ack of a task and a blue-green job uses date tokens, not "ago"', async () => {
    bot = await startTestBot({}, 'card-times');
    const b = bot;
    const acks: PostSignedResult[] = [];
    const release = async (text: string) => acks.push(await b.command(text));
    const bg = async (text: string) => acks.push(await b.command(text, { command: '/bluegreen' }));

    // A blue-green job with a history, so its card offers the rollback select.
    await bg('create web --env prod --workload web --image web:1.0');
    await b.jobUntil('web', 'Healthy');
    await bg('update web web:2.0');
    await b.jobUntil('web', 'Paused');
    await bg('release web');
    await b.jobUntil('web', (j) => j.status === 'Healthy' && j.history.length === 2, 'second version released');
    await bg('show web');
    await bg('list');
    await bg('history web');

    // A task, released, with the views that list times.
    const id = await b.create('times deploy --env qa api=api:1 web=web:1');
    await release(`start ${id}`);
    await b.waitForTask(id, (t) => t.status === 'Released');
    await threadLine(b, id, 'Released in');
    await release('list');
    await release(`show ${id}`);
    await release('components qa');
    await release(`audit ${id}`);
    await slackIdle(b);

    const selectOptions = await eventually(async () => {
      const ref = await b.cards.get('bg:web');
      const card = ref && b.fake.messages(ref.channel).find((m) => m.ts === ref.ts);
      const json = JSON.stringify(card?.blocks ?? []);
      return json.includes('bluegreen.rollback') ? json : undefined;
    }, 5000, 'rollback select on the job card');
    // Plain-text options cannot hold a date token: an absolute UTC time instead of "5s ago".
    expect(selectOptions).toMatch(/rev 1 · web:1\.0 · [A-Z][a-z]{2} \d{1,2} \d\d:\d\d UTC/);

    const sent = [
      ...b.fake.calls.map((c) => JSON.stringify(c.args)),
      ...b.fake.responses.map((r) => JSON.stringify(r)),
      ...acks.map((a) => a.body),
    ];
    expect(sent.length).toBeGreaterThan(20);
    const relative = sent.filter((s) => RELATIVE.test(s)).map((s) => RELATIVE.exec(s)![0]);
    expect(relative).toEqual([]);
    // The times that are there are date tokens.
    expect(sent.join('\n')).toMatch(/last update <!date\^\d+\^/);
    expect(sent.join('\n')).toMatch(/created <!date\^\d+\^/);
  });
});

describe('large task cards', () => {
  it('200 components: the plan before the release, then a progress bar, the counts once and at most five in flight by name', async () => {
    bot = await startTestBot({ SIM_LATENCY_MS: '150' }, 'card-large');
    const names = Array.from({ length: 200 }, (_, i) => `c${String(i).padStart(3, '0')}`);
    const id = await bot.create(`big deploy --env qa ${names.map((n) => `${n}=img:1`).join(' ')} --parallel 8`);

    const before = await cardText(bot, id, (t) => t.includes('Will change'), 'the plan on the card');
    expect(before).toContain('*Will change 200:* `c000` new → img:1, `c001` new → img:1');
    expect(before).toContain('and 190 more');
    expect(before).toContain(`\`/release show ${id}\` lists them all`);
    expect(before).not.toMatch(/[▰▱]/);

    await bot.command(`start ${id}`);
    const during = await cardText(bot, id, (t) => t.includes('In flight:') && /▰/.test(t), 'a card with the bar and components in flight');
    expect(during).toMatch(/\*200 components\* [▰▱]{10} \d{1,3}% · \d{1,3}\/200/);
    const inFlight = /\*In flight:\* ([^"\\]*)/.exec(during)![1]!;
    const named = inFlight.match(/`c\d{3}`/g) ?? [];
    expect(named.length).toBeGreaterThanOrEqual(1);
    expect(named.length).toBeLessThanOrEqual(5);
    if (named.length === 5) expect(inFlight).toMatch(/ and \d+ more$/);
    // The counts once: the small card's "Released n/200" line is not there beside the bar.
    expect(during).not.toMatch(/Released \d+\/200/);
    expect(during.match(/:white_circle: To release \d+/g)?.length ?? 0).toBeLessThanOrEqual(1);

    const done: ReleaseTask = await bot.waitForTask(id, (t) => t.status === 'Released', 30_000);
    expect(done.components.every((c) => c.status === 'Released')).toBe(true);
    const after = await cardText(bot, id, (t) => t.includes('100% · 200/200'), 'the bar full');
    expect(after).toContain('▰▰▰▰▰▰▰▰▰▰ 100% · 200/200');
    expect(after).not.toContain('In flight:');
  });
});

describe('after a rollback', () => {
  it('a component whose release failed reads Not released, and its image is named once while it had failed', async () => {
    bot = await startTestBot({}, 'card-rollback');
    const base = await bot.create('base deploy --env prod web=web:1.0 api=api:1.0');
    await bot.command(`start ${base}`);
    await bot.waitForTask(base, (t) => t.status === 'Released');
    const up = await bot.create('bump upgrade --env prod web=web:2.0 api=api:2.0-broken --best-effort');
    await bot.command(`start ${up}`);
    await bot.waitForTask(up, (t) => t.status === 'Release failed');

    const failed = await cardText(bot, up, (t) => t.includes('release.retry'), 'card Release failed');
    const apiLine = /`api` :x: Release failed[^"\\]*/.exec(failed)![0];
    expect(apiLine).toContain('never became ready');
    expect(apiLine.match(/api:2\.0-broken/g)).toHaveLength(1);
    expect(failed).not.toContain('Released by'); // a failed task was never Released

    await bot.command(`rollback ${up}`);
    await bot.waitForTask(up, (t) => t.status === 'Rolled back');
    const rolled = await cardText(bot, up, (t) => t.includes(':leftwards_arrow_with_hook: Rolled back') && !t.includes('Rolling back'), 'card Rolled back');
    expect(rolled).toMatch(/`api` :heavy_minus_sign: Not released[^"]* · nothing to roll back/);
    expect(rolled).not.toContain('Release failed');
    expect(await threadLine(bot, up, 'Rolled back in')).toMatch(
      /^Rolled back in (under 1 s|\d+s): 1 component back on its previous version; 1 component never released, nothing to roll back · <@U0[A-Z]+>$/,
    );
  });
});
