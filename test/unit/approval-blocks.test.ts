import type { InputBlock, PlainTextInput } from '@slack/types';
import { describe, expect, it } from 'vitest';
import { parseBlueGreenCommand } from '../../src/commands/bluegreen-grammar.js';
import { parseReleaseCommand } from '../../src/commands/release-grammar.js';
import {
  APPROVAL_ACTION_IDS,
  approvalActionText,
  approvalBlocks,
  awaitingApprovalText,
  decisionBlocks,
  overrideReasonModal,
  parseOverrideReasonMetadata,
  parseRejectReasonMetadata,
  rejectReasonModal,
  type ApprovalSubject,
} from '../../src/slack/blocks/approval.js';
import { parseButtonValue } from '../../src/commands/button-value.js';
import { buttons, contextTexts, sectionText } from '../support/blocks.js';
import { ApprovalFactory } from '../support/factories.js';
import { slackDate } from '../../src/text.js';
import type { ApprovalDecision } from '../../src/domain/approval.js';

const NOW = new Date('2025-03-10T12:00:00Z');
const TASK: ApprovalSubject = { kind: 'task', id: 'rt-7k2f9q', name: 'web-rollout', version: 7, env: 'prod' };
const JOB: ApprovalSubject = { kind: 'bluegreen', id: 'web', name: 'web', version: 17, env: 'prod' };

