/**
 * End to end: the people an approval concerns are told, and the card keeps the story. Approval
 * requests mention every approver (users and user groups) in the thread, the card says whom it
 * waits for and, afterwards, who approved or who rejected and why; rejections and run summaries
 * mention the requester. Freeze windows: an operator's --override becomes an approval request
 * carrying the reason (no role combination deadlocks), a frozen environment's card shows the
 * window and its Release asks for the reason in a modal. The policy loader warns at start about
 * approvals that can never complete. Signed requests in; Redis state, audit and fake Slack checked.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { start } from '../../src/bootstrap.js';
import { loadConfig } from '../../src/config.js';
import type { AuditEntry } from '../../src/domain/audit.js';
import { slackDate } from '../../src/text.js';
import type { FakeMessage } from '../support/fake-slack.js';
import { texts } from '../support/blocks.js';
import { freezeAroundNow, removePolicies, writePolicy } from '../support/policy.js';
import { cleanupPrefix, testRedisUrl, uniquePrefix } from '../support/redis.js';
import { blockActionsBody, postSigned, viewSubmissionBody } from '../support/slack-signing.js';
import { CHANNEL, SECRET, cardControlValue, eventually, sleep, startTestBot, type TestBot } from '../support/test-bot.js';

/** U0CAROL and the S0RELMGRS group (U0DAVE) approve production; neither is an operator. */
const APPROVERS = '[U0CAROL, S0RELMGRS]';
const MENTIONED = '<@U0CAROL>, <!subteam^S0RELMGRS>';

let bot: TestBot | undefined;

async function startWith(policy: string, name: string): Promise<TestBot> {
  const b = await startTestBot({ SWITCHYARD_CONFIG: writePolicy(policy) }, name);
  b.fake.setUsergroup('S0RELMGRS', ['U0DAVE']);
  bot = b;
  return b;
}

afterEach(async () => {
  await bot?.stop();
  bot = undefined;
});
afterAll(() => removePolicies());

// ---------------------------------------------------------------- helpers

const b = () => bot!;
const ack = async (text: string, user = 'U0ALICE', command = '/release') => b().ackText(await b().command(text, { user, command }));

/** Every text of the card (task ID or `bg:<job>`): its blocks' texts, context lines included. */
function cardTexts(m: FakeMessage): string[] {
  return texts(m.blocks ?? []);
}

/** The card once one of its texts contains `text`. */
function cardWith(key: string, text: string): Promise<string[]> {
  return eventually(async () => {
    const m = await b().card(key);
    const all = m ? cardTexts(m) : [];
    return all.some((t) => t.includes(text)) ? all : undefined;
  }, 5000, `card of ${key} showing ${text}`);
}

/** The thread under the card once a reply matches. */
function threadWith(key: string, match: string | RegExp): Promise<string[]> {
  return eventually(async () => {
    const t = await b().threadTexts(key);
    return t.some((s) => (typeof match === 'string' ? s === match : match.test(s))) ? t : undefined;
  }, 5000, `thread reply ${String(match)}`);
}

function buttonIds(m: FakeMessage | undefined): string[] {
  return ((m?.blocks ?? []) as Array<{ type: string; elements?: Array<{ action_id?: string }> }>)
    .filter((x) => x.type === 'actions')
    .flatMap((x) => (x.elements ?? []).map((e) => e.action_id ?? ''));
}

/** The audit about one target, oldest first. */
async function auditOf(target: string): Promise<Array<Omit<AuditEntry, 'id'>>> {
  const rows = await b().redis.xrange(`${b().config.REDIS_PREFIX}:audit`, '-', '+');
  return rows
    .map(([, f]) => {
      const e: Record<string, string> = {};
      for (let i = 0; i < f.length; i += 2) e[f[i]!] = f[i + 1]!;
      return e as unknown as Omit<AuditEntry, 'id'>;
    })
    .filter((e) => e.target === target);
}

/** Relative times ("5m ago", "(1s ago)") freeze in a message that is never edited again. */
const RELATIVE = /\b\d+(s|m|h|d|w|mo|y) ago\b/;

