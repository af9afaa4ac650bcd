/**
 * Shared text helpers for the Block Kit builders: escaping, Slack date tokens, short durations,
 * status emoji, and packing lines into sections that respect Slack's limits. Pure: no I/O.
 */
import type { ContextBlock, HeaderBlock, KnownBlock, SectionBlock } from '@slack/types';
import { esc, mention, truncate } from '../../text.js';
import type { ComponentStatus, TaskStatus } from '../../domain/release-task.js';

export { elapsedMs, errorAfter, esc, plural, reasonAfter, shortDuration, slackDate, truncate, utcTime } from '../../text.js';

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
  'No change': ':heavy_equals_sign:',
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

/** Inline code for user-supplied text (escaped; backticks removed so the span stays intact). */
export function code(s: string): string {
  return `\`${esc(s.replace(/`/g, "'"))}\``;
}

/** A user mention, an API token's name, or "system" for worker-driven changes. */
export const actor = mention;

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
