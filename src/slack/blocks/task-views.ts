/**
 * Ephemeral views: `/release show` (task detail), `/release list`, `/release components <env>`.
 * Pure Block Kit builders: no I/O, `now` passed in. Every view stays within Slack's limits
 * (at most 50 blocks, every section text under 3000 characters).
 */
import { checkPhrase } from '../../domain/checks.js';
import { planLine } from '../../domain/plan.js';
import type { KnownBlock } from '@slack/types';
import { RELEASE_USAGE } from '../../commands/release-grammar.js';
import { DETAIL_PAGE_SIZE } from '../../commands/values.js';
import type { AuditEntry } from '../../domain/audit.js';
import type { ComponentEvent, ComponentState, ReleaseTask, TaskHead } from '../../domain/release-task.js';
import type { RunningComponent } from '../../platform/port.js';
import {
  FAILED_COMPONENT_STATUSES,
  MAX_BLOCKS,
  actor,
  code,
  componentStatusLabel,
  context,
  elapsedMs,
  esc,
  header,
  packLines,
  section,
  shortDuration,
  slackDate,
  statusLabel,
  truncate,
} from './format.js';
import { progressLine, taskInfoBlocks } from './task-card.js';

export { messageBlocks } from './format.js';

type View = { text: string; blocks: KnownBlock[] };

/** History entries per component in `/release show`. */
export const DETAIL_HISTORY_LIMIT = 5;
export const AUDIT_LIMIT = 10;
export const LIST_LIMIT = 40;
export const COMPONENTS_LIMIT = 100;

/** Failures first, then in-flight, then the rest; stable within each group. */
function detailOrder(c: ComponentState): number {
  if (FAILED_COMPONENT_STATUSES.includes(c.status)) return 0;
  if (c.status === 'Releasing' || c.status === 'Rolling back') return 1;
  return 2;
}

function infoLine(task: ReleaseTask, c: ComponentState): string {
  const parts = [code(c.name)];
  const plan = planLine(c);
  if (plan) parts.push(`plan ${esc(plan)}`);
  else if (c.image) parts.push(`image ${esc(c.image)}`);
  if (task.operation === 'Bulk Deploy') parts.push(`${c.replicas ?? 1} replica${(c.replicas ?? 1) === 1 ? '' : 's'}`);
  if (task.operation === 'Bulk Clone' && task.sourceEnv) parts.push(`from ${esc(task.sourceEnv)}`);
  if (c.previousImage) parts.push(`previous ${esc(c.previousImage)}`);
  if (c.checks) parts.push(esc(truncate(checkPhrase(c.checks), 300)));
  return parts.join(' · ');
}

function historyLine(e: ComponentEvent, now: Date): string {
  const parts = [`run ${e.run}`, e.action, componentStatusLabel(e.status)];
  if (e.startedAt) parts.push(`${slackDate(e.startedAt)} → ${e.endedAt ? slackDate(e.endedAt) : '…'}`);
  const ms = elapsedMs(e.startedAt, e.endedAt, now);
  if (ms !== undefined) parts.push(shortDuration(ms));
  if (e.previousImage) parts.push(`was ${esc(e.previousImage)}`);
  if (e.image) parts.push(`now ${esc(e.image)}`);
  let line = `• ${parts.join(' · ')}`;
  if (e.error) line += ` — _${esc(truncate(e.error.replace(/\s+/g, ' '), 300))}_`;
  return line;
}

function historyLines(c: ComponentState, now: Date): string[] {
  const events = [...c.history].sort((a, b) => b.run - a.run || (b.startedAt ?? '').localeCompare(a.startedAt ?? ''));
  const lines = [`${code(c.name)} ${componentStatusLabel(c.status)}`];
  if (events.length === 0) lines.push('• no runs yet');
  for (const e of events.slice(0, DETAIL_HISTORY_LIMIT)) lines.push(historyLine(e, now));
  if (events.length > DETAIL_HISTORY_LIMIT) lines.push(`• …${events.length - DETAIL_HISTORY_LIMIT} earlier`);
  return lines;
}

function auditLine(a: AuditEntry): string {
  let line = `${slackDate(a.at)} ${actor(a.actor)} ${esc(a.action)}`;
  if (a.from || a.to) line += `: ${esc(a.from ?? '—')} → ${esc(a.to ?? '—')}`;
  if (a.detail) line += ` — ${esc(truncate(a.detail.replace(/\s+/g, ' '), 200))}`;
  return line;
}

/**
 * `/release show <id> [--page N]`: info, Release Info, Release History and recent audit. Components
 * come DETAIL_PAGE_SIZE a page, failures and in-flight first; page 1 also has the task's info and
 * audit, later pages one line naming the task.
 */
