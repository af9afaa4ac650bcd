/**
 * Scheduled starts: `/release start <id> --at <time>`. The wording people type (a clock time, a
 * clock time tomorrow, or ISO 8601 with an offset), read without a clock; then resolved against
 * now and the person's time zone into one instant, within bounds. Pure: `now` and the zone come in.
 *
 * Time zones use Intl (Node ships the full ICU data) rather than a date-fns time-zone add-on: one
 * offset lookup is all that is needed, and it keeps the dependencies as they are.
 */
import { isValid, parse, parseISO } from 'date-fns';
import type { SlackUserId } from './entity.js';

/** A task's pending start: when, who asked (it runs as them), and the queue job that carries it. */
export interface TaskSchedule {
  /** ISO 8601, UTC. */
  at: string;
  by: SlackUserId;
  /** The delayed job's ID: a fired job whose ID is not this one finds nothing to do. */
  jobId: string;
}

/** What `--at` said, as typed: resolved into an instant only once the zone and the time are known. */
export interface ScheduleWording {
  /** The words as typed, for messages. */
  text: string;
  /** `22:00` or `tomorrow 06:30`: a wall-clock time in the person's zone. */
  clock?: { hh: number; mm: number };
  /** 1 for `tomorrow`; absent: today, or tomorrow if that time has passed. */
  dayOffset?: 1;
  /** ISO 8601 with Z or an offset: an instant already. */
  iso?: string;
}

/** `/release list --status Scheduled`: tasks with a scheduled start (their status is To release). */
export const SCHEDULED = 'Scheduled';

/** How far ahead a start may be scheduled. */
export const MAX_SCHEDULE_AHEAD_MS = 30 * 24 * 3600_000;
/**
 * A scheduled start that fires later than this (the bot was down at the time) does not run: a
 * release at 22:00 must not happen at 09:00 the next morning because a worker came back then.
 */
export const MAX_SCHEDULE_LATE_MS = 15 * 60_000;

/** The accepted forms, for messages. */
export const SCHEDULE_FORMS =
  '`22:00` (today in your Slack time zone, or tomorrow if that has passed), `"tomorrow 06:30"`, or ISO 8601 with Z or an offset, e.g. `2026-12-05T06:30Z`';

const CLOCK = /^(\d{1,2}:\d{2})$/;
const TOMORROW = /^tomorrow\s+(\d{1,2}:\d{2})$/i;
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}(?::?\d{2})?)$/i;
const ISO_WITHOUT_ZONE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?)?$/i;

function readClock(hhmm: string): { hh: number; mm: number } | undefined {
  const d = parse(hhmm, 'H:mm', new Date(0));
  return isValid(d) ? { hh: d.getHours(), mm: d.getMinutes() } : undefined;
}

/** `--at`'s words → the wording, or what is wrong with them. No clock: what is past is for later. */
export function readScheduleTime(input: string): { ok: true; at: ScheduleWording } | { ok: false; reason: string } {
  const text = input.trim().replace(/\s+/g, ' ');
  const bad = (why: string) => ({ ok: false as const, reason: `${why}: write ${SCHEDULE_FORMS}` });
  const clockWord = CLOCK.exec(text)?.[1] ?? TOMORROW.exec(text)?.[1];
  if (clockWord) {
    const clock = readClock(clockWord);
    if (!clock) return bad(`\`${clockWord}\` is not a time of day (00:00 to 23:59)`);
    return { ok: true, at: { text, clock, ...(TOMORROW.test(text) ? { dayOffset: 1 as const } : {}) } };
  }
  if (ISO_WITH_ZONE.test(text)) {
    const d = parseISO(text);
    if (!isValid(d)) return bad(`\`${text}\` is not a date and time that exists`);
    return { ok: true, at: { text, iso: d.toISOString() } };
  }
  if (ISO_WITHOUT_ZONE.test(text)) return bad(`\`${text}\` has no time zone (add Z for UTC, or an offset such as +01:00)`);
  return bad(`\`${text.slice(0, 40)}\` is not a time I can read`);
}

/** Whether `zone` is an IANA time zone this runtime knows. */
export function knownZone(zone: string | undefined): zone is string {
  if (!zone) return false;
  try {
    formatter(zone);
    return true;
  } catch {
    return false;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
    });
    formatters.set(zone, f);
  }
  return f;
}

/** The wall clock in `zone` at `at`, as if it were UTC (Date.UTC of its fields). */
function wallAsUtc(zone: string, at: number): number {
  const parts = Object.fromEntries(formatter(zone).formatToParts(new Date(at)).map((p) => [p.type, Number(p.value)]));
  return Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
}

/** The zone's offset from UTC at `at`, in ms (+05:30 → 19,800,000). */
export function zoneOffsetMs(zone: string, at: number): number {
  return wallAsUtc(zone, at) - Math.floor(at / 1000) * 1000;
}

/** The instant at which the wall clock in `zone` shows `wall` (a Date.UTC of the wall fields). */
function instantOfWall(zone: string, wall: number): number {
  const guess = wall - zoneOffsetMs(zone, wall);
  // Once more with the offset at the guess, for a change of offset between the two (DST).
  return wall - zoneOffsetMs(zone, guess);
}

/** Why `at` cannot be scheduled at `now` (past, or too far ahead); undefined when it can. */
export function scheduleBoundsRefusal(at: Date, now: Date): string | undefined {
  if (!isValid(at)) return 'that time is not a valid date';
  if (at.getTime() <= now.getTime()) return `${at.toISOString()} is in the past: a start can only be scheduled for later`;
  if (at.getTime() - now.getTime() > MAX_SCHEDULE_AHEAD_MS) {
    return `${at.toISOString()} is more than 30 days ahead: a start can be scheduled at most 30 days ahead`;
  }
  return undefined;
}

export type ResolvedTime = {
  ok: true;
  at: Date;
  /** For a clock time: the day it falls on in the zone, as the reply should say. */
  day?: 'today' | 'tomorrow';
};

/**
 * The wording at `now` in `zone` (IANA): a clock time is today in that zone, or tomorrow if it has
 * passed (`tomorrow HH:MM`: always tomorrow); ISO needs no zone. Refused if past or over 30 days.
 */
export function resolveScheduleTime(w: ScheduleWording, now: Date, zone: string): ResolvedTime | { ok: false; reason: string } {
  let at: Date;
  let day: 'today' | 'tomorrow' | undefined;
  if (w.clock) {
    const wallNow = new Date(wallAsUtc(zone, now.getTime()));
    // Date.UTC carries a day past the month's end over, so "tomorrow" is simply day + 1.
    const on = (offset: number) =>
      new Date(instantOfWall(zone, Date.UTC(wallNow.getUTCFullYear(), wallNow.getUTCMonth(), wallNow.getUTCDate() + offset, w.clock!.hh, w.clock!.mm)));
    at = on(w.dayOffset ?? 0);
    day = w.dayOffset ? 'tomorrow' : 'today';
    if (!w.dayOffset && at.getTime() <= now.getTime()) [at, day] = [on(1), 'tomorrow'];
  } else if (w.iso) {
    at = new Date(w.iso);
  } else {
    return { ok: false, reason: `\`${w.text}\` is not a time I can read: write ${SCHEDULE_FORMS}` };
  }
  const refusal = scheduleBoundsRefusal(at, now);
  if (refusal) return { ok: false, reason: refusal };
  return { ok: true, at, ...(day ? { day } : {}) };
}
