/**
 * End to end: Slack misbehaving. A Slack outage must not fail or stall a release, and the card
 * catches up afterwards; a 429 makes the notifier wait out Retry-After; card edits are coalesced
 * to at most one per card per CARD_COALESCE_MS.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { FakeSlackCall } from '../support/fake-slack.js';
import { cardPosted, eventually, sleep, slackIdle, startTestBot, type TestBot } from '../support/test-bot.js';

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

let bot: TestBot | undefined;
afterEach(async () => {
  await bot?.stop();
  bot = undefined;
});

async function boot(env: Record<string, string> = {}, name = 'outage'): Promise<TestBot> {
  bot = await startTestBot(env, name);
  return bot;
}

/** chat.update calls that edit the card at `ts`. */
function cardUpdates(b: TestBot, ts: string): FakeSlackCall[] {
  return b.fake.callsTo('chat.update').filter((c) => c.args.ts === ts);
}

async function cardShows(b: TestBot, id: string, text: string, timeoutMs = 10_000): Promise<void> {
  await eventually(async () => (await b.card(id))?.text?.includes(text), timeoutMs, `card of ${id} shows "${text}"`);
}

async function threadHas(b: TestBot, id: string, prefix: string, timeoutMs = 10_000): Promise<string[]> {
  return eventually(async () => {
    const t = await b.threadTexts(id);
    return t.some((s) => s.startsWith(prefix)) ? t : undefined;
  }, timeoutMs, `thread line "${prefix}"`);
}

function names(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `c${i + 1}`);
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

describe('Slack outage', () => {
  it('releases while Slack is down, and the card catches up once Slack is back', async () => {
    const b = await boot({}, 'outage-down');
    const comps = names(4);
    const id = await b.create(`survive deploy --env prod ${comps.map((c) => `${c}=img:1`).join(' ')} --parallel 2`);
    const ref = await cardPosted(b, id);
    await slackIdle(b);

    b.fake.setDown(true);
    const downAt = Date.now();
    const ack = await b.command(`start ${id}`);
    expect(ack.status).toBe(200);
    expect(b.ackText(ack)).toBe(`${id} is now Releasing.`);

    // The release does not wait for Slack.
    const done = await b.waitForTask(id, (t) => t.status === 'Released', 5000);
    expect(done.components.map((c) => c.status)).toEqual(comps.map(() => 'Released'));
    expect(Object.values(await b.platform.appliedCounts())).toEqual(comps.map(() => 1));

    // Keep Slack down long enough that the notifications fail and are retried at least once.
    await eventually(() => b.fake.calls.filter((c) => c.status === 503 && c.method === 'chat.update').length >= 1, 5000, 'a failed card edit');
    await sleep(Math.max(0, downAt + 1500 - Date.now()));
    const failed = b.fake.calls.filter((c) => c.status === 503);
    expect(failed.length).toBeGreaterThanOrEqual(2);
    expect((await b.card(id))!.text).toContain('To release'); // nothing got through
    expect((await b.tasks.get(id))!.status).toBe('Released'); // and nothing went back

    b.fake.setDown(false);
    await cardShows(b, id, `Released ${comps.length}/${comps.length}`, 15_000);
    const thread = await threadHas(b, id, 'Released in', 15_000);
    expect(thread).toContainEqual(expect.stringMatching(/^Releasing started by <@U0ALICE>/));
    // Still one card: the catch-up edits it.
    expect(b.fake.callsTo('chat.postMessage').filter((c) => !c.args.thread_ts)).toHaveLength(1);
    expect(cardUpdates(b, ref.ts).some((c) => c.status === 200)).toBe(true);
  });

  it('waits out Retry-After on a 429 and then brings the card up to date', async () => {
    const b = await boot({ SIM_LATENCY_MS: '50' }, 'outage-429');
    const comps = names(3);
    const id = await b.create(`limited deploy --env prod ${comps.map((c) => `${c}=img:1`).join(' ')}`);
    const ref = await cardPosted(b, id);
    await slackIdle(b);

    b.fake.failNext('chat.update', { retryAfterSec: 1 });
    await b.command(`start ${id}`);
    const done = await b.waitForTask(id, (t) => t.status === 'Released');
    expect(done.components.every((c) => c.status === 'Released')).toBe(true);

    await cardShows(b, id, `Released ${comps.length}/${comps.length}`);
    const limited = b.fake.callsTo('chat.update').find((c) => c.status === 429);
    expect(limited, 'the fake answered a chat.update with 429').toBeDefined();
    const window = b.fake.calls.filter((c) => c.at > limited!.at && c.at < limited!.at + 1000);
    expect(window.filter((c) => c.method === 'chat.update')).toEqual([]);
    const retried = cardUpdates(b, ref.ts).find((c) => c.at > limited!.at && c.status === 200);
    expect(retried).toBeDefined();
    expect(retried!.at - limited!.at).toBeGreaterThanOrEqual(1000);
    // The release itself did not wait for Slack.
    expect(Date.parse(done.endedAt!)).toBeLessThan(retried!.at);
    await threadHas(b, id, 'Released in');
  });

  it('keeps thread replies in order when Slack stays down past the first retry', async () => {
    // A release longer than the first backoff step (8 × 300 ms / 2 ≈ 1.2 s): the "started" reply
    // has failed twice by the time the summary first fails.
    const b = await boot({ SIM_LATENCY_MS: '300' }, 'outage-order');
    const comps = names(8);
    const id = await b.create(`ordered deploy --env prod ${comps.map((c) => `${c}=img:1`).join(' ')} --parallel 2`);
    await cardPosted(b, id);
    await slackIdle(b);

    b.fake.setDown(true);
    const downAt = Date.now();
    await b.command(`start ${id}`);
    await b.waitForTask(id, (t) => t.status === 'Released', 5000);
    await sleep(Math.max(0, downAt + 1500 - Date.now()));
    b.fake.setDown(false);

    const thread = await eventually(async () => {
      const t = await b.threadTexts(id);
      return t.some((s) => s.startsWith('Releasing started')) && t.some((s) => s.startsWith('Released in')) ? t : undefined;
    }, 15_000, 'both thread replies');
    expect(thread).toHaveLength(2);
    expect(thread[0]).toMatch(/^Releasing started by <@U0ALICE>/);
    expect(thread[1]).toMatch(/^Released in .*: 8\/8 components · <@U0ALICE>$/);
  });
});