/** Every text the bot sent or edited (posts, updates, ephemeral answers), blocks included. */
function everythingSent(): string[] {
  return b().fake.calls
    .filter((c) => ['chat.postMessage', 'chat.update', 'chat.postEphemeral', 'views.open'].includes(c.method))
    .flatMap((c) => [String(c.args.text ?? ''), ...texts(c.args.blocks ?? []), ...texts(c.args.view ?? {})]);
}

/** Submit the modal the last views.open showed, as Slack sends it. */
async function submitModal(user: string, values: Record<string, Record<string, string>>) {
  const opened = b().fake.callsTo('views.open').at(-1);
  if (!opened) throw new Error('no modal was opened');
  const view = opened.args.view as { callback_id: string; private_metadata: string };
  const body = viewSubmissionBody({ user_id: user, callback_id: view.callback_id, private_metadata: view.private_metadata, values });
  return postSigned(`${b().url}/slack/events`, body, { secret: SECRET });
}

/** The last modal opened, as sent to views.open. */
function lastModal(): { callback_id: string; private_metadata: string; submit?: { text: string }; blocks: unknown[] } {
  const opened = b().fake.callsTo('views.open').at(-1);
  if (!opened) throw new Error('no modal was opened');
  return opened.args.view as ReturnType<typeof lastModal>;
}

// ---------------------------------------------------------------- approvals

