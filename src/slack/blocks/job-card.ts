/**
 * The card of a blue-green job: posted in the channel, edited in place as the job moves.
 * Basic information (name, status, release type, release object), the main versions (blue and
 * green, labelled Active, Stable and New) and the controls the status allows: Release and
 * Terminate on a Paused job, Terminate on a Degraded one; Update Version (a modal asks for the
 * image), a Rollback select and Delete on a Healthy one. With link templates in the policy, the
 * release object links to the workload's page and a row of link buttons follows the controls.
 * Pure Block Kit builder: no I/O, `now` passed in.
 */
import { buttonValue } from '../../commands/button-value.js';
import { JOB_CONTROLS, type JobControl } from '../../domain/actions.js';
import { checkLines, failedDetail } from '../../domain/checks.js';
import type { LinkTemplates } from '../../domain/links.js';
import type { ActionsBlock, Button, Confirm, KnownBlock, PlainTextOption, SectionBlock, StaticSelect } from '@slack/types';
import {
  otherSlot,
  rollbackTargets,
  type BlueGreenJob,
  type HistoricalVersion,
  type JobStatus,
  jobCardVersion,
  type Slot,
} from '../../domain/bluegreen-job.js';
import { approvalBlocks, awaitingApprovalText, decisionBlocks, type ApprovalSubject } from './approval.js';
import { actor, code, context, esc, header, reasonAfter, section, slackDate, truncate, utcTime } from './format.js';
import { jobLinkButtons, releaseObjectText } from './links.js';

/** Action ids of the card's controls ("bluegreen.release"); the listener routes on the prefix. */
export const JOB_ACTION_IDS = Object.fromEntries(JOB_CONTROLS.map((a) => [a, `bluegreen.${a}`])) as Record<JobControl, string>;
export type { JobControl } from '../../domain/actions.js';
/**
 * The Update Version button: not among the controls (its value names the job but no image; a
 * modal asks for that), but under the same prefix, so the listener takes it before the grammar.
 */
export const UPDATE_VERSION_ACTION_ID = 'bluegreen.update-version';

export const JOB_STATUS_EMOJI: Record<JobStatus, string> = {
  Healthy: ':large_green_circle:',
  Progressing: ':hourglass_flowing_sand:',
  Paused: ':double_vertical_bar:',
  Promoting: ':arrow_right:',
  Terminating: ':wastebasket:',
  Degraded: ':warning:',
};

export const SLOT_EMOJI: Record<Slot, string> = { blue: ':large_blue_circle:', green: ':green_circle:' };
const SLOTS: readonly Slot[] = ['blue', 'green'];

/** Rollback targets offered in the card's select (Slack allows 100; the newest are what people want). */
export const ROLLBACK_OPTION_LIMIT = 25;
const OPTION_TEXT = 75;
const REASON_CHARS = 500;

export function jobStatusLabel(status: JobStatus): string {
  return `${JOB_STATUS_EMOJI[status]} ${status}`;
}

/**
 * Control value: the command text the grammar parses, plus `@v<version>` to spot stale cards
 * (read back by commands/button-value.ts). `rollback` carries the target revision.
 */
export function jobButtonValue(verb: JobControl, job: Pick<BlueGreenJob, 'name' | 'version' | 'stateVersion'>, revision?: number): string {
  return buttonValue(`${verb} ${job.name}${revision !== undefined ? ` ${revision}` : ''}`, jobCardVersion(job));
}

/** What the approval blocks of a job are about (the job's name is its ID, as in jobButtonValue). */
export function jobApprovalSubject(job: BlueGreenJob): ApprovalSubject {
  return { kind: 'bluegreen', id: job.name, name: job.name, version: jobCardVersion(job), env: job.env };
}

/** "prod/web", escaped for mrkdwn. */
export function releaseObject(job: Pick<BlueGreenJob, 'env' | 'workload'>): string {
  return `${esc(job.env)}/${esc(job.workload)}`;
}

export function jobFallbackText(job: BlueGreenJob): string {
  const text = `Blue-green job ${truncate(job.name, 100)} (${job.env}/${job.workload}): ${job.status}`;
  return job.approval ? `${text}, ${awaitingApprovalText(job.approval)}` : text;
}

/** The version a running or paused process brings up: its main version if it exists, else the pending record. */
function newVersion(job: BlueGreenJob): { slot: Slot; revision: number; image: string } | undefined {
  if (job.pending) return job.pending;
  const other = job.versions[otherSlot(job.stable)];
  return job.status === 'Paused' || job.status === 'Degraded' ? other : undefined;
}