describe('card edit coalescing', () => {
  it('edits a card at most once per CARD_COALESCE_MS in production settings', async () => {
    // Latency is chosen so the release spans several coalescing windows (8 × 300 ms / 2 ≈ 1.2 s);
    // with 100 ms the whole run fits in one window and only one edit is ever made.
    const b = await boot({ CARD_COALESCE_MS: '1000', SIM_LATENCY_MS: '300', SLACK_CALLS_PER_SEC: '4' }, 'outage-coalesce');
    const comps = names(8);
    const id = await b.create(`steady deploy --env prod ${comps.map((c) => `${c}=img:1`).join(' ')} --parallel 2`);
    const ref = await cardPosted(b, id);
    await slackIdle(b);

    await b.command(`start ${id}`);
    await b.waitForTask(id, (t) => t.status === 'Released');
    await cardShows(b, id, `Released ${comps.length}/${comps.length}`, 10_000);
    await slackIdle(b);

    const updates = cardUpdates(b, ref.ts);
    expect(updates.length).toBeGreaterThanOrEqual(2);
    const gaps = updates.slice(1).map((c, i) => c.at - updates[i]!.at);
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(950);
    expect(updates.every((c) => c.status === 200)).toBe(true);
    expect(JSON.stringify(updates.at(-1)!.args.blocks)).toContain('Released');
  });

  it('still edits a card at most once per CARD_COALESCE_MS after a 429', async () => {
    const b = await boot({ CARD_COALESCE_MS: '1000', SIM_LATENCY_MS: '300', SLACK_CALLS_PER_SEC: '4' }, 'outage-429-coalesce');
    const comps = names(8);
    const id = await b.create(`steady deploy --env prod ${comps.map((c) => `${c}=img:1`).join(' ')} --parallel 2`);
    const ref = await cardPosted(b, id);
    await slackIdle(b);

    b.fake.failNext('chat.update', { retryAfterSec: 1 });
    await b.command(`start ${id}`);
    await b.waitForTask(id, (t) => t.status === 'Released');
    await cardShows(b, id, `Released ${comps.length}/${comps.length}`, 10_000);
    await slackIdle(b);

    const updates = cardUpdates(b, ref.ts);
    expect(updates.map((c) => c.status)).toContain(429);
    const gaps = updates.slice(1).map((c, i) => c.at - updates[i]!.at);
    for (const gap of gaps) expect(gap, `gaps between card edits: ${gaps.join(', ')} ms`).toBeGreaterThanOrEqual(950);
  });
});

describe('a card post whose answer is lost', () => {
  it('is found in the channel by its metadata and edited, not posted twice', async () => {
    const b = await boot({}, 'outage-lost-post');
    // Slack takes the post, and the answer never reaches the bot (a 500 after the fact).
    b.fake.failNext('chat.postMessage', { status: 500, applied: true });
    const id = await b.create('lost deploy --env prod web=web:1');
    const ref = await cardPosted(b, id, 10_000);
    const top = b.fake.messages(ref.channel).filter((m) => !m.thread_ts);
    expect(top.map((m) => m.ts)).toEqual([ref.ts]);
    expect(top[0]!.metadata).toEqual({ event_type: 'switchyard_card', event_payload: { card: id } });
    expect(b.fake.callsTo('chat.postMessage').filter((c) => !c.args.thread_ts).map((c) => c.status)).toEqual([500]);
    expect(b.fake.callsTo('conversations.history')).toHaveLength(1);

    await b.command(`start ${id}`);
    await cardShows(b, id, 'Released 1/1');
    expect(b.fake.messages(ref.channel).filter((m) => !m.thread_ts)).toHaveLength(1);
  });
});
