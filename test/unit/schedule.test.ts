/**
 * Scheduled starts: the time `--at` takes (read without a clock, then resolved at a given now in
 * a given zone), and the grammar around it on `/release start`, `cancel` and `list --status`.
 */
import { describe, expect, it } from 'vitest';
import { parseReleaseCommand } from '../../src/commands/release-grammar.js';
import {
  MAX_SCHEDULE_AHEAD_MS, SCHEDULE_FORMS, knownZone, readScheduleTime, resolveScheduleTime, scheduleBoundsRefusal, zoneOffsetMs,
  type ScheduleWording,
} from '../../src/domain/schedule.js';

function wording(text: string): ScheduleWording {
  const r = readScheduleTime(text);
  if (!r.ok) throw new Error(`expected ${JSON.stringify(text)} to read, got: ${r.reason}`);
  return r.at;
}

function refusal(text: string): string {
  const r = readScheduleTime(text);
  if (r.ok) throw new Error(`expected ${JSON.stringify(text)} to be refused, got ${JSON.stringify(r.at)}`);
  return r.reason;
}

/** `text` at `now` in `zone`: the instant as ISO, and the day a clock time fell on. */
function at(text: string, now: string, zone: string): { iso: string; day?: string } {
  const r = resolveScheduleTime(wording(text), new Date(now), zone);
  if (!r.ok) throw new Error(`expected ${text} to resolve, got: ${r.reason}`);
  return { iso: r.at.toISOString(), ...(r.day ? { day: r.day } : {}) };
}

describe('readScheduleTime: the forms, without a clock', () => {
  it('reads a clock time, tomorrow and ISO 8601 with Z or an offset', () => {
    expect(wording('22:00')).toEqual({ text: '22:00', clock: { hh: 22, mm: 0 } });
    expect(wording('6:05')).toEqual({ text: '6:05', clock: { hh: 6, mm: 5 } });
    expect(wording('Tomorrow  06:30')).toEqual({ text: 'Tomorrow 06:30', clock: { hh: 6, mm: 30 }, dayOffset: 1 });
    expect(wording('2026-12-05T06:30Z')).toEqual({ text: '2026-12-05T06:30Z', iso: '2026-12-05T06:30:00.000Z' });
    expect(wording('2026-12-05T06:30:15+05:30').iso).toBe('2026-12-05T01:00:15.000Z');
    expect(wording('2026-12-05 06:30-0800').iso).toBe('2026-12-05T14:30:00.000Z');
  });

  it('refuses what it cannot read, showing the three forms', () => {
    for (const text of ['soon', 'tomorrow', '22', '10pm', 'next friday', '']) {
      expect(refusal(text)).toContain(`write ${SCHEDULE_FORMS}`);
    }
    expect(refusal('24:00')).toMatch(/^`24:00` is not a time of day \(00:00 to 23:59\)/);
    expect(refusal('tomorrow 7:60')).toMatch(/^`7:60` is not a time of day/);
    expect(refusal('2026-02-30T06:30Z')).toMatch(/is not a date and time that exists/);
    expect(refusal('2026-12-05T06:30')).toMatch(/has no time zone \(add Z for UTC, or an offset such as \+01:00\)/);
    expect(refusal('2026-12-05')).toMatch(/has no time zone/);
  });
});

describe('resolveScheduleTime: at a given now, in a given zone', () => {
  const NOW = '2026-06-10T12:00:00Z';

  it('a clock time is today in the zone while it is ahead, else tomorrow', () => {
    expect(at('22:00', NOW, 'UTC')).toEqual({ iso: '2026-06-10T22:00:00.000Z', day: 'today' });
    expect(at('11:59', NOW, 'UTC')).toEqual({ iso: '2026-06-11T11:59:00.000Z', day: 'tomorrow' });
    // Exactly now has passed: tomorrow.
    expect(at('12:00', NOW, 'UTC')).toEqual({ iso: '2026-06-11T12:00:00.000Z', day: 'tomorrow' });
  });

  it('reads the clock in the zone: Asia/Kolkata is +05:30 (17:30 there at NOW)', () => {
    expect(at('18:00', NOW, 'Asia/Kolkata')).toEqual({ iso: '2026-06-10T12:30:00.000Z', day: 'today' });
    expect(at('17:00', NOW, 'Asia/Kolkata')).toEqual({ iso: '2026-06-11T11:30:00.000Z', day: 'tomorrow' });
    // 02:00 on the 11th there is 20:30 on the 10th in UTC: "today" in UTC terms would be wrong.
    expect(at('02:00', NOW, 'Asia/Kolkata')).toEqual({ iso: '2026-06-10T20:30:00.000Z', day: 'tomorrow' });
    expect(zoneOffsetMs('Asia/Kolkata', Date.parse(NOW))).toBe(5.5 * 3600_000);
  });

  it('a zone west of UTC whose date is still yesterday (America/Los_Angeles, 05:00 there at NOW)', () => {
    expect(at('06:00', NOW, 'America/Los_Angeles')).toEqual({ iso: '2026-06-10T13:00:00.000Z', day: 'today' });
    expect(at('04:00', NOW, 'America/Los_Angeles')).toEqual({ iso: '2026-06-11T11:00:00.000Z', day: 'tomorrow' });
  });

  it('tomorrow is the next day in the zone, even across a month end', () => {
    expect(at('tomorrow 06:30', NOW, 'UTC')).toEqual({ iso: '2026-06-11T06:30:00.000Z', day: 'tomorrow' });
    expect(at('tomorrow 23:00', '2026-06-30T20:00:00Z', 'Asia/Kolkata')).toEqual({ iso: '2026-07-02T17:30:00.000Z', day: 'tomorrow' });
  });

  it('ISO 8601 needs no zone', () => {
    expect(at('2026-06-10T12:00:03Z', NOW, 'Asia/Kolkata')).toEqual({ iso: '2026-06-10T12:00:03.000Z' });
  });

  it('refuses a time in the past and one more than 30 days ahead', () => {
    const past = resolveScheduleTime(wording('2026-06-10T11:59Z'), new Date(NOW), 'UTC');
    expect(past).toEqual({ ok: false, reason: '2026-06-10T11:59:00.000Z is in the past: a start can only be scheduled for later' });
    const far = resolveScheduleTime(wording('2026-07-10T12:01Z'), new Date(NOW), 'UTC');
    expect(far).toEqual({ ok: false, reason: '2026-07-10T12:01:00.000Z is more than 30 days ahead: a start can be scheduled at most 30 days ahead' });
    expect(resolveScheduleTime(wording('2026-07-10T12:00Z'), new Date(NOW), 'UTC').ok).toBe(true);
    expect(scheduleBoundsRefusal(new Date(Date.parse(NOW) + MAX_SCHEDULE_AHEAD_MS + 1), new Date(NOW))).toMatch(/more than 30 days/);
    expect(scheduleBoundsRefusal(new Date(NaN), new Date(NOW))).toBe('that time is not a valid date');
  });

  it('knows which zones exist', () => {
    expect(knownZone('Europe/Berlin')).toBe(true);
    expect(knownZone('UTC')).toBe(true);
    expect(knownZone('Mars/Olympus')).toBe(false);
    expect(knownZone(undefined)).toBe(false);
  });
});