/** What is happening to the new version, for the main-versions list. */
const PENDING_NOTE: Record<JobStatus, string> = {
  Healthy: '',
  Progressing: 'coming up…',
  Paused: 'ready: Release or Terminate',
  Promoting: 'taking over the traffic…',
  Terminating: 'being deleted…',
  Degraded: 'never became ready',
};

/** What is happening to the new version, its checks considered. */
function pendingNote(job: BlueGreenJob): string {
  const checks = job.checks;
  if (job.status === 'Paused' && checks?.phase === 'preview') {
    if (checks.state === 'running') return 'ready; checks running';
    if (checks.state === 'failed') return 'ready, but a check fails: Terminate, or an approver may release anyway';
    return 'ready, checks passed: Release or Terminate';
  }
  if (job.status === 'Degraded' && checks?.phase === 'release') return 'failed its checks after Release';
  if (job.status === 'Promoting' && checks?.phase === 'release' && job.active === job.pending?.slot) return 'serving; checks watching';
  return PENDING_NOTE[job.status];
}

/** "`web:2.0` (rev 3), coming up…": the new version in one phrase, for lists; undefined if none. */
export function pendingPhrase(job: BlueGreenJob): string | undefined {
  const p = newVersion(job);
  if (!p) return undefined;
  const note = pendingNote(job);
  return `${code(truncate(p.image, 120))} (rev ${p.revision})${note ? `, ${note}` : ''}`;
}

/** One main version: slot, labels, revision, image, created. */
function slotLine(job: BlueGreenJob, slot: Slot): string | undefined {
  const v = job.versions[slot];
  const pending = job.pending?.slot === slot ? job.pending : undefined;
  if (!v && !pending) return undefined;
  const labels: string[] = [];
  if (v && job.active === slot) labels.push('*Active*');
  if (v && job.stable === slot) labels.push('*Stable*');
  if (pending) labels.push('*New*');
  const parts = [`${SLOT_EMOJI[slot]} *${slot}*${labels.length ? ` ${labels.join(' ')}` : ''}`];
  const revision = v?.revision ?? pending!.revision;
  const image = v?.image ?? pending!.image;
  parts.push(`rev ${revision}`, code(truncate(image, 300)));
  if (v && v.replicas !== job.replicas) parts.push(`${v.replicas} replica${v.replicas === 1 ? '' : 's'}`);
  if (v) parts.push(`created ${slackDate(v.createdAt)}`);
  if (pending?.rollbackOf) parts.push(`rollback to rev ${pending.rollbackOf}`);
  if (pending && pendingNote(job)) parts.push(`_${pendingNote(job)}_`);
  else if (job.status === 'Promoting' && v && job.pending && slot !== job.pending.slot) {
    const until = job.checks?.phase === 'release' ? job.checks.until : undefined;
    parts.push(until ? `_kept until ${slackDate(until)}: the traffic goes back here if a check fails_` : '_deleted once the traffic has moved_');
  }
  return parts.join(' · ');
}

/** "*Main versions*" and one line per existing (or coming) slot. */
export function mainVersionLines(job: BlueGreenJob): string[] {
  const lines = SLOTS.map((s) => slotLine(job, s)).filter((l): l is string => l !== undefined);
  return ['*Main versions*', ...(lines.length ? lines : ['_no version is running_'])];
}

/** The warning shown while Degraded; undefined otherwise. */
export function degradedLine(job: BlueGreenJob): string | undefined {
  if (job.status !== 'Degraded') return undefined;
  const p = newVersion(job);
  const what = p ? `rev ${p.revision} (${code(truncate(p.image, 200))})` : 'The new version';
  // The platform's reason often starts "<image> never became ready": said once, not twice.
  const why = esc(truncate(reasonAfter(p?.image, 'never became ready', job.degradedReason), REASON_CHARS));
  const serving = job.versions[job.active];
  const still = serving ? ` rev ${serving.revision} still serves; Terminate to remove the failed version.` : ' Terminate to remove it.';
  if (job.checks?.phase === 'release' && job.checks.state === 'failed') {
    const stuck = job.pending && job.active === job.pending.slot;
    const back = stuck
      ? ' :rotating_light: The switch back failed: the traffic is still on it. Terminate tries the switch back again.'
      : serving ? ` The traffic went back to rev ${serving.revision}; Terminate to remove the failed version.` : ' Terminate to remove it.';
    return `:warning: ${what} failed its checks after Release: ${esc(truncate(failedDetail(job.checks), REASON_CHARS))}.${back}`;
  }
  return `:warning: ${what} never became ready${why}.${still}`;
}

