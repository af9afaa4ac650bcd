/**
 * Shared text helpers for the Block Kit builders: escaping, Slack date tokens, short durations,
 * status emoji, and packing lines into sections that respect Slack's limits. Pure: no I/O.
 */
import type { ContextBlock, HeaderBlock, KnownBlock, SectionBlock } from '@slack/types';
import { formatDistanceStrict, formatDuration, intervalToDuration, type Duration, type Locale } from 'date-fns';
import type { ComponentStatus, TaskStatus } from '../../domain/release-task.js';

/** Slack limits we build against. */
export const MAX_BLOCKS = 50;
export const MAX_SECTION_TEXT = 3000;
/** Packing target: leaves headroom under MAX_SECTION_TEXT. */
export const SECTION_BUDGET = 2900;
export const MAX_HEADER_TEXT = 150;

export const STATUS_EMOJI: Record<TaskStatus, string> = {
  'To release': ':white_circle:',
  Releasing: ':hourglass_flowing_sand:',
  Released: ':white_check_mark:',
  'Release failed': ':x:',
  'Rolling back': ':rewind:',
  'Rolled back': ':leftwards_arrow_with_hook:',
  'Rollback failed': ':bangbang:',
  Suspending: ':double_vertical_bar:',
  Suspended: ':double_vertical_bar:',
};

export const COMPONENT_EMOJI: Record<ComponentStatus, string> = {
  'To release': ':white_circle:',
  Releasing: ':hourglass_flowing_sand:',
  Released: ':white_check_mark:',
  'Release failed': ':x:',
  'Not released': ':heavy_minus_sign:',
  'Rolling back': ':rewind:',
  'Rolled back': ':leftwards_arrow_with_hook:',
  'Rollback failed': ':bangbang:',
};

export const FAILED_COMPONENT_STATUSES: readonly ComponentStatus[] = ['Release failed', 'Rollback failed'];

export function statusLabel(status: TaskStatus): string {
  return `${STATUS_EMOJI[status]} ${status}`;
}

export function componentStatusLabel(status: ComponentStatus): string {
  return `${COMPONENT_EMOJI[status]} ${status}`;
}

/** Escape the three characters Slack mrkdwn treats as control characters. */
export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Shorten to at most `max` characters, ending with an ellipsis when cut. */
export function truncate(s: string, max: number): string {
  if (s.length <= max) return s;
  return `${s.slice(0, Math.max(0, max - 1)).trimEnd()}…`;
}

/** Inline code for user-supplied text (escaped; backticks removed so the span stays intact). */
export function code(s: string): string {
  return `\`${esc(s.replace(/`/g, "'"))}\``;
}

/** A user mention, or "system" for worker-driven changes. */
export function actor(user: string): string {
  return user === 'system' ? 'system' : `<@${user}>`;
}

/** `<!date^UNIX^{date_short_pretty} {time}|ISO>`: shown in each reader's own timezone. */
export function slackDate(iso: string, format = '{date_short_pretty} {time}'): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return esc(iso);
  return `<!date^${Math.floor(ms / 1000)}^${format}|${new Date(ms).toISOString()}>`;
}

const SHORT_UNITS: Partial<Record<string, string>> = {
  xSeconds: 's',
  lessThanXSeconds: 's',
  halfAMinute: 's',
  xMinutes: 'm',
  lessThanXMinutes: 'm',
  xHours: 'h',
  aboutXHours: 'h',
  xDays: 'd',
  xWeeks: 'w',
  aboutXWeeks: 'w',
  xMonths: 'mo',
  aboutXMonths: 'mo',
  xYears: 'y',
  aboutXYears: 'y',
  overXYears: 'y',
  almostXYears: 'y',
};

