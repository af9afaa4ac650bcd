/**
 * The status card of a release task: posted in the channel, edited in place as the task moves.
 * Pure Block Kit builder: no I/O, `now` passed in.
 */
import { checkPhrase } from '../../domain/checks.js';
import type { ActionsBlock, Button, KnownBlock, SectionBlock } from '@slack/types';
import { buttonValue as controlValue } from '../../commands/button-value.js';
import { TASK_ACTIONS, type TaskAction } from '../../domain/actions.js';
import { planLine } from '../../domain/plan.js';
import {
  COMPONENT_STATUSES,
  isActive,
  type ComponentState,
  type ComponentStatus,
  type ReleaseTask,
} from '../../domain/release-task.js';
import type { TaskSchedule } from '../../domain/schedule.js';
import { statusRunKind, timeSpent } from '../../domain/task-run.js';
import { approvalBlocks, awaitingApprovalText, decisionBlocks, type ApprovalSubject } from './approval.js';
import {
  FAILED_COMPONENT_STATUSES,
  MAX_BLOCKS,
  actor,
  code,
  componentStatusLabel,
  context,
  errorAfter,
  esc,
  header,
  packLines,
  plural,
  section,
  shortDuration,
  slackDate,
  statusLabel,
  truncate,
} from './format.js';

export { shortDuration } from './format.js';

/** Action ids of the card's buttons, one per task action ("release.start"); the listener routes on the prefix. */
export const ACTION_IDS = Object.fromEntries(TASK_ACTIONS.map((a) => [a, `release.${a}`])) as Record<TaskAction, string>;
/** Cancel of a scheduled start: its value is `cancel <task-id> @v<stateVersion>`, as the command. */
export const CANCEL_SCHEDULE_ACTION_ID = 'release.cancel-schedule';

/** Components listed one by one on the card; beyond this, a progress bar, counts, failures and what is in flight. */
export const CARD_COMPONENT_LIMIT = 20;
/** Failed components listed on a large card before "…and N more failed". */
export const CARD_FAILURE_LIMIT = 20;
const ERROR_CHARS = 150;

/**
 * Button value: the command text the grammar parses, plus `@v<stateVersion>` to spot stale cards
 * (stateVersion, not version: component progress must not make the buttons stale).
 */
export function buttonValue(action: TaskAction, task: Pick<ReleaseTask, 'id' | 'stateVersion'>): string {
  return controlValue(`${action} ${task.id}`, task.stateVersion);
}

/** What the approval blocks of a task are about; buttons carry its stateVersion like the others. */
export function taskApprovalSubject(task: ReleaseTask): ApprovalSubject {
  return { kind: 'task', id: task.id, name: task.name, version: task.stateVersion, env: task.env };
}


/** "web-rollout (rt-7k2f9q)", plain text for dialogs. */
function plainName(task: ReleaseTask): string {
  return `${truncate(task.name, 60)} (${task.id})`;
}

function button(
  task: ReleaseTask,
  action: TaskAction | 'cancel',
  label: string,
  style?: 'primary' | 'danger',
  confirm?: { title: string; text: string; ok: string; danger: boolean; deny?: string },
): Button {
  const b: Button = {
    type: 'button',
    action_id: action === 'cancel' ? CANCEL_SCHEDULE_ACTION_ID : ACTION_IDS[action],
    text: { type: 'plain_text', text: label, emoji: true },
    value: controlValue(`${action} ${task.id}`, task.stateVersion),
  };
  if (style) b.style = style;
  if (confirm) {
    b.confirm = {
      title: { type: 'plain_text', text: truncate(confirm.title, 100) },
      text: { type: 'plain_text', text: truncate(confirm.text, 300) },
      confirm: { type: 'plain_text', text: truncate(confirm.ok, 30) },
      deny: { type: 'plain_text', text: confirm.deny ?? 'Cancel' },
      ...(confirm.danger ? { style: 'danger' as const } : {}),
    };
  }
  return b;
}

function rollbackButton(task: ReleaseTask): Button {
  return button(task, 'rollback', 'Rollback', 'danger', {
    title: 'Roll back release task?',
    text: `Roll back ${plainName(task)} in ${task.env}: its released components return to their previous images.`,
    ok: 'Roll back',
    danger: true,
  });
}