describe('approval requests mention the approvers; the card keeps who approved or rejected', () => {
  const POLICY = `
operators: [U0ALICE, U0BOB]
environments:
  production:
    approvers: ${APPROVERS}
`;

  it('the request mentions every approver in the thread and on the card; after the run the card says who approved, the summary mentions the requester', async () => {
    await startWith(POLICY, 'mentions');
    const id = await b().create('prod-web deploy --env production web=web:1.0');
    expect(await ack(`start ${id}`)).toBe(`Waiting for approval: to start the release, prod-web needs 1 approval from ${MENTIONED}. They can use Approve on the card.`);
    await threadWith(id, `Approval requested by <@U0ALICE> to start the release: needs 1 approval from ${MENTIONED}`);
    const waiting = await cardWith(id, 'Awaiting approval (0/1) from');
    expect(waiting).toContainEqual(expect.stringContaining(`Awaiting approval (0/1) from ${MENTIONED}* to start the release`));
    expect((await b().tasks.get(id))!.approval!.approvers).toEqual(['U0CAROL', 'S0RELMGRS']);

    await b().click(id, 'release.approve', { user: 'U0DAVE' });
    const done = await b().waitForTask(id, (t) => t.status === 'Released');
    expect(done.decision).toMatchObject({ outcome: 'approved', by: ['U0DAVE'], requestedBy: 'U0ALICE', action: 'start' });
    const card = await cardWith(id, '✅ Approved by');
    expect(card).toContainEqual(expect.stringMatching(/^✅ Approved by <@U0DAVE> <!date\^\d+\^[^>]+> \(start the release, asked by <@U0ALICE>\)$/));
    expect(card.some((t) => t.includes('Awaiting approval'))).toBe(false);
    await threadWith(id, /^Released in .* · <@U0ALICE>$/);
    expect(everythingSent().filter((t) => RELATIVE.test(t))).toEqual([]);
  });

  it('with two approvals needed the card names who is still to approve, then everyone who approved', async () => {
    await startWith(
      `
operators: [U0ALICE]
environments:
  production: { approvers: [U0CAROL, U0DAVE, U0ERIN], approvals: 2 }
`,
      'mentions-two',
    );
    const id = await b().create('prod-api deploy --env production api=api:1.0');
    expect(await ack(`start ${id}`)).toContain('needs 2 approvals from <@U0CAROL>, <@U0DAVE>, <@U0ERIN>.');
    await cardWith(id, 'Awaiting approval (0/2) from <@U0CAROL>, <@U0DAVE>, <@U0ERIN>*');
    expect(await ack(`approve ${id}`, 'U0CAROL')).toBe('Approved (1/2); it needs 1 approval more.');
    const half = await cardWith(id, 'Awaiting approval (1/2) from <@U0DAVE>, <@U0ERIN>*');
    expect(half).toContainEqual(expect.stringMatching(/^Approved by <@U0CAROL> <!date\^\d+\^/));
    // The time of each approval is a date token: the card is not edited as time passes.
    expect(everythingSent().filter((t) => RELATIVE.test(t))).toEqual([]);
    await b().click(id, 'release.approve', { user: 'U0ERIN' });
    await b().waitForTask(id, (t) => t.status === 'Released');
    await cardWith(id, '✅ Approved by <@U0CAROL>, <@U0ERIN> ');
  });

  it('where approvers must be distinct, the requester who is an approver is not asked', async () => {
    await startWith(
      `
operators: [U0ALICE, U0CAROL]
environments:
  production: { approvers: [U0CAROL, S0RELMGRS] }
`,
      'mentions-self',
    );
    const id = await b().create('carols deploy --env production web=web:1.0', 'U0CAROL');
    expect(await ack(`start ${id}`, 'U0CAROL')).toBe('Waiting for approval: to start the release, carols needs 1 approval from <!subteam^S0RELMGRS>. They can use Approve on the card.');
    await threadWith(id, 'Approval requested by <@U0CAROL> to start the release: needs 1 approval from <!subteam^S0RELMGRS>');
  });

  it('a rejection mentions the requester and stays on the card with its reason until the next request', async () => {
    await startWith(POLICY, 'mentions-reject');
    const id = await b().create('prod-web deploy --env production web=web:1.0');
    await ack(`start ${id}`, 'U0BOB');
    await cardWith(id, 'Awaiting approval (0/1)');
    await b().click(id, 'release.reject', { user: 'U0CAROL' });
    await b().fake.waitFor((calls) => calls.some((c) => c.method === 'views.open'));
    expect(lastModal().callback_id).toBe('reject-reason');
    await submitModal('U0CAROL', { reason: { reason: 'wrong image tag' } });

    await threadWith(id, 'Rejected by <@U0CAROL>: wrong image tag. <@U0BOB>, the request to start the release is closed.');
    const card = await cardWith(id, 'Rejected by');
    expect(card).toContainEqual(expect.stringMatching(/^⛔ Rejected by <@U0CAROL>: wrong image tag \(start the release, asked by <@U0BOB>\) <!date\^\d+\^/));
    expect(buttonIds(await b().card(id))).toEqual(['release.start', 'release.delete']);
    expect((await b().tasks.get(id))!.decision).toMatchObject({ outcome: 'rejected', by: ['U0CAROL'], reason: 'wrong image tag', requestedBy: 'U0BOB' });

    // Asking again closes the story of the rejection: the card waits again, without it.
    expect(await ack(`start ${id}`)).toContain('Waiting for approval');
    const again = await cardWith(id, 'Awaiting approval (0/1)');
    expect(again.some((t) => t.includes('Rejected by'))).toBe(false);
    expect((await b().tasks.get(id))!.decision).toBeUndefined();
  });

  it("a failed run's summary mentions who started it", async () => {
    await startWith('operators: [U0ALICE, U0BOB]\n', 'mentions-failed');
    const id = await b().create('broken deploy --env staging web=web:1.0 api=api:1.0-broken --best-effort');
    expect(await ack(`start ${id}`, 'U0BOB')).toBe(`${id} is now Releasing.`);
    await b().waitForTask(id, (t) => t.status === 'Release failed');
    await threadWith(id, /^Release failed after .*failed: `api`.* · <@U0BOB>$/);
  });
});

// ---------------------------------------------------------------- freeze overrides

