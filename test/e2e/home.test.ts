/**
 * End to end: the App Home. A signed `app_home_opened` event makes a worker publish the person's
 * Home (views.publish through the fake Slack, which checks it like Slack): approvals waiting for
 * them with a link to the card, their running releases, what each environment is releasing now,
 * recent failures; and the Home is published again when a card it lists changes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { FakeSlackCall } from '../support/fake-slack.js';
import { removePolicies, writePolicy } from '../support/policy.js';
import { appHomeOpenedBody, postSigned } from '../support/slack-signing.js';
import { SECRET, cardPosted, eventually, startTestBot, type TestBot } from '../support/test-bot.js';

const POLICY = `
operators: [U0ALICE, U0BOB]
environments:
  production:
    approvers: [U0CAROL, S0RELMGRS]
    approvals: 1
`;

let bot: TestBot | undefined;
afterEach(async () => {
  await bot?.stop();
  bot = undefined;
  removePolicies();
});

type Block = { type: string; text?: { text: string }; elements?: Array<{ text?: string }> };

/** What a block says, in mrkdwn. */
function blockText(b: Block): string {
  return [b.text?.text ?? '', ...(b.elements ?? []).map((e) => e.text ?? '')].join(' ');
}

/** The lines of one section of a Home, from its title to the next divider. */
function homeSection(call: FakeSlackCall, title: string): string {
  const blocks = (call.args.view as { blocks: Block[] }).blocks;
  const start = blocks.findIndex((b) => b.type === 'section' && blockText(b).includes(title));
  if (start < 0) throw new Error(`no section "${title}" in the Home: ${blocks.map(blockText).join(' | ')}`);
  const end = blocks.findIndex((b, i) => i > start && b.type === 'divider');
  return blocks.slice(start, end < 0 ? undefined : end).map(blockText).join('\n');
}

const allText = (call: FakeSlackCall) => (call.args.view as { blocks: Block[] }).blocks.map(blockText).join('\n');

async function openHome(b: TestBot, user: string, tab: 'home' | 'messages' = 'home') {
  const res = await postSigned(`${b.url}/slack/events`, appHomeOpenedBody(user, tab), { secret: SECRET, contentType: 'application/json' });
  expect(res.status).toBe(200);
}

const publishes = (b: TestBot, user: string) => b.fake.callsTo('views.publish').filter((c) => c.args.user_id === user && c.status === 200 && !c.error);

/** Waits for the `n`th successful Home publish for `user` (1-based) and returns it. */
function nthPublish(b: TestBot, user: string, n: number, what: string, timeoutMs = 10_000): Promise<FakeSlackCall> {
  return eventually(() => publishes(b, user)[n - 1], timeoutMs, what);
}

/** Slack renders `<!date…>` tokens in the reader's zone; text like "3m ago" would freeze in a view read for hours. */
const RELATIVE = /\b(ago|in \d+\s?[smhd])\b|\(\d+\s?[smhd]\)/i;