/**
 * What Delete leaves behind, per status it works in (the delete rule of task-machine.ts); the
 * confirm dialog says it so nobody expects Delete to undo a release or stop one.
 */
const DELETE_NOTES: Partial<Record<ReleaseTask['status'], (task: ReleaseTask) => string>> = {
  'To release': () => 'Nothing has been released yet; the task and its card go away.',
  Released: (t) => `The task and its card go away; what runs in ${t.env} stays as it is.`,
  'Release failed': (t) => `The task and its card go away; what runs in ${t.env} stays as it is, including what it did release.`,
  'Rolled back': (t) => `The task and its card go away; what runs in ${t.env} stays as it is.`,
  'Rollback failed': (t) => `The task and its card go away; what runs in ${t.env} stays as it is, including what it could not roll back.`,
  Suspended: (t) => `The task and its card go away; what it released stays in ${t.env} and the rest is never released.`,
};

/** Delete, where the delete command works: never while a run is in flight. */
function deleteButtons(task: ReleaseTask): Button[] {
  const note = DELETE_NOTES[task.status];
  if (!note) return [];
  return [
    button(task, 'delete', 'Delete', 'danger', {
      title: 'Delete release task?',
      text: `Delete ${plainName(task)}? ${note(task)} This cannot be undone.`,
      ok: 'Delete',
      danger: true,
    }),
  ];
}

/** The buttons that make sense for the task's status (empty: no actions block). */
export function taskButtons(task: ReleaseTask): Button[] {
  return [...runButtons(task), ...deleteButtons(task)];
}

function runButtons(task: ReleaseTask): Button[] {
  const upgrade = task.operation === 'Bulk Upgrade';
  switch (task.status) {
    case 'To release':
      return task.schedule ? [button(task, 'start', 'Release', 'primary'), cancelScheduleButton(task, task.schedule)] : [button(task, 'start', 'Release', 'primary')];
    case 'Releasing':
      return [
        button(task, 'suspend', 'Suspend', undefined, {
          title: 'Suspend release task?',
          text: `Suspend ${plainName(task)} in ${task.env}? Components already releasing finish; the rest wait until you Resume.`,
          ok: 'Suspend',
          danger: false,
        }),
      ];
    case 'Suspended':
      return [button(task, 'resume', 'Resume', 'primary')];
    case 'Release failed':
      return upgrade ? [button(task, 'retry', 'Retry', 'primary'), rollbackButton(task)] : [button(task, 'retry', 'Retry', 'primary')];
    case 'Released':
      return upgrade ? [rollbackButton(task)] : [];
    case 'Rollback failed':
      return [rollbackButton(task)];
    default:
      return [];
  }
}

/** Cancel next to Release while a start is scheduled; the dialog names the time in UTC (plain text has no date tokens). */
function cancelScheduleButton(task: ReleaseTask, schedule: TaskSchedule): Button {
  const utc = `${schedule.at.slice(0, 16).replace('T', ' ')} UTC`;
  return button(task, 'cancel', 'Cancel', undefined, {
    title: 'Cancel the scheduled start?',
    text: `${plainName(task)} will not start at ${utc}. It stays To release; Release starts it now.`,
    ok: 'Cancel the start',
    deny: 'Keep it',
    danger: false,
  });
}

/** "Scheduled for <date> at <time> by <@U…>": under the status while a start is scheduled. */
export function scheduleLine(schedule: TaskSchedule): string {
  return `⏰ Scheduled for ${slackDate(schedule.at, '{date_short_pretty} at {time}')} by ${actor(schedule.by)}`;
}

/** "Released 7/12 · Failed 1 · Releasing 2 · To release 2" */
export function progressLine(task: ReleaseTask): string {
  const counts = new Map<ComponentStatus, number>();
  for (const c of task.components) counts.set(c.status, (counts.get(c.status) ?? 0) + 1);
  const parts = [`Released ${counts.get('Released') ?? 0}/${task.components.length}`];
  for (const s of COMPONENT_STATUSES) {
    const n = counts.get(s) ?? 0;
    if (s === 'Released' || n === 0) continue;
    parts.push(`${s === 'Release failed' ? 'Failed' : s} ${n}`);
  }
  return parts.join(' · ');
}