describe('freeze overrides without deadlock', () => {
  const window = freezeAroundNow();
  const until = slackDate(window.split('/')[1]!);
  // The deadlock of the issue: the approvers are not operators. qa has no approvers.
  const FROZEN = `
operators: [U0ALICE, U0BOB]
environments:
  production:
    approvers: ${APPROVERS}
    freeze: [${JSON.stringify(window)}]
  qa:
    freeze: [${JSON.stringify(window)}]
`;

  it("an operator's --override becomes an approval request carrying the reason; an approver who is no operator approves it and it runs through the freeze", async () => {
    await startWith(FROZEN, 'override-ask');
    const id = await b().create('hotfix deploy --env production web=web:1.0-hotfix');
    expect(await ack(`start ${id}`)).toBe(
      `production is frozen (${window}): no releases until ${until}. To go ahead anyway, add \`/release … --override "reason"\`: ` +
        'the production approvers are asked to approve it with your reason, and it runs through the freeze once they do.',
    );
    expect(await ack(`start ${id} --override "hotfix for INC-9"`)).toBe(
      `Waiting for approval: to start the release through the freeze (${window}), hotfix needs 1 approval from ${MENTIONED}. ` +
        'They can use Approve on the card. It runs through the freeze once they approve.',
    );
    await threadWith(id, `Approval requested by <@U0ALICE> to start the release through the freeze (${window}): needs 1 approval from ${MENTIONED}. Reason: hotfix for INC-9`);
    const waiting = await cardWith(id, 'Awaiting approval (0/1)');
    expect(waiting).toContain(`❄️ Freeze ${window} overridden by <@U0ALICE>: hotfix for INC-9`);

    // U0CAROL approves though she is no operator: approving is an approver's, not an operator's.
    await b().click(id, 'release.approve', { user: 'U0CAROL' });
    await b().waitForTask(id, (t) => t.status === 'Released');
    const audit = await eventually(async () => {
      const a = await auditOf(id);
      return a.at(-1)?.action === 'release-finished' ? a : undefined;
    }, 5000, 'finished');
    expect(audit.find((e) => e.action === 'start')).toMatchObject({
      actor: 'U0ALICE',
      detail: `approved by U0CAROL; freeze ${window} overridden by U0ALICE: hotfix for INC-9`,
    });
    const card = await cardWith(id, 'Approved by');
    expect(card).toContainEqual(expect.stringMatching(/^✅ Approved by <@U0CAROL> /));
    expect(card).toContain(`❄️ Freeze ${window} overridden by <@U0ALICE>: hotfix for INC-9`);
    expect(b().fake.callsTo('chat.postEphemeral').map((c) => String(c.args.text))).toEqual([]);
  });

  it('a frozen card shows the window; its Release asks for the reason in a modal, whose submission asks the approvers', async () => {
    await startWith(FROZEN, 'override-modal');
    const id = await b().create('frozen-web deploy --env production web=web:1.0');
    const card = await cardWith(id, 'Frozen until');
    expect(card).toContain(`❄️ Frozen until ${until} (window ${window}): releasing here asks for a reason to override the freeze`);

    // Someone who may not operate is refused as before: no modal.
    await b().click(id, 'release.start', { user: 'U0ZED' });
    await b().fake.waitFor((calls) => calls.some((c) => c.method === 'chat.postEphemeral'));
    expect(String(b().fake.callsTo('chat.postEphemeral')[0]!.args.text)).toContain('You are not an operator');
    expect(b().fake.callsTo('views.open')).toHaveLength(0);

    await b().click(id, 'release.start', { user: 'U0BOB' });
    await b().fake.waitFor((calls) => calls.some((c) => c.method === 'views.open'));
    const modal = lastModal();
    expect(modal.callback_id).toBe('override-reason');
    expect(modal.submit?.text).toBe('Ask approvers');
    expect(texts(modal.blocks).join(' ')).toContain('Your reason goes to the production approvers as an approval request');
    // Opening the modal changes nothing and refuses nothing.
    expect((await b().tasks.get(id))!.approval).toBeUndefined();
    expect(b().fake.callsTo('chat.postEphemeral')).toHaveLength(1);

    expect((await submitModal('U0BOB', { override: { override: 'customer outage' } })).status).toBe(200);
    const asked = await b().waitForTask(id, (t) => t.approval !== undefined);
    expect(asked.approval).toMatchObject({ action: 'start', requestedBy: 'U0BOB', override: { by: 'U0BOB', reason: 'customer outage', window } });
    await cardWith(id, `Awaiting approval (0/1) from ${MENTIONED}* to start the release`);
    await b().click(id, 'release.approve', { user: 'U0DAVE' });
    await b().waitForTask(id, (t) => t.status === 'Released');
    await threadWith(id, /^Releasing started by <@U0BOB>: .*, approved by <@U0DAVE> \(freeze overridden by <@U0BOB>: customer outage\)$/);
  });

  it('where the environment has no approvers the modal overrides at once, and the card keeps the override', async () => {
    await startWith(FROZEN, 'override-direct');
    const id = await b().create('qa-web deploy --env qa web=web:1.0');
    await cardWith(id, 'Frozen until');
    await b().click(id, 'release.start', { user: 'U0BOB' });
    await b().fake.waitFor((calls) => calls.some((c) => c.method === 'views.open'));
    expect(lastModal().submit?.text).toBe('Override');
    await submitModal('U0BOB', { override: { override: 'load test' } });
    const done = await b().waitForTask(id, (t) => t.status === 'Released');
    expect(done.decision).toMatchObject({ outcome: 'overridden', by: ['U0BOB'], override: { reason: 'load test', window } });
    await cardWith(id, `❄️ Freeze ${window} overridden by <@U0BOB>: load test`);
  });

  it('a blue-green Release in a window that began after the job paused asks for the reason too', async () => {
    const from = Date.now() + 2500;
    const later = `${new Date(from).toISOString()}/${new Date(from + 3_600_000).toISOString()}`;
    await startWith(`
operators: [U0ALICE]
environments:
  production:
    approvers: ${APPROVERS}
    freeze: [${JSON.stringify(later)}]
`, 'override-bluegreen');
    const bg = (text: string, user = 'U0ALICE') => ack(text, user, '/bluegreen');
    expect(await bg('create web --env production --workload web --image web:1.0')).toContain('Created blue-green job');
    await b().jobUntil('web', 'Healthy');
    await bg('update web web:2.0');
    const paused = await b().jobUntil('web', 'Paused');
    await sleep(Math.max(0, from - Date.now() + 100));

    const ref = (await b().cards.get('bg:web'))!;
    const value = await cardControlValue(b(), 'bg:web', 'bluegreen.release', async () => (await b().jobs.get('web'))?.version);
    expect(value).toBe(`release web @v${paused.version}`);
    await postSigned(`${b().url}/slack/events`, blockActionsBody({ user_id: 'U0ALICE', channel_id: ref.channel || CHANNEL, message_ts: ref.ts, action_id: 'bluegreen.release', value }), { secret: SECRET });
    await b().fake.waitFor((calls) => calls.some((c) => c.method === 'views.open'));
    expect(JSON.parse(lastModal().private_metadata)).toMatchObject({ kind: 'bluegreen', id: 'web', action: 'release', version: paused.version });
    await submitModal('U0ALICE', { override: { override: 'rollout before the sale' } });
    const asked = await b().jobUntil('web', (j) => j.approval !== undefined, 'approval requested');
    expect(asked.approval).toMatchObject({ action: 'release', override: { by: 'U0ALICE', reason: 'rollout before the sale' } });
    await cardWith('bg:web', 'Frozen until');
    expect(await bg('approve web', 'U0CAROL')).toBe('web is now Promoting.');
    await b().jobUntil('web', (j) => j.status === 'Healthy' && j.active === 'green', 'released');
    await threadWith('bg:web', /^Released in .* · <@U0ALICE>$/);
  });
});

