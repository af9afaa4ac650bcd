/**
 * End to end: a click acts only on its own card. A button, a select option or a reject-reason
 * modal whose value (or private_metadata) names another task or job than the card it came from,
 * or that comes with another channel or message ts, is refused privately, changes nothing, and
 * the refusal is in the audit; the same control from its own card still works. Real signed
 * requests in; Redis state, the audit stream and the fake Slack's calls checked.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../src/domain/audit.js';
import { FOREIGN_CARD } from '../../src/operations/approvals.js';
import { removePolicies, writePolicy } from '../support/policy.js';
import { blockActionsBody, postSigned, staticSelectBody, viewSubmissionBody, type BlockActionParams } from '../support/slack-signing.js';
import { CHANNEL, SECRET, cardPosted, eventually, slackIdle, startTestBot, type TestBot } from '../support/test-bot.js';

/** Staging runs at once (cards in the channel typed in); production waits for U0CAROL's approval. */
const POLICY = `
environments:
  staging: {}
  production:
    channel: C0PROD
    approvers: [U0CAROL]
    approvals: 1
`;

let bot: TestBot;
beforeEach(async () => {
  bot = await startTestBot({ SWITCHYARD_CONFIG: writePolicy(POLICY) }, 'click-binding');
});
afterEach(async () => {
  await bot.stop();
});
afterAll(() => removePolicies());

type Place = { channel: string; ts: string };

/** A button click (or, with `select`, a static_select choice) as Slack sends it from the message at `from`. */
function clickFrom(from: Place, actionId: string, value: string, opts: { user?: string; select?: boolean } = {}) {
  const p: BlockActionParams = { user_id: opts.user ?? 'U0ALICE', channel_id: from.channel, message_ts: from.ts, action_id: actionId, value };
  return postSigned(`${bot.url}/slack/events`, opts.select ? staticSelectBody(p) : blockActionsBody(p), { secret: SECRET });
}

/** Submit the reject-reason modal with this private_metadata. */
function submitReason(user: string, privateMetadata: string, reason: string) {
  const body = viewSubmissionBody({ user_id: user, callback_id: 'reject-reason', private_metadata: privateMetadata, values: { reason: { reason } } });
  return postSigned(`${bot.url}/slack/events`, body, { secret: SECRET });
}

async function auditOf(target: string): Promise<AuditEntry[]> {
  const rows = await bot.redis.xrange(`${bot.config.REDIS_PREFIX}:audit`, '-', '+');
  return rows
    .map(([, f]) => Object.fromEntries(Array.from({ length: f.length / 2 }, (_, i) => [f[2 * i]!, f[2 * i + 1]!])) as unknown as AuditEntry)
    .filter((e) => e.target === target);
}

/** The refusal the user was told privately, and where. */
async function refusedTo(user: string, channel: string): Promise<void> {
  await eventually(
    () => bot.fake.callsTo('chat.postEphemeral').find((c) => c.args.user === user && c.args.channel === channel && c.args.text === FOREIGN_CARD),
    5000,
    `refusal to ${user} in ${channel}`,
  );
}

/** The one click-refused entry of `target`: who, which entity, and why. */
async function refusalAudited(target: string, user: string, detail: RegExp): Promise<void> {
  const refused = await eventually(async () => {
    const entries = (await auditOf(target)).filter((e) => e.action === 'click-refused');
    return entries.length > 0 && entries;
  }, 5000, `click-refused on ${target}`);
  expect(refused).toHaveLength(1);
  expect(refused[0]).toMatchObject({ actor: user, target });
  expect(refused[0]!.detail).toMatch(detail);
}

/** A staging task waiting to be started, its card posted. */
async function toRelease(name: string): Promise<{ id: string; card: Place }> {
  const id = await bot.create(`${name} deploy --env staging ${name}=${name}:1.0`);
  return { id, card: await cardPosted(bot, id) };
}

/** A production task whose start waits for approval, its card showing Approve and Reject. */
async function awaitingApproval(name: string): Promise<{ id: string; card: Place }> {
  const id = await bot.create(`${name} deploy --env production ${name}=${name}:1.0`);
  expect(bot.ackText(await bot.command(`start ${id}`))).toContain('Waiting for approval');
  const card = await cardPosted(bot, id);
  await slackIdle(bot);
  return { id, card };
}