export function fallbackText(task: ReleaseTask): string {
  const released = task.components.filter((c) => c.status === 'Released').length;
  const text = `Release task ${truncate(task.name, 100)} (${task.id}): ${task.status} ${released}/${task.components.length}`;
  const scheduled = task.schedule ? `, scheduled for ${task.schedule.at}` : '';
  return task.approval ? `${text}${scheduled}, ${awaitingApprovalText(task.approval)}` : `${text}${scheduled}`;
}

/** The statuses of a task that reached Released: Released itself, and the rollback after it. */
const RELEASED_STATUSES: readonly ReleaseTask['status'][] = ['Released', 'Rolling back', 'Rolled back', 'Rollback failed'];

/**
 * "Released by <creator> <when> · Started by <@U> · Rolled back by <@U> · took 3s". The manual
 * defines Released By as the task's creator and Released as the time of a task whose status is
 * Released, so both show only once it got there (and stay through a rollback of that release),
 * never on a task that is Release failed, Suspended or still releasing. Who started the last run
 * and who rolled it back are their own entries, so a rollback never rewrites who released. Tasks from before startedBy kept the
 * starter in releasedBy. While a run is in flight its start is a date token (a "running for" would
 * freeze when the edits stop); once it has ended, how long it took, summed over every run.
 */
function whoRan(task: ReleaseTask, now: Date): string[] {
  const parts: string[] = [];
  if (task.releasedAt && RELEASED_STATUSES.includes(task.status)) parts.push(`Released by ${actor(task.createdBy)} ${slackDate(task.releasedAt)}`);
  const rollback = statusRunKind(task.status) === 'rollback';
  const since = isActive(task.status) && task.startedAt ? ` ${slackDate(task.startedAt)}` : '';
  const starter = task.startedBy ?? task.releasedBy;
  if (starter) parts.push(`Started by ${actor(starter)}${rollback ? '' : since}`);
  // Until the rollback has succeeded (Rolling back, Rollback failed) it is only "Rollback by".
  if (task.rolledBackBy) parts.push(`${task.status === 'Rolled back' ? 'Rolled back' : 'Rollback'} by ${actor(task.rolledBackBy)}${rollback ? since : ''}`);
  const ms = timeSpent(task, now);
  if (ms !== undefined && !isActive(task.status)) parts.push(`${task.status === 'Suspended' ? 'ran for' : 'took'} ${shortDuration(ms)}`);
  return parts;
}

/**
 * Header, info fields, description and the who/when context: shared by the card and the detail.
 * The counts are not here: the card shows them once with its components (componentBlocks), the
 * detail adds progressLine itself.
 */
export function taskInfoBlocks(task: ReleaseTask, now: Date): KnownBlock[] {
  const env = task.operation === 'Bulk Clone' && task.sourceEnv ? `${esc(task.env)} (from ${esc(task.sourceEnv)})` : esc(task.env);
  const fields: SectionBlock = {
    type: 'section',
    fields: [
      `*ID*\n${code(task.id)}`,
      `*Status*\n${statusLabel(task.status)}`,
      `*Operation Type*\n${task.operation}`,
      `*Environment*\n${env}`,
      `*Best Effort Policy*\n${task.bestEffort ? 'On' : 'Off'}`,
      `*Parallel*\n${task.parallel}`,
    ].map((text) => ({ type: 'mrkdwn' as const, text: truncate(text, 2000) })),
  };
  const blocks: KnownBlock[] = [header(task.name), fields];
  if (task.schedule) blocks.push(section(scheduleLine(task.schedule)));
  if (task.description) blocks.push(section(esc(truncate(task.description, 2000))));
  blocks.push(context([`Created ${slackDate(task.createdAt)} by ${actor(task.createdBy)}`, ...whoRan(task, now)].join(' · ')));
  return blocks;
}

/**
 * A step's error as the component line shows it, after the image the line has already named:
 * "api:2.0-broken never became ready (…)" reads "never became ready (…)".
 */
function errorText(c: ComponentState): string {
  const error = c.error ?? '';
  return errorAfter([c.plan?.target, c.image].find((i) => i && error.trim().startsWith(`${i} `)), error);
}