// ---------------------------------------------------------------- policy warnings

describe('the policy loader warns at start', () => {
  it('about approvals that can never complete, naming the environment and key', async () => {
    const lines: Array<{ level: number; msg: string }> = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l) as { level: number; msg: string });
        done();
      },
    });
    const path = writePolicy(`
operators: [U0ALICE, U0CAROL]
environments:
  production: { approvers: [U0CAROL, U0DAVE], approvals: 2 }
  staging: { approvers: [U0CAROL, S0RELMGRS], approvals: 2 }
`);
    const prefix = uniquePrefix('policy-warn');
    const config = loadConfig({
      SLACK_BOT_TOKEN: 'xoxb-test', SLACK_SIGNING_SECRET: SECRET, REDIS_URL: testRedisUrl(), REDIS_PREFIX: prefix,
      PORT: '0', LOG_LEVEL: 'warn', SWITCHYARD_CONFIG: path, ROLE: 'worker',
    });
    const running = await start(config, pino({ level: 'warn' }, sink));
    try {
      const warnings = lines.filter((l) => l.level === 40).map((l) => l.msg);
      expect(warnings).toContainEqual(expect.stringMatching(/^environments\.production\.approvals: 2 of 2 listed approvers with distinctApprover on, so a task or job that U0CAROL created or asked for can never be approved/));
      // staging has a group: another member may approve.
      expect(warnings.some((w) => w.includes('environments.staging'))).toBe(false);
    } finally {
      await running.stop();
      await cleanupPrefix(testRedisUrl(), prefix);
    }
  });
});