describe('the /release grammar around --at', () => {
  const parsed = (text: string) => parseReleaseCommand(text);

  it('start --at carries the wording; start without it is a start now', () => {
    expect(parsed('start rt-abc123 --at 22:00')).toEqual({ ok: true, command: { kind: 'schedule', taskId: 'rt-abc123', at: { text: '22:00', clock: { hh: 22, mm: 0 } } } });
    expect(parsed('start RT-ABC123')).toEqual({ ok: true, command: { kind: 'action', action: 'start', taskId: 'rt-abc123' } });
    const tomorrow = { kind: 'schedule', taskId: 'rt-abc123', at: { text: 'tomorrow 06:30', clock: { hh: 6, mm: 30 }, dayOffset: 1 } };
    expect(parsed('start rt-abc123 --at "tomorrow 06:30"')).toEqual({ ok: true, command: tomorrow });
    // Unquoted, the clock after `tomorrow` is unambiguous; so is --at=… and the task ID last.
    expect(parsed('start rt-abc123 --at tomorrow 06:30')).toEqual({ ok: true, command: tomorrow });
    expect(parsed('start --at=tomorrow 06:30 rt-abc123')).toEqual({ ok: true, command: tomorrow });
    expect(parsed('start rt-abc123 --at 2026-12-05T06:30Z')).toMatchObject({ ok: true, command: { kind: 'schedule', at: { iso: '2026-12-05T06:30:00.000Z' } } });
  });

  it('refuses in words: an unreadable time, no time, --override with --at, --at elsewhere', () => {
    expect(parsed('start rt-abc123 --at soon')).toEqual({
      ok: false, error: `\`--at\`: \`soon\` is not a time I can read: write ${SCHEDULE_FORMS}`, usage: '/release start <task-id> --at <time>',
    });
    expect(parsed('start rt-abc123 --at')).toMatchObject({ ok: false, error: `\`--at\` needs a time: write ${SCHEDULE_FORMS}` });
    expect(parsed('start rt-abc123 --at 22:00 --override "x"')).toMatchObject({ ok: false, error: expect.stringMatching(/^`--override` lets a start through a freeze now/) });
    expect(parsed('start rt-abc123 --at tomorrow 06:30 now')).toMatchObject({ ok: false, error: expect.stringContaining('a time of two words goes in quotes') });
    for (const sub of ['suspend rt-abc123', 'retry rt-abc123', 'delete rt-abc123', 'create x deploy --env s a=b:1', 'list', 'approve rt-abc123']) {
      expect(parsed(`${sub} --at 22:00`)).toMatchObject({ ok: false, error: expect.stringMatching(/^`--at` schedules a start only: write \/release start <task-id> --at <time>/) });
    }
  });

  it('cancel takes one task ID; list takes --status Scheduled', () => {
    expect(parsed('cancel rt-abc123')).toEqual({ ok: true, command: { kind: 'cancel', taskId: 'rt-abc123' } });
    expect(parsed('unschedule rt-abc123')).toMatchObject({ ok: false, error: expect.stringContaining('Did you mean `/release cancel rt-abc123`?'), usage: '' });
    expect(parsed('cancel')).toMatchObject({ ok: false, error: 'which task ID? write /release cancel <task-id>, e.g. /release cancel rt-7k2f9q' });
    expect(parsed('list --status scheduled --env prod')).toEqual({ ok: true, command: { kind: 'list', status: 'Scheduled', env: 'prod' } });
    expect(parsed('list --status soon')).toMatchObject({ ok: false, error: expect.stringContaining('"Suspended", "Scheduled"') });
  });
});