const value = async (verb: string, id: string) => `${verb} ${id} @v${(await bot.tasks.get(id))!.stateVersion}`;

describe('a click acts only on its own card', () => {
  it('a Release button whose value names another task is refused; from its own card it starts', async () => {
    const a = await toRelease('alpha');
    const b = await toRelease('bravo');
    await slackIdle(bot);
    const before = await bot.tasks.get(b.id);

    const res = await clickFrom(a.card, 'release.start', await value('start', b.id));
    expect(res.status).toBe(200);
    await refusedTo('U0ALICE', a.card.channel);
    await refusalAudited(b.id, 'U0ALICE', new RegExp(`^start clicked on ${a.card.channel} ${a.card.ts}, but its card is ${b.card.channel} ${b.card.ts}$`));
    await slackIdle(bot);
    expect(await bot.tasks.get(b.id)).toEqual(before);
    expect((await bot.tasks.get(a.id))!.status).toBe('To release');
    expect((await auditOf(b.id)).map((e) => e.action)).toEqual(['create', 'click-refused']);
    expect(await auditOf(a.id)).toHaveLength(1); // its create

    // The same value from bravo's own card: it starts.
    await clickFrom(b.card, 'release.start', await value('start', b.id));
    expect((await bot.waitForTask(b.id, (t) => t.status === 'Released')).startedBy).toBe('U0ALICE');
  });

  it('an Approve button whose value names another task is refused: nothing approved', async () => {
    const a = await awaitingApproval('alpha');
    const b = await awaitingApproval('bravo');
    const before = await bot.tasks.get(b.id);

    await clickFrom(a.card, 'release.approve', await value('approve', b.id), { user: 'U0CAROL' });
    await refusedTo('U0CAROL', 'C0PROD');
    await refusalAudited(b.id, 'U0CAROL', /^approve clicked on C0PROD .*, but its card is C0PROD /);
    await slackIdle(bot);
    expect(await bot.tasks.get(b.id)).toEqual(before);
    expect((await bot.tasks.get(a.id))!.approval!.approvals).toEqual([]);

    await clickFrom(b.card, 'release.approve', await value('approve', b.id), { user: 'U0CAROL' });
    await bot.waitForTask(b.id, (t) => t.status === 'Released');
  });

  it('the right value sent with another channel is refused', async () => {
    const a = await toRelease('alpha');
    await slackIdle(bot);
    const before = await bot.tasks.get(a.id);

    await clickFrom({ channel: 'C0ELSEWHERE', ts: a.card.ts }, 'release.start', await value('start', a.id), { user: 'U0BOB' });
    await refusedTo('U0BOB', 'C0ELSEWHERE');
    await refusalAudited(a.id, 'U0BOB', new RegExp(`^start clicked on C0ELSEWHERE ${a.card.ts}, but its card is ${CHANNEL} ${a.card.ts}$`));
    await slackIdle(bot);
    expect(await bot.tasks.get(a.id)).toEqual(before);
    expect(bot.fake.messages('C0ELSEWHERE')).toEqual([]);
  });

  it('the right value sent with another message ts is refused', async () => {
    const a = await toRelease('alpha');
    await slackIdle(bot);
    const before = await bot.tasks.get(a.id);

    const elsewhere = '1600000000.000100'; // no message of the fake Slack's
    await clickFrom({ channel: a.card.channel, ts: elsewhere }, 'release.start', await value('start', a.id), { user: 'U0BOB' });
    await refusedTo('U0BOB', a.card.channel);
    await refusalAudited(a.id, 'U0BOB', new RegExp(`^start clicked on ${CHANNEL} ${elsewhere}, but its card is ${CHANNEL} ${a.card.ts}$`));
    await slackIdle(bot);
    expect(await bot.tasks.get(a.id)).toEqual(before);
  });

  it('a Rollback select option from another job card is refused; from its own card it rolls back', async () => {
    const bg = (text: string) => bot.command(text, { command: '/bluegreen' });
    await bg('create web --env staging --workload web --image web:1.0 --replicas 1');
    await bg('create api --env staging --workload api --image api:1.0 --replicas 1');
    await bot.jobUntil('web', 'Healthy');
    await bg('update web web:2.0');
    await bot.jobUntil('web', 'Paused');
    await bg('release web');
    const web = await bot.jobUntil('web', 'Healthy');
    await bot.jobUntil('api', 'Healthy');
    const webCard = await cardPosted(bot, 'bg:web');
    const apiCard = await cardPosted(bot, 'bg:api');
    await slackIdle(bot);

    await clickFrom(apiCard, 'bluegreen.rollback', `rollback web 1 @v${web.version}`, { select: true });
    await refusedTo('U0ALICE', apiCard.channel);
    await refusalAudited('web', 'U0ALICE', new RegExp(`^rollback clicked on ${apiCard.channel} ${apiCard.ts}, but its card is ${webCard.channel} ${webCard.ts}$`));
    await slackIdle(bot);
    expect(await bot.jobs.get('web')).toEqual(web);

    await clickFrom(webCard, 'bluegreen.rollback', `rollback web 1 @v${web.version}`, { select: true });
    expect((await bot.jobUntil('web', 'Paused')).pending).toMatchObject({ revision: 3, rollbackOf: 1 });
  });

  it('a reject-reason submission whose metadata names another task or card is refused; its own closes the request', async () => {
    const a = await awaitingApproval('alpha');
    const b = await awaitingApproval('bravo');
    const before = await bot.tasks.get(b.id);

    // Reject on alpha's card opens the modal, its metadata naming alpha and alpha's card.
    await clickFrom(a.card, 'release.reject', await value('reject', a.id), { user: 'U0CAROL' });
    await bot.fake.waitFor((calls) => calls.some((c) => c.method === 'views.open'));
    const opened = (bot.fake.callsTo('views.open')[0]!.args.view as { private_metadata: string }).private_metadata;
    const meta = JSON.parse(opened) as Record<string, unknown>;
    expect(meta).toEqual({ kind: 'task', id: a.id, version: (await bot.tasks.get(a.id))!.stateVersion, channel: a.card.channel, ts: a.card.ts });

    // Edited to name bravo, still from alpha's card.
    await submitReason('U0CAROL', JSON.stringify({ ...meta, id: b.id, version: before!.stateVersion }), 'not today');
    await refusedTo('U0CAROL', 'C0PROD');
    await refusalAudited(b.id, 'U0CAROL', new RegExp(`^reject clicked on C0PROD ${a.card.ts}, but its card is C0PROD ${b.card.ts}$`));

    // Naming alpha but bravo's card.
    await submitReason('U0CAROL', JSON.stringify({ ...meta, ts: b.card.ts }), 'not today');
    await refusalAudited(a.id, 'U0CAROL', new RegExp(`^reject clicked on C0PROD ${b.card.ts}, but its card is C0PROD ${a.card.ts}$`));
    await slackIdle(bot);
    expect(await bot.tasks.get(b.id)).toEqual(before);
    expect((await bot.tasks.get(a.id))!.approval).toBeDefined();

    // The modal as it was opened: the request on alpha is closed.
    await submitReason('U0CAROL', opened, 'wrong tag');
    const rejected = await bot.waitForTask(a.id, (t) => t.approval === undefined);
    expect(rejected.status).toBe('To release');
    // The rejection's audit entry is written just after the request is closed.
    await eventually(async () => (await auditOf(a.id)).length === 4, 5000, 'the reject audit entry');
    expect((await auditOf(a.id)).map((e) => e.action)).toEqual(['create', 'approval-requested', 'click-refused', 'reject']);
  });

  it('a typed command names no card and is not checked against one', async () => {
    const a = await toRelease('alpha');
    expect(bot.ackText(await bot.command(`start ${a.id}`, { channel: 'C0ELSEWHERE' }))).toBe(`${a.id} is now Releasing.`);
    expect((await auditOf(a.id)).map((e) => e.action)).not.toContain('click-refused');
  });
});