describe('approvalBlocks', () => {
  it('says what waits, the progress, who asked and when', () => {
    const blocks = approvalBlocks(ApprovalFactory.create({ approvals: [{ user: 'U0BOB', at: '2025-03-10T11:55:00Z' }] }), TASK, NOW);
    const text = sectionText(blocks);
    expect(text).toContain(':lock: *Awaiting approval (1/2) from the prod approvers* to start the release');
    expect(text).toContain('*web-rollout* in prod');
    expect(text).toContain('requested by <@U0ALICE> <!date^1741604400^{date_short_pretty} {time}|2025-03-10T11:00:00.000Z>');
  });

  it.each([
    ['task', ApprovalFactory.create({ action: 'start' }), 'start the release'],
    ['task', ApprovalFactory.create({ action: 'retry' }), 'retry'],
    ['task', ApprovalFactory.create({ action: 'rollback' }), 'roll back'],
    ['bluegreen', ApprovalFactory.create({ action: 'release' }), 'Release'],
    ['bluegreen', ApprovalFactory.create({ action: 'terminate' }), 'Terminate Release'],
    ['bluegreen', ApprovalFactory.create({ action: 'rollback', revision: 3 }), 'Rollback to rev 3'],
  ] as const)('%s %o -> %s', (kind, req, words) => {
    expect(approvalActionText(req, kind)).toBe(words);
    expect(sectionText(approvalBlocks(req, kind === 'task' ? TASK : JOB, NOW))).toContain(`* to ${words} (`);
  });

  it('lists approvals so far with date tokens (never relative times), distinct users only', () => {
    const req = ApprovalFactory.create({
      needed: 3,
      approvals: [
        { user: 'U1', at: '2025-03-10T11:55:00Z' },
        { user: 'U2', at: '2025-03-10T11:58:00Z' },
        { user: 'U1', at: '2025-03-10T11:59:00Z' },
      ],
    });
    const blocks = approvalBlocks(req, TASK, NOW);
    expect(contextTexts(blocks)).toContain(`Approved by <@U1> ${slackDate('2025-03-10T11:55:00Z')} · <@U2> ${slackDate('2025-03-10T11:58:00Z')}`);
    expect(sectionText(blocks)).toContain('(2/3)');
    expect(awaitingApprovalText(req)).toBe('awaiting approval (2/3)');
  });

  it('says when nobody has approved yet', () => {
    expect(contextTexts(approvalBlocks(ApprovalFactory.create(), TASK, NOW))).toContain('No approvals yet');
  });

  it('shows a freeze override, escaped, only when there is one', () => {
    const plain = approvalBlocks(ApprovalFactory.create(), TASK, NOW);
    expect(contextTexts(plain).some((t) => t.includes('❄️'))).toBe(false);
    const req = ApprovalFactory.create({ override: { by: 'U0CAROL', reason: 'hotfix <INC-123>\n& more', window: 'Friday 16:00–Monday 08:00' } });
    const blocks = approvalBlocks(req, TASK, NOW);
    expect(contextTexts(blocks)).toContain(
      '❄️ Freeze Friday 16:00–Monday 08:00 overridden by <@U0CAROL>: hotfix &lt;INC-123&gt; &amp; more',
    );
    expect(blocks).toHaveLength(4);
    expect(blocks.at(-1)?.type).toBe('actions');
  });

  it('task: Approve (primary) and Reject (danger, no confirm) carry command text and version', () => {
    const [approve, reject] = buttons(approvalBlocks(ApprovalFactory.create(), TASK, NOW), { required: true });
    expect(approve).toMatchObject({ action_id: 'release.approve', style: 'primary', value: 'approve rt-7k2f9q @v7' });
    expect(approve?.text.text).toBe('Approve');
    expect(approve?.confirm?.text.text).toContain('web-rollout (rt-7k2f9q)');
    expect(reject).toMatchObject({ action_id: 'release.reject', style: 'danger', value: 'reject rt-7k2f9q @v7' });
    expect(reject?.text.text).toBe('Reject');
    expect(reject?.confirm).toBeUndefined();
    for (const b of [approve!, reject!]) {
      const { text, version } = parseButtonValue(b.value ?? '');
      expect(version).toBe(7);
      expect(parseReleaseCommand(text)).toMatchObject({ ok: true, command: { taskId: 'rt-7k2f9q' } });
    }
    expect(parseReleaseCommand(parseButtonValue(approve!.value!).text)).toMatchObject({ command: { kind: 'approve' } });
    expect(parseReleaseCommand(parseButtonValue(reject!.value!).text)).toMatchObject({ command: { kind: 'reject' } });
  });

  it('bluegreen: Approve and Reject carry the job name and version', () => {
    const [approve, reject] = buttons(approvalBlocks(ApprovalFactory.create({ action: 'rollback', revision: 3 }), JOB, NOW), { required: true });
    expect(approve).toMatchObject({ action_id: 'bluegreen.approve', style: 'primary', value: 'approve web @v17' });
    expect(reject).toMatchObject({ action_id: 'bluegreen.reject', style: 'danger', value: 'reject web @v17' });
    expect(reject?.confirm).toBeUndefined();
    expect(parseBlueGreenCommand(parseButtonValue(approve!.value!).text)).toMatchObject({ ok: true, command: { kind: 'approve', job: 'web' } });
    expect(parseBlueGreenCommand(parseButtonValue(reject!.value!).text)).toMatchObject({ ok: true, command: { kind: 'reject', job: 'web' } });
  });

  it('the Approve confirm says whether this approval is the last one needed', () => {
    const last = buttons(approvalBlocks(ApprovalFactory.create({ approvals: [{ user: 'U1', at: NOW.toISOString() }] }), TASK, NOW), { required: true })[0];
    expect(last?.confirm?.text.text).toContain('last approval needed');
    const first = buttons(approvalBlocks(ApprovalFactory.create({ needed: 3 }), TASK, NOW), { required: true })[0];
    expect(first?.confirm?.text.text).toContain('once 3 approve (0 so far)');
  });

  it('APPROVAL_ACTION_IDS', () => {
    expect(APPROVAL_ACTION_IDS).toEqual({
      task: { approve: 'release.approve', reject: 'release.reject' },
      bluegreen: { approve: 'bluegreen.approve', reject: 'bluegreen.reject' },
    });
  });

  it('stays within limits with huge names, reasons and many approvals', () => {
    const req = ApprovalFactory.create({
      needed: 500,
      approvals: Array.from({ length: 400 }, (_, i) => ({ user: `U${String(i).padStart(10, '0')}`, at: NOW.toISOString() })),
      override: { by: 'U0CAROL', reason: 'r'.repeat(5000), window: 'w'.repeat(1000) },
    });
    const blocks = approvalBlocks(req, { ...TASK, name: 'n'.repeat(5000), env: 'e'.repeat(200) }, NOW);
    expect(blocks.length).toBeLessThanOrEqual(4);
    expect(sectionText(blocks).length).toBeLessThanOrEqual(3000);
    for (const t of contextTexts(blocks)) expect(t.length).toBeLessThanOrEqual(3000);
    for (const b of buttons(blocks, { required: true })) {
      expect((b.value ?? '').length).toBeLessThanOrEqual(2000);
      if (b.confirm) expect(b.confirm.text.text.length).toBeLessThanOrEqual(300);
    }
  });
});

