/** The audit as CSV (`--csv`): what a spreadsheet opens safely. Pure. */
import type { AuditEntry } from './audit.js';

export const AUDIT_CSV_HEADER = 'time,actor,action,target,env,from,to,detail';

/** RFC 4180 field: quoted when it holds a quote, comma or line break; quotes doubled. */
export function csvField(value: string | undefined): string {
  // A cell starting with = + - @ would run as a formula in a spreadsheet: make it text.
  const s = /^[=+\-@]/.test(value ?? '') ? `'${value}` : (value ?? '');
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function isoTime(at: string): string {
  const ms = Date.parse(at);
  return Number.isNaN(ms) ? at : new Date(ms).toISOString();
}

/** Every entry as CSV: header row, one row per entry, ISO times, "\n" after every row. */
export function auditCsv(entries: AuditEntry[]): string {
  const rows = entries.map((e) =>
    [isoTime(e.at), e.actor, e.action, e.target, e.env, e.from, e.to, e.detail].map(csvField).join(','),
  );
  return `${[AUDIT_CSV_HEADER, ...rows].join('\n')}\n`;
}
