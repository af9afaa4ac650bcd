import { describe, expect, it } from 'vitest';
import { checkEnvironment, matchesEnvironment } from '../../src/domain/environments.js';
import { closest, editDistance } from '../../src/domain/spelling.js';
import { planComponents, planDrift, planLine, rollbackConflicts, type Reading } from '../../src/domain/plan.js';
import { TaskFactory } from '../support/factories.js';

const reading = (entries: Record<string, string | undefined>): Reading =>
  new Map(Object.entries(entries).map(([name, image]) => [name, image ? { image, replicas: 2 } : undefined]));

describe('environments', () => {
  it.each([
    ['preview-*', 'preview-42', true],
    ['preview-*', 'preview-', true],
    ['preview-*', 'staging', false],
    ['*-eu', 'prod-eu', true],
    ['production', 'production', true],
    ['production', 'prod', false],
  ])('%s matches %s: %s', (key, name, ok) => expect(matchesEnvironment(key, name)).toBe(ok));

  it('measures edits and finds the closest name within two', () => {
    expect(editDistance('prodution', 'production')).toBe(1);
    expect(editDistance('stagng', 'staging')).toBe(1);
    expect(editDistance('qa', 'production')).toBe(3);
    expect(closest('stagign', ['production', 'staging'])).toBe('staging');
    expect(closest('qa', ['production', 'staging'])).toBeUndefined();
  });

  it('accepts only declared environments where there are any', () => {
    const declared = ['staging', 'production', 'preview-*'];
    expect(checkEnvironment('preview-7', { declared, known: [], isNew: false, flag: '--new-env' })).toEqual({ ok: true });
    // --new-env does not get past a policy file.
    const typo = checkEnvironment('prodution', { declared, known: [], isNew: true, flag: '--new-env' });
    expect(typo).toEqual({ ok: false, reason: expect.stringContaining('(did you mean `production`?)') });
  });

  it('without declared ones, refuses only near misses of known ones, unless said to be new', () => {
    const known = ['staging', 'production'];
    expect(checkEnvironment('stagng', { known, isNew: false, flag: '--new-env' }).ok).toBe(false);
    expect(checkEnvironment('stagng', { known, isNew: true, flag: '--new-env' }).ok).toBe(true);
    expect(checkEnvironment('qa', { known, isNew: false, flag: '--new-env' }).ok).toBe(true);
    expect(checkEnvironment('staging', { known, isNew: false, flag: '--new-env' }).ok).toBe(true);
  });
});

describe('plans', () => {
  it('gives every reason a plan cannot succeed at once', () => {
    const r = planComponents(
      { operation: 'Bulk Upgrade', env: 'prod', components: [{ name: 'a', image: 'a:2' }, { name: 'b', image: 'b:2' }, { name: 'c', image: 'c:2' }] },
      reading({ a: 'a:1', b: undefined, c: undefined }),
    );
    expect(r).toEqual({ ok: false, reasons: ['`b` does not exist in prod: deploy it first', '`c` does not exist in prod: deploy it first'] });
  });

  it('marks a component already at its target No change, and words each line', () => {
    const r = planComponents(
      { operation: 'Bulk Upgrade', env: 'prod', components: [{ name: 'a', image: 'a:2' }, { name: 'b', image: 'b:1' }] },
      reading({ a: 'a:1', b: 'b:1' }),
    );
    if (!r.ok) throw new Error(r.reasons.join());
    expect(r.components.map((c) => [c.status, planLine(c)])).toEqual([
      ['To release', 'a:1 (2 replicas) -> a:2'],
      ['No change', 'b:1 (no change)'],
    ]);
  });

  it('plans a clone from the source and refuses a missing source or a different target', () => {
    const req = { operation: 'Bulk Clone' as const, env: 'prod', sourceEnv: 'staging', components: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] };
    const r = planComponents(req, reading({ a: undefined, b: 'b:0', c: undefined }), reading({ a: 'a:1', b: 'b:1', c: undefined }));
    expect(r).toEqual({ ok: false, reasons: ['`b` already exists in prod (running b:0)', '`c` does not exist in staging: nothing to clone'] });
  });

  it('tells drift of planned components and releases a No change one that moved', () => {
    const task = TaskFactory.create({
      components: [
        { name: 'a', image: 'a:2', status: 'To release', plan: { was: { image: 'a:1', replicas: 2 }, target: 'a:2' }, history: [] },
        { name: 'b', image: 'b:1', status: 'No change', plan: { was: { image: 'b:1', replicas: 2 }, target: 'b:1', unchanged: true }, history: [] },
        { name: 'c', image: 'c:2', status: 'To release', plan: { was: { image: 'c:1', replicas: 2 }, target: 'c:2' }, history: [] },
      ],
    });
    expect(planDrift(task, reading({ a: 'a:1.5', b: 'b:0', c: 'c:1' }))).toEqual({
      lines: ['`a` runs a:1.5 (the plan had a:1)', '`b` runs b:0 now, no longer b:1: it is released after all'],
      release: ['b'],
    });
  });

  it('finds the components a rollback would take from a newer release', () => {
    const task = TaskFactory.create({
      operation: 'Bulk Upgrade',
      components: [
        { name: 'a', image: 'a:2', previousImage: 'a:1', status: 'Released', history: [] },
        { name: 'b', image: 'b:2', previousImage: 'b:1', status: 'Released', history: [] },
        { name: 'c', image: 'c:2', previousImage: 'c:1', status: 'Rollback failed', history: [] },
        { name: 'd', image: 'd:2', status: 'Release failed', history: [] },
      ],
    });
    expect(rollbackConflicts(task, reading({ a: 'a:2', b: 'b:3', c: 'c:1', d: 'd:9' }))).toEqual([{ name: 'b', put: 'b:2', runs: 'b:3' }]);
    expect(rollbackConflicts(task, reading({ a: undefined, b: 'b:2', c: 'c:2' }))).toEqual([{ name: 'a', put: 'a:2' }]);
  });
});