describe('rejectReasonModal', () => {
  it('is a modal with one multiline reason input and the subject in private_metadata', () => {
    const view = rejectReasonModal(TASK, 7);
    expect(view).toMatchObject({
      type: 'modal',
      callback_id: 'reject-reason',
      title: { type: 'plain_text', text: 'Reject' },
      submit: { type: 'plain_text', text: 'Reject' },
      close: { type: 'plain_text', text: 'Cancel' },
    });
    expect(JSON.parse(view.private_metadata ?? '')).toEqual({ kind: 'task', id: 'rt-7k2f9q', version: 7 });
    expect(view.blocks).toHaveLength(1);
    const input = view.blocks[0] as InputBlock;
    expect(input).toMatchObject({ type: 'input', block_id: 'reason', label: { type: 'plain_text', text: 'Why? (shown in the thread)' } });
    const element = input.element as PlainTextInput;
    expect(element).toEqual({ type: 'plain_text_input', action_id: 'reason', multiline: true, max_length: 300 });
  });

  it('bluegreen metadata round-trips through parseRejectReasonMetadata', () => {
    const view = rejectReasonModal(JOB, 17);
    expect(parseRejectReasonMetadata(view.private_metadata)).toEqual({ kind: 'bluegreen', id: 'web', version: 17 });
  });

  it('carries the card it was opened from: channel and message ts', () => {
    const view = rejectReasonModal(TASK, 7, { channel: 'C0PROD', ts: '1700000000.000100' });
    expect(parseRejectReasonMetadata(view.private_metadata)).toEqual({ kind: 'task', id: 'rt-7k2f9q', version: 7, channel: 'C0PROD', ts: '1700000000.000100' });
  });

  it('parseRejectReasonMetadata refuses what is not ours', () => {
    for (const raw of [undefined, '', 'nope', '[]', '{"kind":"x","id":"a","version":1}', '{"kind":"task","id":"","version":1}', '{"kind":"task","id":"a","version":"1"}']) {
      expect(parseRejectReasonMetadata(raw)).toBeUndefined();
    }
  });
});

describe('whom a request waits for', () => {
  it('names the approvers asked who have not approved yet: users and groups as mentions', () => {
    const req = ApprovalFactory.create({ approvers: ['U0CAROL', 'U0DAVE', 'S0RELMGRS'], approvals: [{ user: 'U0DAVE', at: '2025-03-10T11:55:00Z' }] });
    expect(sectionText(approvalBlocks(req, TASK))).toContain(':lock: *Awaiting approval (1/2) from <@U0CAROL>, <!subteam^S0RELMGRS>* to start the release');
  });

  it('falls back to the environment when the request does not say whom it asked (older requests)', () => {
    expect(sectionText(approvalBlocks(ApprovalFactory.create({ action: 'release' }), JOB))).toContain('*Awaiting approval (0/2) from the prod approvers* to Release');
  });
});