/** "`web` :white_check_mark: Released — registry/web:1.4 · 3 replicas — _error_" */
export function componentLine(task: ReleaseTask, c: ComponentState): string {
  let line = `${code(c.name)} ${componentStatusLabel(c.status)}`;
  // The plan (what ran at create -> the target) where the task has one; older tasks show the target.
  const plan = planLine(c);
  if (plan) line += ` — ${esc(plan)}${task.operation === 'Bulk Clone' && task.sourceEnv ? ` (from ${esc(task.sourceEnv)})` : ''}`;
  else if (c.image) line += ` — ${esc(c.image)}`;
  else if (task.operation === 'Bulk Clone' && task.sourceEnv) line += ` — cloned from ${esc(task.sourceEnv)}`;
  if (task.operation === 'Bulk Deploy') line += ` · ${c.replicas ?? 1} replica${(c.replicas ?? 1) === 1 ? '' : 's'}`;
  if (c.error && FAILED_COMPONENT_STATUSES.includes(c.status)) line += ` — _${esc(truncate(errorText(c), ERROR_CHARS))}_`;
  // Checks going (or passed): failed ones are the error above.
  if (c.checks && (c.status === 'Releasing' || c.status === 'Released') && c.checks.state !== 'failed') line += ` · ${esc(truncate(checkPhrase(c.checks), ERROR_CHARS))}`;
  // After a rollback, Not released is a component whose release had failed: it runs what it ran before.
  if (c.status === 'Not released' && statusRunKind(task.status) === 'rollback') line += ' · nothing to roll back';
  return line;
}

/** Components named on a large card while they are in flight. */
export const CARD_IN_FLIGHT_LIMIT = 5;
/** Changes named in a large card's plan before the release. */
export const CARD_PLAN_LIMIT = 10;
const BAR_CELLS = 10;

/** "▰▰▰▰▰▰▱▱▱▱ 60% · 120/200": how far the run is, with the count it stands for. */
export function progressBar(done: number, total: number): string {
  const share = total === 0 ? 1 : Math.min(1, Math.max(0, done / total));
  const filled = Math.floor(share * BAR_CELLS);
  const n = (x: number) => x.toLocaleString('en-US');
  return `${'▰'.repeat(filled)}${'▱'.repeat(BAR_CELLS - filled)} ${Math.floor(share * 100)}% · ${n(done)}/${n(total)}`;
}

/** Waiting for the run, or in it: what the bar counts as not done yet. */
const PENDING: readonly ComponentStatus[] = ['To release', 'Releasing', 'Rolling back'];

/** The order of a large card's counts: failures first, then what is in flight, done, and waiting. */
const COUNT_ORDER: readonly ComponentStatus[] = [
  'Release failed', 'Rollback failed', 'Releasing', 'Rolling back', 'Released', 'Rolled back', 'No change', 'Not released', 'To release',
];

