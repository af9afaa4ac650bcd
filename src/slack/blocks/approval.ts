/**
 * Approval blocks: what a task or blue-green card shows while an operation on a protected
 * environment waits for approvers (in place of its usual buttons), and the modal that asks a
 * rejecter why. Pure Block Kit builders: no I/O, `now` passed in.
 */
import type { ActionsBlock, Button, KnownBlock, ModalView } from '@slack/types';
import { buttonValue } from '../../commands/button-value.js';
import { actionWords } from '../../domain/actions.js';
import { stillAsked, type ApprovalDecision, type ApprovalRequest, type FreezeOverride } from '../../domain/approval.js';
import type { EntityKind } from '../../domain/entity.js';
import { actor, context, esc, section, slackDate, truncate } from './format.js';
import { CardMetadataSchema, modalView, OverrideMetadataSchema, readMetadata, type CardMetadata, type OverrideMetadata } from './modal.js';

export type ApprovalKind = EntityKind;

/** What the approval blocks are about: a release task or a blue-green job (its name is its ID). */
export interface ApprovalSubject {
  kind: ApprovalKind;
  id: string;
  name: string;
  /** The task's or job's version: buttons carry it to spot stale cards. */
  version: number;
  env: string;
}

/** Action ids of the Approve and Reject buttons, per kind. */
export const APPROVAL_ACTION_IDS = {
  task: { approve: 'release.approve', reject: 'release.reject' },
  bluegreen: { approve: 'bluegreen.approve', reject: 'bluegreen.reject' },
} as const satisfies Record<ApprovalKind, Record<'approve' | 'reject', string>>;

/** The reject-reason modal: its callback_id and the block/action ids of its one input. */
export const REJECT_REASON_CALLBACK_ID = 'reject-reason';
export const REJECT_REASON_BLOCK_ID = 'reason';
export const REJECT_REASON_ACTION_ID = 'reason';
export const REJECT_REASON_MAX = 300;

/**
 * What the modal carries through `private_metadata`: the subject and the card Reject was clicked
 * on (its channel, where the rejecter is answered privately, and its ts). See modal.ts.
 */
export type RejectReasonMetadata = CardMetadata;

const NAME_CHARS = 80;
const REASON_CHARS = 500;

/** The waiting operation in words (plain text), from the action table: "start the release", "Rollback to rev 3". */
export function approvalActionText(req: Pick<ApprovalRequest, 'action' | 'revision' | 'force' | 'image'>, kind: ApprovalKind): string {
  return actionWords(kind, req);
}

/** Approvals from distinct users, first one of each kept, in the order given. */
export function distinctApprovals(req: Pick<ApprovalRequest, 'approvals'>): ApprovalRequest['approvals'] {
  const seen = new Set<string>();
  return req.approvals.filter((a) => !seen.has(a.user) && Boolean(seen.add(a.user)));
}

/** "awaiting approval (1/2)": for fallback texts. */
export function awaitingApprovalText(req: ApprovalRequest): string {
  return `awaiting approval (${distinctApprovals(req).length}/${req.needed})`;
}

/** Button value: the command text the grammar parses plus `@v<version>` (read back by commands/button-value.ts). */
export function approvalButtonValue(verb: 'approve' | 'reject', subject: Pick<ApprovalSubject, 'id' | 'version'>): string {
  return buttonValue(`${verb} ${subject.id}`, subject.version);
}

function approveButton(req: ApprovalRequest, subject: ApprovalSubject, what: string): Button {
  const have = distinctApprovals(req).length;
  const name = `${truncate(subject.name, 60)}${subject.kind === 'task' ? ` (${subject.id})` : ''}`;
  const runs =
    req.needed - have <= 1
      ? 'Yours is the last approval needed: it runs right away.'
      : `It runs once ${req.needed} approve (${have} so far).`;
  return {
    ...verbButton('approve', subject, 'Approve', 'primary'),
    confirm: {
      title: { type: 'plain_text', text: 'Approve?' },
      text: { type: 'plain_text', text: truncate(`Approve: ${what} of ${name} in ${subject.env}? ${runs}`, 300) },
      confirm: { type: 'plain_text', text: 'Approve' },
      deny: { type: 'plain_text', text: 'Cancel' },
    },
  };
}

