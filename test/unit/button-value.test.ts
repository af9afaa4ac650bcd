import { describe, it, expect } from 'vitest';
import { buttonValue, parseButtonValue, parseControl } from '../../src/commands/button-value.js';

describe('buttonValue / parseButtonValue', () => {
  it.each([['start rt-7k2f9q', 3], ['rollback web 3', 12], ['approve web', 0]])('%j @v%i round-trips', (text, version) => {
    expect(buttonValue(text, version)).toBe(`${text} @v${version}`);
    expect(parseButtonValue(buttonValue(text, version))).toEqual({ text, version });
  });

  it('reads values without a version, and trims', () => {
    expect(parseButtonValue('start rt-abc')).toEqual({ text: 'start rt-abc' });
    expect(parseButtonValue('  rollback rt-abc @v3 ')).toEqual({ text: 'rollback rt-abc', version: 3 });
    expect(parseButtonValue('start rt-abc @vx')).toEqual({ text: 'start rt-abc @vx' });
  });
});

describe('parseControl', () => {
  it('accepts task actions, approve and reject', () => {
    expect(parseControl('task', 'start rt-7k2f9q @v3')).toEqual({
      ok: true, command: { kind: 'action', action: 'start', taskId: 'rt-7k2f9q' }, version: 3,
    });
    expect(parseControl('task', 'delete rt-7k2f9q')).toEqual({ ok: true, command: { kind: 'action', action: 'delete', taskId: 'rt-7k2f9q' } });
    expect(parseControl('task', 'approve rt-7k2f9q @v1')).toMatchObject({ ok: true, command: { kind: 'approve' }, version: 1 });
    expect(parseControl('task', 'reject rt-7k2f9q @v1')).toMatchObject({ ok: true, command: { kind: 'reject' } });
    // Cancel of a scheduled start is a task control; scheduling one is not.
    expect(parseControl('task', 'cancel rt-7k2f9q @v4')).toEqual({ ok: true, command: { kind: 'cancel', taskId: 'rt-7k2f9q' }, version: 4 });
    expect(parseControl('task', 'start rt-7k2f9q --at 22:00 @v4')).toEqual({ ok: false });
    expect(parseControl('bluegreen', 'cancel rt-7k2f9q @v4')).toEqual({ ok: false });
  });

  it('accepts blue-green controls from the action table, approve and reject', () => {
    expect(parseControl('bluegreen', 'release web @v2')).toEqual({ ok: true, command: { kind: 'release', job: 'web' }, version: 2 });
    expect(parseControl('bluegreen', 'rollback web 3 @v2')).toEqual({ ok: true, command: { kind: 'rollback', job: 'web', revision: 3 }, version: 2 });
    expect(parseControl('bluegreen', 'terminate web @v2')).toMatchObject({ ok: true, command: { kind: 'terminate' } });
    expect(parseControl('bluegreen', 'approve web @v2')).toMatchObject({ ok: true, command: { kind: 'approve', job: 'web' } });
  });

  it.each([
    ['task', 'create r deploy --env prod web=nginx:1.27 @v1'],
    ['task', 'list'],
    ['task', 'show rt-7k2f9q @v1'],
    ['task', 'help'],
    ['task', 'release web @v2'],
    ['bluegreen', 'create web --env prod --workload web --image web:1 @v1'],
    ['bluegreen', 'list'],
    ['bluegreen', 'update web web:2 @v1'],
    ['bluegreen', 'history web @v1'],
    ['bluegreen', 'start rt-7k2f9q @v3'],
    ['bluegreen', 'release Web @v2'],
    ['bluegreen', ''],
  ] as const)('%s control %j is refused', (kind, value) => {
    expect(parseControl(kind, value)).toEqual({ ok: false });
  });
});