/** ":x: Release failed 3 · :hourglass_flowing_sand: Releasing 5 · :white_check_mark: Released 120 · …": each status present, once. */
function countsLine(comps: readonly ComponentState[]): string {
  return COUNT_ORDER.map((s) => [s, comps.filter((c) => c.status === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${componentStatusLabel(s)} ${n.toLocaleString('en-US')}`)
    .join(' · ');
}

/** "`a`, `b`, `c` and 12 more": at most `limit` of `list` by name. */
function names(list: readonly string[], limit: number): string {
  const more = list.length - Math.min(limit, list.length);
  return `${list.slice(0, limit).join(', ')}${more > 0 ? ` and ${more.toLocaleString('en-US')} more` : ''}`;
}

/** "registry/web:1.3 → 1.4" when only the tag changes, else both images; "new → web:1.0" for a deploy. */
function change(c: ComponentState): string {
  const p = c.plan;
  if (!p) return code(c.name);
  if (!p.was) return `${code(c.name)} new → ${esc(p.target)}`;
  const repo = (image: string) => (image.lastIndexOf(':') > image.lastIndexOf('/') ? image.slice(0, image.lastIndexOf(':')) : image);
  const to = repo(p.was.image) === repo(p.target) && repo(p.target) !== p.target ? p.target.slice(repo(p.target).length + 1) : p.target;
  return `${code(c.name)} ${esc(p.was.image)} → ${esc(to)}`;
}

/** Before the release (To release, never run): what will change and what will not, by name. */
function planText(task: ReleaseTask): string {
  const changes = task.components.filter((c) => c.status === 'To release');
  const same = task.components.filter((c) => c.status === 'No change');
  const lines = [`*Will change ${changes.length.toLocaleString('en-US')}:* ${names(changes.map(change), CARD_PLAN_LIMIT)}`];
  if (same.length > 0) lines.push(`*No change ${same.length.toLocaleString('en-US')}:* ${names(same.map((c) => code(c.name)), CARD_PLAN_LIMIT)}`);
  lines.push(`\`/release show ${task.id}\` lists them all`);
  return lines.join('\n');
}

/**
 * A large task (more than CARD_COMPONENT_LIMIT components): one line with the progress bar and
 * the counts (said once), then the failures, then up to CARD_IN_FLIGHT_LIMIT components in flight
 * by name; before the release, the plan instead. `/release show` pages through all of them.
 */
function largeComponentBlocks(task: ReleaseTask, budget: number): KnownBlock[] {
  const comps = task.components;
  const pending = comps.filter((c) => PENDING.includes(c.status) && !c.endedAt).length;
  const bar = task.run > 0 ? ` ${progressBar(comps.length - pending, comps.length)}` : '';
  const blocks: KnownBlock[] = [section(`*${plural(comps.length, 'component')}*${bar}\n${countsLine(comps)}`)];
  const inFlight = comps.filter((c) => (c.status === 'Releasing' || c.status === 'Rolling back') && c.startedAt && !c.endedAt);
  const before = task.status === 'To release' && task.run === 0;
  // A component whose checks are going says so beside its name: ready, not yet good.
  const flying = (c: ComponentState) => `${code(c.name)}${c.checks?.state === 'running' ? ' (checking)' : ''}`;
  const tail = inFlight.length > 0 ? [`*In flight:* ${names(inFlight.map(flying), CARD_IN_FLIGHT_LIMIT)}`] : before ? [planText(task)] : [];
  const failed = comps.filter((c) => FAILED_COMPONENT_STATUSES.includes(c.status));
  const room = budget - blocks.length - tail.length;
  if (failed.length > 0 && room > 0) {
    const shown = failed.slice(0, CARD_FAILURE_LIMIT).map((c) => componentLine(task, c));
    const more = (n: number) => `…and ${n} more failed — \`/release show ${task.id}\` for details`;
    const extra = failed.length - shown.length;
    const lines = extra > 0 ? [...shown, more(extra)] : shown;
    blocks.push(...packLines([`*Failed (${failed.length.toLocaleString('en-US')})*`, ...lines], room, (n) => more(n + extra - (extra > 0 ? 1 : 0))).map(section));
  }
  if (budget > blocks.length) blocks.push(...tail.slice(0, budget - blocks.length).map(section));
  return blocks;
}

/** The card's components: one line each with the counts once above them, or the large-task summary. */
function componentBlocks(task: ReleaseTask, budget: number): KnownBlock[] {
  const comps = task.components;
  if (comps.length === 0 || budget <= 0) return [];
  if (comps.length > CARD_COMPONENT_LIMIT) return largeComponentBlocks(task, budget);
  if (budget === 1) return [context(progressLine(task))];
  return [context(progressLine(task)), ...packLines(comps.map((c) => componentLine(task, c)), budget - 1).map(section)];
}

/** What a card shows beside the task: its environment's link buttons and the freeze window in force (card-sources.ts knows the policy). */
export interface TaskCardContext {
  /** Link buttons (slack/blocks/links.ts): they go last, counted in the 50-block budget. */
  links?: KnownBlock[];
  freeze?: string;
}

export function taskCard(task: ReleaseTask, now: Date, { links = [], freeze }: TaskCardContext = {}): { text: string; blocks: KnownBlock[] } {
  const blocks = [...taskInfoBlocks(task, now), ...decisionBlocks(task, 'task', freeze)];
  // While an operation waits for approval, the approval blocks replace the usual buttons.
  const tail: KnownBlock[] = [
    ...(task.approval ? approvalBlocks(task.approval, taskApprovalSubject(task), now) : actionsBlock(task)),
    ...links,
  ];
  const comps = componentBlocks(task, MAX_BLOCKS - blocks.length - 1 - tail.length); // divider
  if (comps.length > 0) blocks.push({ type: 'divider' }, ...comps);
  blocks.push(...tail);
  return { text: fallbackText(task), blocks };
}

function actionsBlock(task: ReleaseTask): KnownBlock[] {
  const buttons = taskButtons(task);
  if (buttons.length === 0) return [];
  const actions: ActionsBlock = { type: 'actions', block_id: `task:${task.id}`, elements: buttons };
  return [actions];
}