/** Reject opens the reason modal, so it has no confirm dialog. */
function rejectButton(subject: ApprovalSubject): Button {
  return verbButton('reject', subject, 'Reject', 'danger');
}

function verbButton(verb: 'approve' | 'reject', subject: ApprovalSubject, label: string, style: 'primary' | 'danger'): Button {
  const text = { type: 'plain_text', text: label, emoji: true } as const;
  return { type: 'button', action_id: APPROVAL_ACTION_IDS[subject.kind][verb], text, value: approvalButtonValue(verb, subject), style };
}

/** "<@U1>, <!subteam^S1>": the approvers asked who have not approved yet, or the environment's approvers on older requests. */
function askedText(req: ApprovalRequest, env: string): string {
  const asked = stillAsked(req);
  return req.approvers && asked.length > 0 ? asked.map(actor).join(', ') : `the ${esc(env)} approvers`;
}

/** One line, escaped and cut: a reason people typed. */
function reasonText(reason: string): string {
  return esc(truncate(reason.replace(/\s+/g, ' ').trim(), REASON_CHARS));
}

/** "❄️ Freeze <window> overridden by <@U>: reason" */
function overrideLine(o: FreezeOverride): string {
  return `❄️ Freeze ${esc(truncate(o.window, 200))} overridden by ${actor(o.by)}: ${reasonText(o.reason)}`;
}

/**
 * The waiting operation and whom it waits for (mentions), who asked and when, the approvals so
 * far, a freeze override if any, and Approve / Reject buttons. At most four blocks, each text
 * within Slack's limits. Times are date tokens: a card is not re-rendered as time passes.
 */
export function approvalBlocks(req: ApprovalRequest, subject: ApprovalSubject, _now?: Date): KnownBlock[] {
  const what = approvalActionText(req, subject.kind);
  const approvals = distinctApprovals(req);
  const blocks: KnownBlock[] = [
    section(
      `:lock: *Awaiting approval (${approvals.length}/${req.needed}) from ${askedText(req, subject.env)}* to ${esc(what)} ` +
        `(*${esc(truncate(subject.name, NAME_CHARS))}* in ${esc(subject.env)}), ` +
        `requested by ${actor(req.requestedBy)} ${slackDate(req.requestedAt)}`,
    ),
    context(
      approvals.length > 0
        ? `Approved by ${approvals.map((a) => `${actor(a.user)} ${slackDate(a.at)}`).join(' · ')}`
        : 'No approvals yet',
    ),
  ];
  if (req.override) blocks.push(context(overrideLine(req.override)));
  const actions: ActionsBlock = {
    type: 'actions',
    block_id: truncate(`approval:${subject.kind}:${subject.id}`, 255),
    elements: [approveButton(req, subject, what), rejectButton(subject)],
  };
  blocks.push(actions);
  return blocks;
}

/**
 * What a card keeps saying about approvals and freezes when nothing waits for approval: the last
 * decision (approved by whom, or rejected by whom and why, and a freeze override with its reason)
 * and, while a freeze window is in force (`freeze`, the window), that the environment is frozen
 * and that a release first asks for a reason. Context blocks, none when there is nothing to say.
 */
export function decisionBlocks(entity: { approval?: ApprovalRequest; decision?: ApprovalDecision }, kind: ApprovalKind, freeze?: string): KnownBlock[] {
  const lines: string[] = [];
  const d = entity.approval ? undefined : entity.decision;
  if (d) {
    const what = esc(approvalActionText(d, kind));
    const asked = `${what}, asked by ${actor(d.requestedBy)}`;
    if (d.outcome === 'approved') lines.push(`✅ Approved by ${d.by.map(actor).join(', ')} ${slackDate(d.at)} (${asked})`);
    if (d.outcome === 'rejected') lines.push(`⛔ Rejected by ${d.by.map(actor).join(', ')}: ${d.reason ? reasonText(d.reason) : 'no reason given'} (${asked}) ${slackDate(d.at)}`);
    if (d.override) lines.push(overrideLine(d.override));
  }
  if (freeze) {
    const until = freeze.split('/')[1] ?? freeze;
    lines.push(`❄️ Frozen until ${slackDate(until)} (window ${esc(truncate(freeze, 200))}): releasing here asks for a reason to override the freeze`);
  }
  return lines.map(context);
}