describe('the App Home', () => {
  it("lists an approval waiting for an approver, links its card, and drops it once it is approved", async () => {
    bot = await startTestBot({ SWITCHYARD_CONFIG: writePolicy(POLICY), SIM_LATENCY_MS: '30' }, 'home-approve');
    bot.fake.setUsergroup('S0RELMGRS', ['U0DAVE']);
    const id = await bot.create('checkout deploy --env production web=web:1.0', 'U0ALICE');
    await bot.command(`start ${id}`, { user: 'U0ALICE' });
    await bot.waitForTask(id, (t) => t.approval !== undefined);
    const card = await cardPosted(bot, id);

    await openHome(bot, 'U0CAROL');
    const first = await nthPublish(bot, 'U0CAROL', 1, "Carol's Home");
    expect((first.args.view as { type: string }).type).toBe('home');
    const waiting = homeSection(first, 'Approvals waiting for you');
    expect(waiting).toContain(id);
    expect(waiting).toContain('awaiting approval (0/1) to start');
    expect(waiting).toContain('<@U0ALICE>');
    // The line links to the card, as chat.getPermalink gives it.
    expect(waiting).toContain(`*<https://switchyard-test.slack.com/archives/${card.channel}/p${card.ts.replace('.', '')}|checkout>*`);
    expect(allText(first)).toMatch(/<!date\^\d+\^/);
    expect(allText(first)).not.toMatch(RELATIVE);

    // A member of an approver group is asked too; the requester is not (distinct approvers), nor someone who is no approver.
    await openHome(bot, 'U0DAVE');
    expect(homeSection(await nthPublish(bot, 'U0DAVE', 1, "Dave's Home"), 'Approvals waiting for you')).toContain(id);
    await openHome(bot, 'U0ALICE');
    const alice = await nthPublish(bot, 'U0ALICE', 1, "Alice's Home");
    expect(homeSection(alice, 'Approvals waiting for you')).toContain('Nothing is waiting for your approval.');

    await bot.click(id, 'release.approve', { user: 'U0CAROL' });
    await bot.waitForTask(id, (t) => t.status === 'Released');
    // The card changed, so Carol's Home is published again, without the approval.
    const after = await eventually(
      () => publishes(bot!, 'U0CAROL').find((c) => !homeSection(c, 'Approvals waiting for you').includes(id)),
      15_000,
      "Carol's Home without the approval",
    );
    expect(homeSection(after, 'Approvals waiting for you')).toContain('Nothing is waiting for your approval.');
    expect(allText(after)).not.toMatch(RELATIVE);
  }, 40_000);

  it("is published again when someone asks an approver's approval after the Home was opened", async () => {
    bot = await startTestBot({ SWITCHYARD_CONFIG: writePolicy(POLICY) }, 'home-asked');
    await openHome(bot, 'U0CAROL');
    const before = await nthPublish(bot, 'U0CAROL', 1, "Carol's Home");
    expect(homeSection(before, 'Approvals waiting for you')).toContain('Nothing is waiting for your approval.');

    // A person's request: the card edit goes out at once, and the Homes are told as for any change.
    const id = await bot.create('checkout deploy --env production web=web:1.0', 'U0ALICE');
    // The new card refreshes the Home once (debounced); the request comes after that.
    await nthPublish(bot, 'U0CAROL', 2, "Carol's Home after the card was posted");
    await bot.command(`start ${id}`, { user: 'U0ALICE' });
    const asked = await eventually(
      () => publishes(bot!, 'U0CAROL').find((c) => homeSection(c, 'Approvals waiting for you').includes(id)),
      10_000,
      "Carol's Home with the approval",
    );
    expect(homeSection(asked, 'Approvals waiting for you')).toContain('awaiting approval (0/1) to start');
  }, 30_000);

  it("shows an operator's running release under their running releases and its environment, and a failure under recent failures", async () => {
    bot = await startTestBot({ SIM_LATENCY_MS: '1500', SIM_FAIL_COMPONENTS: 'bad' }, 'home-running');
    const failing = await bot.create('broken deploy --env qa bad=bad:1.0', 'U0BOB');
    await bot.command(`start ${failing}`, { user: 'U0BOB' });
    await bot.waitForTask(failing, (t) => t.status === 'Release failed');
    const id = await bot.create('web-1 deploy --env staging web=web:1.0', 'U0ALICE');
    await bot.click(id, 'release.start', { user: 'U0ALICE' });
    await bot.waitForTask(id, (t) => t.status === 'Releasing');

    await openHome(bot, 'U0ALICE');
    const home = await nthPublish(bot, 'U0ALICE', 1, "Alice's Home");
    const mine = homeSection(home, 'Your running releases');
    expect(mine).toMatch(/\*<https:[^|]+\|web-1>\*/);
    expect(mine).toContain(id);
    expect(mine).toMatch(/Releasing · staging · started <!date\^\d+\^[^>]+> by <@U0ALICE>/);
    expect(homeSection(home, 'Releasing now')).toMatch(/\*staging\*\n• .*web-1/);
    const failures = homeSection(home, 'Recent failures');
    expect(failures).toMatch(/\*<https:[^|]+\|broken>\*/);
    expect(failures).toContain('Release failed');
    expect(failures).toMatch(/failed <!date\^\d+\^[^>]+> by <@U0BOB>/);
    expect(homeSection(home, 'Approvals waiting for you')).toContain('Nothing is waiting for your approval.');
    expect(allText(home)).not.toMatch(RELATIVE);

    // Bob started nothing that runs now; his Home says so kindly but shows what staging is doing.
    await openHome(bot, 'U0BOB');
    const bob = await nthPublish(bot, 'U0BOB', 1, "Bob's Home");
    expect(homeSection(bob, 'Your running releases')).toContain('None of your releases is running');
    expect(homeSection(bob, 'Releasing now')).toContain('web-1');

    // The Messages tab is not ours to draw: no publish for it.
    await openHome(bot, 'U0CAROL', 'messages');
    await new Promise((r) => setTimeout(r, 500));
    expect(publishes(bot, 'U0CAROL')).toEqual([]);
  }, 40_000);
});