describe('decisionBlocks', () => {
  const at = '2025-03-10T11:58:00Z';
  const approved: ApprovalDecision = { outcome: 'approved', action: 'start', by: ['U0CAROL', 'U0DAVE'], requestedBy: 'U0ALICE', at };

  it('after approval: who approved, when, what and who asked', () => {
    expect(contextTexts(decisionBlocks({ decision: approved }, 'task'))).toEqual([`✅ Approved by <@U0CAROL>, <@U0DAVE> ${slackDate(at)} (start the release, asked by <@U0ALICE>)`]);
  });

  it('after a rejection: who rejected and the reason, escaped; "no reason given" without one', () => {
    const rejected: ApprovalDecision = { outcome: 'rejected', action: 'release', by: ['U0CAROL'], requestedBy: 'U0BOB', at, reason: 'not <now> & not here' };
    expect(contextTexts(decisionBlocks({ decision: rejected }, 'bluegreen'))).toEqual([`⛔ Rejected by <@U0CAROL>: not &lt;now&gt; &amp; not here (Release, asked by <@U0BOB>) ${slackDate(at)}`]);
    const { reason: _none, ...bare } = rejected;
    expect(contextTexts(decisionBlocks({ decision: bare }, 'bluegreen'))[0]).toContain('Rejected by <@U0CAROL>: no reason given');
  });

  it('keeps a freeze override and its reason; an override without approvers is that line alone', () => {
    const override = { by: 'U0BOB', reason: 'hotfix', window: '2025-03-10T00:00Z/2025-03-11T00:00Z' };
    expect(contextTexts(decisionBlocks({ decision: { ...approved, override } }, 'task'))).toEqual([
      expect.stringMatching(/^✅ Approved by/),
      '❄️ Freeze 2025-03-10T00:00Z/2025-03-11T00:00Z overridden by <@U0BOB>: hotfix',
    ]);
    const overridden: ApprovalDecision = { outcome: 'overridden', action: 'start', by: ['U0BOB'], requestedBy: 'U0BOB', at, override };
    expect(contextTexts(decisionBlocks({ decision: overridden }, 'task'))).toEqual(['❄️ Freeze 2025-03-10T00:00Z/2025-03-11T00:00Z overridden by <@U0BOB>: hotfix']);
  });

  it('says nothing of the last decision while a new request waits', () => {
    expect(decisionBlocks({ decision: approved, approval: ApprovalFactory.create() }, 'task')).toEqual([]);
    expect(decisionBlocks({}, 'task')).toEqual([]);
  });

  it('shows the freeze window in force, its end as a date token', () => {
    const window = '2025-03-10T00:00Z/2025-03-11T00:00Z';
    expect(contextTexts(decisionBlocks({}, 'task', window))).toEqual([
      `❄️ Frozen until ${slackDate('2025-03-11T00:00Z')} (window ${window}): releasing here asks for a reason to override the freeze`,
    ]);
  });
});

describe('overrideReasonModal', () => {
  const meta = { kind: 'bluegreen' as const, id: 'web', version: 17, channel: 'C0PROD', ts: '1.2', action: 'rollback', revision: 3 };
  const prompt = { window: '2025-03-10T00:00Z/2025-03-11T00:00Z', asks: true };

  it('says what submitting does: an operator asks the approvers, an approver (or where there are none) goes ahead', () => {
    const asks = overrideReasonModal(meta, 'Rollback to rev 3', 'prod', prompt);
    expect(asks).toMatchObject({ type: 'modal', callback_id: 'override-reason', submit: { text: 'Ask approvers' } });
    expect(JSON.stringify(asks.blocks)).toContain('Your reason goes to the prod approvers as an approval request');
    expect(JSON.stringify(asks.blocks)).toContain('To Rollback to rev 3 anyway');
    const direct = overrideReasonModal(meta, 'Release', 'prod', { ...prompt, asks: false });
    expect(direct.submit?.text).toBe('Override');
    expect(JSON.stringify(direct.blocks)).toContain('It goes ahead through the freeze now');
  });

  it('carries the click it stands for, read back by parseOverrideReasonMetadata; refuses what is not ours', () => {
    const view = overrideReasonModal(meta, 'Rollback to rev 3', 'prod', prompt);
    expect(parseOverrideReasonMetadata(view.private_metadata)).toEqual(meta);
    expect(parseOverrideReasonMetadata(rejectReasonModal(TASK, 7).private_metadata)).toBeUndefined();
    expect(parseOverrideReasonMetadata('nope')).toBeUndefined();
  });
});