export function taskDetail(task: ReleaseTask, audit: AuditEntry[], now: Date, page = 1): View {
  const total = task.components.length;
  const pages = Math.max(1, Math.ceil(total / DETAIL_PAGE_SIZE));
  const p = Math.min(Math.max(1, page), pages);
  const shown = task.components
    .map((c, i) => ({ c, i }))
    .sort((a, b) => detailOrder(a.c) - detailOrder(b.c) || a.i - b.i)
    .slice((p - 1) * DETAIL_PAGE_SIZE, p * DETAIL_PAGE_SIZE)
    .map(({ c }) => c);
  const counts = total > 0 ? [context(progressLine(task))] : [];
  const blocks =
    p === 1 ? [...taskInfoBlocks(task, now), ...counts] : [context(`*${esc(truncate(task.name, 100))}* ${code(task.id)} · ${statusLabel(task.status)}`)];
  if (pages > 1) {
    const from = (p - 1) * DETAIL_PAGE_SIZE + 1;
    const next = p < pages ? ` · next: \`/release show ${task.id} --page ${p + 1}\`` : '';
    const beyond = page > pages ? ` (there is no page ${page})` : '';
    blocks.push(context(`components ${from}–${from + shown.length - 1} of ${total}, failures and in-flight first · page ${p} of ${pages}${beyond}${next}`));
  }
  const recent = p === 1 ? [...audit].sort((a, b) => b.at.localeCompare(a.at)).slice(0, AUDIT_LIMIT) : [];
  // Budget: audit gets at most 2 sections, Release Info up to 8; history takes what remains.
  const auditChunks = recent.length > 0 ? packLines(['*Recent audit*', ...recent.map(auditLine)], 2) : [];
  const room = MAX_BLOCKS - blocks.length - 2 - auditChunks.length; // two dividers
  if (shown.length > 0 && room >= 2) {
    const infoChunks = packLines(['*Release Info*', ...shown.map((c) => infoLine(task, c))], Math.min(8, room - 1));
    const historyChunks = packLines(
      ['*Release History*', ...shown.flatMap((c) => historyLines(c, now))],
      room - infoChunks.length,
      (n) => `…${n} more history lines — see the thread under the status card`,
    );
    blocks.push({ type: 'divider' }, ...infoChunks.map(section), ...historyChunks.map(section));
  }
  if (auditChunks.length > 0) blocks.push({ type: 'divider' }, ...auditChunks.map(section));
  const of = pages > 1 ? ` (page ${p} of ${pages})` : '';
  return { text: `Release task ${truncate(task.name, 100)} (${task.id}): ${task.status}${of}`, blocks: blocks.slice(0, MAX_BLOCKS) };
}

function filterText(filter: { status?: string; env?: string }): string {
  const parts: string[] = [];
  if (filter.status) parts.push(`status *${esc(filter.status)}*`);
  if (filter.env) parts.push(`env *${esc(filter.env)}*`);
  return parts.length > 0 ? parts.join(', ') : 'no filter';
}

/**
 * The form a long list suggests to narrow it: the grammar's own usage line with both filters
 * written out, so the hint is always something `/release list` accepts.
 */
export const LIST_NARROW_FORM = RELEASE_USAGE.list.replace(/[[\]]/g, '');

/** `/release list [--status "<label>"] [--env <env>]`: one line per task, newest first as given. */
export function taskList(tasks: TaskHead[], _now: Date, filter: { status?: string; env?: string }): View {
  if (tasks.length === 0) {
    const text = `No release tasks match (${filterText(filter)}).`;
    return { text, blocks: [section(text)] };
  }
  const lines = tasks.slice(0, LIST_LIMIT).map(
    (t) =>
      `${code(t.id)} *${esc(truncate(t.name, 80))}* · ${statusLabel(t.status)}` +
      `${t.schedule ? ` · ⏰ ${slackDate(t.schedule.at)}` : ''} · ${t.operation} · ${esc(t.env)} · created ${slackDate(t.createdAt)}`,
  );
  const extra = tasks.length - lines.length;
  // With both filters set there is nothing left to narrow by.
  const narrow = filter.status && filter.env ? '' : ` — narrow with \`${esc(LIST_NARROW_FORM)}\``;
  if (extra > 0) lines.push(`…and ${extra} more${narrow}`);
  const title = `*Release tasks* (${tasks.length}; ${filterText(filter)})`;
  const chunks = packLines([title, ...lines], MAX_BLOCKS, (n) => `…and ${n + extra - (extra > 0 ? 1 : 0)} more`);
  return { text: `${tasks.length} release task${tasks.length === 1 ? '' : 's'}`, blocks: chunks.map(section) };
}

/** `/release components <env>`: what runs in an environment now. */
export function componentsView(env: string, components: RunningComponent[], _now: Date): View {
  if (components.length === 0) {
    const text = `No components in ${esc(env)} yet. Deploy some with \`/release create <name> deploy …\``;
    return { text, blocks: [section(text)] };
  }
  const lines = components.slice(0, COMPONENTS_LIMIT).map(
    (c) =>
      `${code(c.name)} ${esc(c.image)} · ${c.replicas} replica${c.replicas === 1 ? '' : 's'} · updated ${slackDate(c.updatedAt)}`,
  );
  const extra = components.length - lines.length;
  if (extra > 0) lines.push(`…and ${extra} more`);
  const blocks: KnownBlock[] = [header(`Components in ${env}`)];
  const chunks = packLines(lines, MAX_BLOCKS - 1, (n) => `…and ${n + extra - (extra > 0 ? 1 : 0)} more`);
  blocks.push(...chunks.map(section));
  return { text: `${components.length} component${components.length === 1 ? '' : 's'} in ${env}`, blocks };
}