/** The override-reason modal: its callback_id and the block/action ids of its one input. */
export const OVERRIDE_REASON_CALLBACK_ID = 'override-reason';
export const OVERRIDE_REASON_BLOCK_ID = 'override';
export const OVERRIDE_REASON_ACTION_ID = 'override';

/** What the override modal carries through `private_metadata`: the click it stands for (a rollback's revision too). */
export type OverrideReasonMetadata = OverrideMetadata;

/**
 * The modal a card control opens when a freeze stands in its way: why go ahead anyway. It says
 * exactly what submitting does: `asks`, the override goes to the approvers as an approval
 * request; otherwise it goes ahead now (approvals still apply where the action needs them).
 */
export function overrideReasonModal(meta: OverrideReasonMetadata, what: string, env: string, prompt: { window?: string; asks: boolean; checks?: string }): ModalView {
  const paragraphs: string[] = [];
  if (prompt.window) {
    const until = prompt.window.split('/')[1] ?? prompt.window;
    paragraphs.push(`❄️ *${esc(env)} is frozen* until ${slackDate(until)} (window ${esc(truncate(prompt.window, 200))}).`);
  }
  if (prompt.checks) paragraphs.push(`:x: *The checks do not pass* on the new version: ${esc(truncate(prompt.checks, 500))}.`);
  const then = prompt.asks
    ? `Your reason goes to the ${esc(env)} approvers as an approval request; it runs through the freeze once they approve it.`
    : prompt.window
      ? 'It goes ahead through the freeze now (where it needs approval, the approvers are asked first). Your reason is kept in the thread and the audit.'
      : 'It goes ahead now (where it needs approval, the approvers are asked first). Your reason is kept in the thread and the audit.';
  return modalView({
    callbackId: OVERRIDE_REASON_CALLBACK_ID,
    title: prompt.window ? 'Frozen environment' : 'Checks not passing',
    submit: prompt.asks ? 'Ask approvers' : prompt.window ? 'Override' : 'Go ahead',
    metadata: meta,
    blocks: [
      section(`${paragraphs.join(' ')} To ${esc(truncate(what, 200))} anyway, give a reason. ${then}`),
      {
        type: 'input',
        block_id: OVERRIDE_REASON_BLOCK_ID,
        label: { type: 'plain_text', text: prompt.window ? 'Why go ahead during the freeze?' : 'Why go ahead anyway?' },
        element: { type: 'plain_text_input', action_id: OVERRIDE_REASON_ACTION_ID, multiline: true, max_length: REJECT_REASON_MAX },
      },
    ],
  });
}

/** Read back the override modal's `private_metadata`; undefined if it is not ours. */
export function parseOverrideReasonMetadata(raw: string | undefined): OverrideReasonMetadata | undefined {
  return readMetadata(OverrideMetadataSchema, raw);
}

/**
 * The modal the Reject button opens: one multiline input for the reason, shown in the thread.
 * `card` is the message Reject was clicked on; the submission must come back to that card.
 */
export function rejectReasonModal(subject: Pick<ApprovalSubject, 'kind' | 'id'>, version: number, card?: { channel: string; ts: string }): ModalView {
  const metadata: RejectReasonMetadata = { kind: subject.kind, id: subject.id, version, ...(card ? { channel: card.channel, ts: card.ts } : {}) };
  return modalView({
    callbackId: REJECT_REASON_CALLBACK_ID,
    title: 'Reject',
    submit: 'Reject',
    metadata,
    blocks: [
      {
        type: 'input',
        block_id: REJECT_REASON_BLOCK_ID,
        label: { type: 'plain_text', text: 'Why? (shown in the thread)' },
        element: {
          type: 'plain_text_input',
          action_id: REJECT_REASON_ACTION_ID,
          multiline: true,
          max_length: REJECT_REASON_MAX,
        },
      },
    ],
  });
}

/** Read back the modal's `private_metadata`; undefined if it is not ours. Empty channel or ts are dropped. */
export function parseRejectReasonMetadata(raw: string | undefined): RejectReasonMetadata | undefined {
  return readMetadata(CardMetadataSchema, raw);
}
