/**
 * `/release audit` and `/bluegreen audit`: the audit stream as an ephemeral list (capped to
 * Slack's limits) or as CSV for a file upload (everything). Pure: no I/O, `now` passed in.
 */
import type { KnownBlock } from '@slack/types';
import type { AuditEntry } from '../../domain/audit.js';

export { AUDIT_CSV_HEADER, auditCsv, csvField } from '../../domain/audit-csv.js';
import { MAX_BLOCKS, actor, code, esc, header, packLines, section, slackDate, truncate } from './format.js';

/** Entries listed in the view; the rest are counted ("…and N more (use --csv for all)"). */
export const AUDIT_VIEW_LIMIT = 100;
const DETAIL_CHARS = 300;
const FIELD_CHARS = 100;

const more = (n: number) => `…and ${n} more (use --csv for all)`;

/** One entry: "<date> · <@U1> · *approve* `rt-7k2f9q` in prod · To release → Releasing — reason". */
export function auditViewLine(e: AuditEntry, _now?: Date): string {
  const parts = [
    slackDate(e.at),
    actor(e.actor),
    `*${esc(truncate(e.action, FIELD_CHARS))}* ${code(truncate(e.target, FIELD_CHARS))}${e.env ? ` in ${esc(truncate(e.env, FIELD_CHARS))}` : ''}`,
  ];
  if (e.from || e.to) parts.push(`${esc(truncate(e.from ?? '—', FIELD_CHARS))} → ${esc(truncate(e.to ?? '—', FIELD_CHARS))}`);
  let line = parts.join(' · ');
  if (e.detail) line += ` — ${esc(truncate(e.detail.replace(/\s+/g, ' ').trim(), DETAIL_CHARS))}`;
  return line;
}

/** The entries, newest first as given, one line each, within 50 blocks and 3000 characters per section. */
export function auditView(entries: AuditEntry[], title: string, now: Date): { text: string; blocks: KnownBlock[] } {
  const blocks: KnownBlock[] = title.trim() ? [header(title)] : [];
  const label = title.trim() ? `${truncate(title, 100)}: ` : '';
  if (entries.length === 0) {
    blocks.push(section('No audit entries match'));
    return { text: `${label}No audit entries match`, blocks };
  }
  const lines = entries.slice(0, AUDIT_VIEW_LIMIT).map((e) => auditViewLine(e, now));
  const extra = entries.length - lines.length;
  if (extra > 0) lines.push(more(extra));
  // When packing drops lines, it drops the "…and N more" line too: count it back in.
  const chunks = packLines(lines, MAX_BLOCKS - blocks.length, (n) => more(n + extra - (extra > 0 ? 1 : 0)));
  blocks.push(...chunks.map(section));
  return { text: `${label}${entries.length} audit entr${entries.length === 1 ? 'y' : 'ies'}`, blocks };
}
