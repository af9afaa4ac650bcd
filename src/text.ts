/**
 * Text helpers shared by every layer that writes words for people: escaping for Slack mrkdwn,
 * truncation, counts of things, short durations ("2m 13s") and times. Operations and workers
 * write thread replies with them; the Block Kit builders in slack/blocks use them too. Pure.
 *
 * There is deliberately no "3h ago": a message is text that stays as it was sent, so a relative
 * time is wrong a minute later. Times go out as `<!date>` tokens (slackDate), which Slack renders
 * in each reader's zone, or as absolute UTC where a token cannot go (utcTime).
 */
import { isApiActor } from './domain/entity.js';
import { formatDuration, intervalToDuration, type Duration, type Locale } from 'date-fns';

/** Escape the three characters Slack mrkdwn treats as control characters. */
export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Who did something, as a message names them: a mention for a person, a user group's mention
 * (`<!subteam^S…>`, which notifies its members) for a group ID, an API token's name in bold, or
 * "system".
 */
export function mention(user: string): string {
  if (user === 'system') return 'system';
  if (/^S[A-Z0-9]{2,}$/.test(user)) return `<!subteam^${user}>`;
  return isApiActor(user) ? `*${esc(user)}*` : `<@${user}>`;
}

/** " · <@U…>" to end a thread reply with who it concerns (so Slack notifies them); empty for nobody or the system. */
export function cc(user: string | undefined): string {
  return user && user !== 'system' ? ` · ${mention(user)}` : '';
}

/** Shorten to at most `max` characters, ending with an ellipsis when cut. */
export function truncate(s: string, max: number): string {
  if (s.length <= max) return s;
  return `${s.slice(0, Math.max(0, max - 1)).trimEnd()}…`;
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

/** A date-fns locale fragment that writes durations as "2m", "3h". */
const shortLocale: Pick<Locale, 'formatDistance'> = {
  formatDistance: (token, count) => `${token === 'halfAMinute' ? 30 : count}${SHORT_UNITS[token] ?? ''}`,
};

const DURATION_UNITS = ['years', 'months', 'weeks', 'days', 'hours', 'minutes', 'seconds'] as const;

/**
 * "2m 13s", "45s", "1h 2m": the two most significant units, zero units dropped. Less than a
 * second reads "under 1 s", not "0s": a run that did something never took nothing.
 */
export function shortDuration(ms: number): string {
  const safe = Number.isFinite(ms) && ms > 0 ? ms : 0;
  const duration: Duration = intervalToDuration({ start: 0, end: safe });
  const first = DURATION_UNITS.findIndex((u) => (duration[u] ?? 0) > 0);
  if (first < 0) return 'under 1 s';
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

/**
 * `<!date^UNIX^{date_short_pretty} {time}|ISO>`: shown in each reader's own timezone (cards,
 * threads and replies alike).
 */
export function slackDate(iso: string, format = '{date_short_pretty} {time}'): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return esc(iso);
  return `<!date^${Math.floor(ms / 1000)}^${format}|${new Date(ms).toISOString()}>`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * "Dec 3 17:26 UTC": for plain text (select options, dialogs), which cannot hold `<!date>`
 * tokens. Absolute, so it stays true however long the message stays up.
 */
export function utcTime(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  const d = new Date(ms);
  return `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()} ${d.toISOString().slice(11, 16)} UTC`;
}

/**
 * A platform error as a line that has already named its subject goes on: "web:2.0 never became
 * ready (probe failing)" after "`web:2.0`" reads "never became ready (probe failing)", so the
 * image is said once. Whitespace is folded to single spaces.
 */
export function errorAfter(subject: string | undefined, error: string): string {
  const e = error.replace(/\s+/g, ' ').trim();
  return subject && e.startsWith(`${subject} `) ? e.slice(subject.length + 1) : e;
}

/**
 * What an error adds to a line that has already said `said` about `subject`, as the line's tail:
 * "" when nothing, " (probe failing)" or ": probe failing". "web:2.0 never became ready (probe
 * failing)" after "web:2.0 (rev 3) never became ready" adds " (probe failing)". Not escaped.
 */
export function reasonAfter(subject: string | undefined, said: string, error: string | undefined): string {
  const rest = errorAfter(subject, error ?? '');
  const why = rest.startsWith(said) ? rest.slice(said.length).replace(/^:\s*/, '').trim() : rest;
  if (!why) return '';
  return why.startsWith('(') ? ` ${why}` : `: ${why}`;
}

/** "1 component", "2,000 components": a count with its noun, singular or plural as it should be. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}
