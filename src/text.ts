/**
 * Text helpers shared by every layer that writes words for people: escaping for Slack mrkdwn,
 * truncation, and short durations and distances ("2m 13s", "3h ago"). Operations and workers
 * write thread replies with them; the Block Kit builders in slack/blocks use them too. Pure.
 */
import { isApiActor } from './domain/entity.js';
import { formatDistanceStrict, formatDuration, intervalToDuration, type Duration, type Locale } from 'date-fns';

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

/**
 * `<!date^UNIX^{date_short_pretty} {time}|ISO>`: shown in each reader's own timezone (cards,
 * threads and replies alike).
 */
export function slackDate(iso: string, format = '{date_short_pretty} {time}'): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return esc(iso);
  return `<!date^${Math.floor(ms / 1000)}^${format}|${new Date(ms).toISOString()}>`;
}

/** "3h ago", "in 5m": date-fns formatDistanceStrict with short units. */
export function ago(iso: string, now: Date): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return esc(iso);
  return formatDistanceStrict(new Date(ms), now, { addSuffix: true, locale: shortLocale });
}