/** A date-fns locale fragment that writes distances as "2m", "3h", with "ago"/"in" suffixes. */
const shortLocale: Pick<Locale, 'formatDistance'> = {
  formatDistance: (token, count, options) => {
    const n = token === 'halfAMinute' ? 30 : count;
    const s = `${n}${SHORT_UNITS[token] ?? ''}`;
    if (!options?.addSuffix) return s;
    return options.comparison !== undefined && options.comparison > 0 ? `in ${s}` : `${s} ago`;
  },
};

const DURATION_UNITS = ['years', 'months', 'weeks', 'days', 'hours', 'minutes', 'seconds'] as const;

/** "2m 13s", "45s", "1h 2m": the two most significant units, zero units dropped. */
export function shortDuration(ms: number): string {
  const safe = Number.isFinite(ms) && ms > 0 ? ms : 0;
  const duration: Duration = intervalToDuration({ start: 0, end: safe });
  const first = DURATION_UNITS.findIndex((u) => (duration[u] ?? 0) > 0);
  if (first < 0) return '0s';
  const units = DURATION_UNITS.slice(first, first + 2).filter((u) => (duration[u] ?? 0) > 0);
  return formatDuration(duration, { format: [...units], delimiter: ' ', locale: shortLocale });
}

/** Milliseconds between two ISO timestamps (end defaults to `now`); undefined if unknown. */
export function elapsedMs(startIso: string | undefined, endIso: string | undefined, now: Date): number | undefined {
  if (!startIso) return undefined;
  const start = Date.parse(startIso);
  const end = endIso ? Date.parse(endIso) : now.getTime();
  if (Number.isNaN(start) || Number.isNaN(end) || end < start) return undefined;
  return end - start;
}

/** "3h ago", "in 5m": date-fns formatDistanceStrict with short units. */
export function ago(iso: string, now: Date): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return esc(iso);
  return formatDistanceStrict(new Date(ms), now, { addSuffix: true, locale: shortLocale });
}

export function section(text: string): SectionBlock {
  return { type: 'section', text: { type: 'mrkdwn', text: truncate(text, SECTION_BUDGET) } };
}

export function context(text: string): ContextBlock {
  return { type: 'context', elements: [{ type: 'mrkdwn', text: truncate(text, SECTION_BUDGET) }] };
}

export function header(text: string): HeaderBlock {
  return { type: 'header', text: { type: 'plain_text', text: truncate(text, MAX_HEADER_TEXT), emoji: true } };
}

/** A plain ephemeral reply: one or more mrkdwn sections. */
export function messageBlocks(text: string): KnownBlock[] {
  return packLines(text.split('\n'), MAX_BLOCKS).map(section);
}

/** Join lines into chunks of at most SECTION_BUDGET characters (a longer single line is cut). */
function packAll(lines: readonly string[]): { text: string; count: number }[] {
  const chunks: { text: string; count: number }[] = [];
  let current: { text: string; count: number } | undefined;
  for (const raw of lines) {
    const line = truncate(raw, SECTION_BUDGET);
    if (current && current.text.length + 1 + line.length <= SECTION_BUDGET) {
      current.text += `\n${line}`;
      current.count++;
    } else {
      current = { text: line, count: 1 };
      chunks.push(current);
    }
  }
  return chunks;
}

/**
 * Pack lines into at most `maxChunks` section texts. When they do not all fit, trailing lines
 * are dropped and replaced by `more(droppedCount)` (e.g. "…and 12 more").
 */
export function packLines(
  lines: readonly string[],
  maxChunks: number,
  more: (dropped: number) => string = (n) => `…and ${n} more`,
): string[] {
  if (maxChunks <= 0 || lines.length === 0) return [];
  let keep = lines.length;
  for (;;) {
    const candidate = keep < lines.length ? [...lines.slice(0, keep), more(lines.length - keep)] : lines;
    const chunks = packAll(candidate);
    if (chunks.length <= maxChunks) return chunks.map((c) => c.text);
    const fitted = chunks.slice(0, maxChunks).reduce((n, c) => n + c.count, 0);
    keep = Math.max(0, Math.min(keep - 1, fitted - 1));
  }
}