/** The checks on the new version (preview, or the watch after Release) and their latest samples; undefined without. */
export function checksLines(job: BlueGreenJob): string[] {
  const checks = job.checks;
  const p = job.pending;
  if (!checks || !p) return [];
  const title =
    checks.phase === 'preview'
      ? `*Checks on rev ${p.revision}* (the preview in ${p.slot})`
      : `*Checks after Release* (rev ${p.revision}${checks.until ? `; the old version is kept until ${slackDate(checks.until)}` : ''})`;
  const lines = checkLines(checks);
  return [title, ...(lines.length ? lines.map((l) => esc(truncate(l, 300))) : ['_first samples due_'])];
}

/** Header, basic information, description and who/when: shared by the card and `/bluegreen show`. */
export function jobInfoBlocks(job: BlueGreenJob, _now: Date, links?: LinkTemplates): KnownBlock[] {
  const fields: SectionBlock = {
    type: 'section',
    fields: [
      `*Status*\n${jobStatusLabel(job.status)}`,
      `*Release type*\n${job.releaseType}`,
      `*Release object*\n${releaseObjectText(links, job)}`,
      `*Replicas*\n${job.replicas}`,
    ].map((text) => ({ type: 'mrkdwn' as const, text: truncate(text, 2000) })),
  };
  const blocks: KnownBlock[] = [header(job.name), fields];
  if (job.description) blocks.push(section(esc(truncate(job.description, 2000))));
  blocks.push(
    context(`Created by ${actor(job.createdBy)} ${slackDate(job.createdAt)} · last update ${slackDate(job.updatedAt)}`),
  );
  return blocks;
}

/** Main versions section plus the Degraded warning: shared by the card and `/bluegreen show`. */
export function jobVersionBlocks(job: BlueGreenJob): KnownBlock[] {
  const blocks: KnownBlock[] = [section(mainVersionLines(job).join('\n'))];
  const checks = checksLines(job);
  if (checks.length) blocks.push(section(truncate(checks.join('\n'), 3000)));
  const warning = degradedLine(job);
  if (warning) blocks.push(context(warning));
  return blocks;
}

function confirm(title: string, text: string, ok: string, danger: boolean): Confirm {
  return {
    title: { type: 'plain_text', text: truncate(title, 100) },
    text: { type: 'plain_text', text: truncate(text, 300) },
    confirm: { type: 'plain_text', text: truncate(ok, 30) },
    deny: { type: 'plain_text', text: 'Cancel' },
    ...(danger ? { style: 'danger' as const } : {}),
  };
}

function button(job: BlueGreenJob, verb: JobControl, label: string, style: 'primary' | 'danger' | undefined, dialog: Confirm): Button {
  return {
    type: 'button',
    action_id: JOB_ACTION_IDS[verb],
    text: { type: 'plain_text', text: label, emoji: true },
    value: jobButtonValue(verb, job),
    ...(style ? { style } : {}),
    confirm: dialog,
  };
}

/** "web:2.0 (rev 3)", plain text for dialogs. */
function plainVersion(v: { image: string; revision: number }): string {
  return `${truncate(v.image, 90)} (rev ${v.revision})`;
}

function releaseButton(job: BlueGreenJob): Button {
  const v = newVersion(job);
  const text = `Send all traffic of ${job.env}/${job.workload} to ${v ? plainVersion(v) : 'the new version'} and delete the old version?`;
  return button(job, 'release', 'Release', 'primary', confirm('Release new version?', text, 'Release', false));
}

function terminateButton(job: BlueGreenJob): Button {
  const v = newVersion(job);
  const what = job.status === 'Degraded' ? 'the failed version' : 'the new version';
  const serving = job.versions[job.active];
  const stays = serving ? ` The traffic stays on ${plainVersion(serving)}.` : '';
  const text = `Delete ${what}${v ? ` ${plainVersion(v)}` : ''} of ${job.env}/${job.workload}?${stays}`;
  return button(job, 'terminate', 'Terminate', 'danger', confirm('Terminate release?', text, 'Terminate', true));
}

/**
 * Update Version opens a modal asking for the image (listeners/actions: the click carries the
 * job and the card's version, the submission runs `/bluegreen update`), so no confirm dialog.
 */
function updateButton(job: BlueGreenJob): Button {
  return {
    type: 'button',
    action_id: UPDATE_VERSION_ACTION_ID,
    text: { type: 'plain_text', text: 'Update Version', emoji: true },
    value: buttonValue(`update ${job.name}`, jobCardVersion(job)),
    style: 'primary',
  };
}

/**
 * Delete stops tracking the job; the dialog says the workload keeps running. A plain button: it
 * removes nothing that serves, so it should not look like Terminate.
 */
function deleteButton(job: BlueGreenJob): Button {
  const serving = job.versions[job.active];
  const text =
    `Stop tracking ${job.name}? Only the job goes: the workload ${job.env}/${job.workload} keeps running` +
    `${serving ? ` ${plainVersion(serving)}` : ''}, untouched. /bluegreen create can track it again.`;
  return button(job, 'delete', 'Delete', undefined, confirm('Delete the job?', text, 'Delete', true));
}

/**
 * "rev 3 · web:1.2 · Mar 8 12:00 UTC", cut to Slack's 75 characters by shortening the image. An
 * option's text is plain text (no date token) and a card stays up for days: an absolute time.
 */
export function rollbackOptionText(h: HistoricalVersion, _now?: Date): string {
  const head = `rev ${h.revision} · `;
  const tail = ` · ${utcTime(h.at)}`;
  return `${head}${truncate(h.image, Math.max(1, OPTION_TEXT - head.length - tail.length))}${tail}`.slice(0, OPTION_TEXT);
}

/** The Rollback select of a Healthy job; undefined when there is nothing to roll back to. */
export function rollbackSelect(job: BlueGreenJob, now: Date): StaticSelect | undefined {
  const targets = rollbackTargets(job).slice(0, ROLLBACK_OPTION_LIMIT);
  if (targets.length === 0) return undefined;
  const options: PlainTextOption[] = targets.map((h) => ({
    text: { type: 'plain_text', text: rollbackOptionText(h, now), emoji: true },
    value: jobButtonValue('rollback', job, h.revision),
  }));
  const text =
    `Bring the chosen revision back up in ${job.env}/${job.workload} as a new version beside the serving one? ` +
    'The traffic does not move: the job pauses so you can Release or Terminate it.';
  return {
    type: 'static_select',
    action_id: JOB_ACTION_IDS.rollback,
    placeholder: { type: 'plain_text', text: 'Rollback to…', emoji: true },
    options,
    confirm: confirm('Roll back?', text, 'Roll back', false),
  };
}

/** The controls that make sense for the job's status (empty: no actions block). */
export function jobControls(job: BlueGreenJob, now: Date): (Button | StaticSelect)[] {
  switch (job.status) {
    case 'Paused':
      return [releaseButton(job), terminateButton(job)];
    case 'Degraded':
      return [terminateButton(job)];
    case 'Healthy': {
      const select = rollbackSelect(job, now);
      return [updateButton(job), ...(select ? [select] : []), deleteButton(job)];
    }
    default:
      return [];
  }
}

/** Pointers to the commands the card has no control for. */
function hintLine(job: BlueGreenJob): string | undefined {
  const hints: string[] = [];
  const n = job.history.length;
  if (n > 0) hints.push(`${n} historical version${n === 1 ? '' : 's'}: \`/bluegreen history ${esc(job.name)}\``);
  return hints.length ? hints.join(' · ') : undefined;
}

/** What a card shows beside the job: its environment's link templates and the freeze window in force (card-sources.ts knows the policy). */
export interface JobCardContext {
  links?: LinkTemplates;
  freeze?: string;
}

export function jobCard(job: BlueGreenJob, now: Date, { links, freeze }: JobCardContext = {}): { text: string; blocks: KnownBlock[] } {
  const blocks: KnownBlock[] = [...jobInfoBlocks(job, now, links), { type: 'divider' }, ...jobVersionBlocks(job)];
  const hint = hintLine(job);
  if (hint) blocks.push(context(hint));
  blocks.push(...decisionBlocks(job, 'bluegreen', freeze));
  if (job.approval) {
    // While an operation waits for approval, the approval blocks replace the usual controls.
    blocks.push(...approvalBlocks(job.approval, jobApprovalSubject(job), now));
  } else {
    const controls = jobControls(job, now);
    if (controls.length > 0) {
      const actions: ActionsBlock = { type: 'actions', block_id: `bluegreen:${truncate(job.id, 200)}`, elements: controls };
      blocks.push(actions);
    }
  }
  // Links stay while an approval waits: approvers want to look before they decide.
  const linkRow = jobLinkButtons(links, job);
  if (linkRow.length > 0) blocks.push({ type: 'actions', block_id: `links:${truncate(job.id, 200)}`, elements: linkRow });
  return { text: jobFallbackText(job), blocks };
}
