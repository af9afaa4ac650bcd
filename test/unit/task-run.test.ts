/**
 * What a run does to a task's components: prepareRun, pendingComponents, beginComponent,
 * finishComponent, stopRemaining, runFailed, failures. All pure; none may mutate its input.
 */
import { describe, expect, it } from 'vitest';
import type { ComponentState, ComponentStatus, ReleaseTask, TaskStatus } from '../../src/domain/release-task.js';
import {
  beginComponent,
  endRun,
  failures,
  finishComponent,
  pendingComponents,
  prepareRun,
  runFailed,
  runKind,
  stopRemaining,
  timeSpent,
} from '../../src/domain/task-run.js';
import { TaskFactory, component } from '../support/factories.js';
import { failureReply } from '../../src/jobs/handlers/run-task.js';

const T0 = new Date('2025-03-01T10:00:00.000Z');
const T1 = new Date('2025-03-01T10:05:00.000Z');
const T2 = new Date('2025-03-01T10:07:30.000Z');
const EARLIER = '2025-02-28T09:00:00.000Z';

/** A component with image `<name>:v2`. */
function comp(name: string, status: ComponentStatus = 'To release', extra: Partial<ComponentState> = {}): ComponentState {
  return component(name, { image: `${name}:v2`, status, ...extra });
}

/** The tasks of these tests: Bulk Upgrade payments-q1, created by UCREATOR at EARLIER, version 1. */
const Tasks = TaskFactory.extend({
  name: 'payments-q1',
  operation: 'Bulk Upgrade',
  createdAt: EARLIER,
  createdBy: 'UCREATOR',
  version: 1,
  stateVersion: 1,
});

/** Deep-freezes a task so any in-place write throws, and keeps a copy to compare against. */
function frozen(t: ReleaseTask): { task: ReleaseTask; snapshot: ReleaseTask } {
  const snapshot = structuredClone(t);
  const freeze = (o: unknown): void => {
    if (o && typeof o === 'object') {
      Object.freeze(o);
      for (const v of Object.values(o)) freeze(v);
    }
  };
  freeze(t);
  return { task: t, snapshot };
}

const byName = (t: ReleaseTask, name: string): ComponentState => {
  const c = t.components.find((x) => x.name === name);
  if (!c) throw new Error(`no component ${name}`);
  return c;
};

describe('runKind', () => {
  it.each<[TaskStatus, string]>([
    ['Rolling back', 'rollback'],
    ['Releasing', 'release'],
    ['Suspending', 'release'],
    ['To release', 'release'],
  ])('%s → %s', (status, kind) => {
    expect(runKind({ status })).toBe(kind);
  });
});

describe('prepareRun', () => {
  it('start: increments run, sets startedBy and startedAt, clears endedAt, leaves components alone', () => {
    const { task, snapshot } = frozen(Tasks.create({ components: [comp('api'), comp('web')], endedAt: EARLIER }));
    const next = prepareRun(task, 'start', 'UALICE', T0);
    expect(next.run).toBe(1);
    expect(next.startedBy).toBe('UALICE');
    // Released By is the creator's, read from createdBy: a run never writes releasedBy.
    expect(next).not.toHaveProperty('releasedBy');
    expect(next).not.toHaveProperty('rolledBackBy');
    expect(next.startedAt).toBe(T0.toISOString());
    expect(next).not.toHaveProperty('endedAt');
    expect(next.components).toEqual(snapshot.components);
    expect(next.status).toBe('To release'); // the status comes from the state machine, not from here
    expect(task).toEqual(snapshot);
  });

  it('resume: new run by the new user; components (released and still to release) untouched', () => {
    const components = [
      comp('api', 'Released', { startedAt: EARLIER, endedAt: EARLIER, previousImage: 'api:v1' }),
      comp('web', 'To release'),
    ];
    const { task, snapshot } = frozen(
      Tasks.create({ components, status: 'Suspended', run: 1, releasedBy: 'UALICE', startedAt: EARLIER, endedAt: EARLIER }),
    );
    const next = prepareRun(task, 'resume', 'UBOB', T1);
    expect(next.run).toBe(2);
    expect(next.startedBy).toBe('UBOB');
    expect(next.releasedBy).toBe('UALICE'); // a legacy value is left as it was, not rewritten
    expect(next.startedAt).toBe(T1.toISOString());
    expect(next).not.toHaveProperty('endedAt');
    expect(next.components).toEqual(snapshot.components);
    expect(task).toEqual(snapshot);
  });

  it('retry: re-queues only Release failed and Not released components and clears their error and times', () => {
    const history = [{ run: 1, action: 'release' as const, status: 'Release failed' as const, error: 'boom', endedAt: EARLIER }];
    const components = [
      comp('api', 'Released', { startedAt: EARLIER, endedAt: EARLIER, previousImage: 'api:v1', image: 'api:v2' }),
      comp('web', 'Release failed', { startedAt: EARLIER, endedAt: EARLIER, error: 'boom', history, image: 'web:v1' }),
      comp('db', 'Not released'),
    ];
    const { task, snapshot } = frozen(Tasks.create({ components, status: 'Release failed', run: 1, endedAt: EARLIER }));
    const next = prepareRun(task, 'retry', 'UBOB', T1);

    expect(next.run).toBe(2);
    expect(next.startedBy).toBe('UBOB');
    expect(next).not.toHaveProperty('releasedBy');
    expect(next.startedAt).toBe(T1.toISOString());
    expect(next).not.toHaveProperty('endedAt');
    expect(byName(next, 'api')).toEqual(snapshot.components[0]);
    expect(byName(next, 'web')).toEqual({ name: 'web', image: 'web:v1', status: 'To release', history });
    expect(byName(next, 'db')).toEqual({ name: 'db', image: 'db:v2', status: 'To release', history: [] });
    expect(next.components.map((c) => c.name)).toEqual(['api', 'web', 'db']);
    expect(task).toEqual(snapshot);
  });

  it('rollback: selects Released components with a previousImage plus Rollback failed ones; a failed release becomes Not released', () => {
    const components = [
      comp('api', 'Released', { startedAt: EARLIER, endedAt: EARLIER, image: 'api:v2', previousImage: 'api:v1' }),
      comp('web', 'Released', { startedAt: EARLIER, endedAt: EARLIER, image: 'web:v2' }), // nothing to return to
      comp('db', 'Rollback failed', { startedAt: EARLIER, endedAt: EARLIER, error: 'nope', image: 'db:v2', previousImage: 'db:v1' }),
      comp('cache', 'Release failed', { endedAt: EARLIER, error: 'boom' }),
      comp('queue', 'Rolled back', { endedAt: EARLIER, image: 'queue:v1' }),
      comp('mail', 'Not released'),
    ];
    const { task, snapshot } = frozen(
      Tasks.create({ components, status: 'Rollback failed', run: 3, endedAt: EARLIER, startedBy: 'UBOB', rolledBackBy: 'UDAVE' }),
    );
    const next = prepareRun(task, 'rollback', 'UCAROL', T2);

    expect(next.run).toBe(4);
    expect(next.rolledBackBy).toBe('UCAROL');
    expect(next.startedBy).toBe('UBOB'); // who started the release run is still who started it
    expect(next).not.toHaveProperty('releasedBy');
    expect(next.startedAt).toBe(T2.toISOString());
    expect(next).not.toHaveProperty('endedAt');
    expect(byName(next, 'api')).toEqual({ name: 'api', status: 'Rolling back', image: 'api:v2', previousImage: 'api:v1', history: [] });
    expect(byName(next, 'db')).toEqual({ name: 'db', status: 'Rolling back', image: 'db:v2', previousImage: 'db:v1', history: [] });
    // Its release failed, so it still runs what it ran before: nothing to roll back, and no longer a current failure.
    expect(byName(next, 'cache')).toEqual({ name: 'cache', status: 'Not released', endedAt: EARLIER, history: [], image: 'cache:v2' });
    for (const [i, name] of [[1, 'web'], [4, 'queue'], [5, 'mail']] as const) {
      expect(byName(next, name)).toEqual(snapshot.components[i]);
    }
    expect(task).toEqual(snapshot);
  });

  it.each(['suspend', 'delete'] as const)('%s records nobody as starter or roller-back', (action) => {
    const next = prepareRun(Tasks.create({ startedBy: 'UBOB' }), action, 'UCAROL', T0);
    expect([next.startedBy, next.rolledBackBy, next.releasedBy]).toEqual(['UBOB', undefined, undefined]);
  });

  it.each(['start', 'resume', 'suspend', 'delete'] as const)('%s does not touch components', (action) => {
    const components = [comp('api', 'Release failed', { error: 'x' }), comp('web', 'Not released'), comp('db', 'Rollback failed')];
    const { task, snapshot } = frozen(Tasks.create({ components }));
    expect(prepareRun(task, action, 'U', T0).components).toEqual(snapshot.components);
  });
});

describe('pendingComponents', () => {
  const mixed = () => [
    comp('a', 'Released', { endedAt: EARLIER }),
    comp('b', 'To release'),
    comp('c', 'Release failed', { endedAt: EARLIER }),
    comp('d', 'Releasing', { startedAt: EARLIER }),
    comp('e', 'Not released'),
    comp('f', 'Rolling back'),
    comp('g', 'To release'),
    comp('h', 'Rolled back', { endedAt: EARLIER }),
    comp('i', 'Rollback failed', { endedAt: EARLIER }),
  ];

  it.each(['Releasing', 'Suspending'] as const)('a release run (%s) has To release and Releasing components, in task order', (status) => {
    expect(pendingComponents(Tasks.create({ components: mixed(), status })).map((c) => c.name)).toEqual(['b', 'd', 'g']);
  });

  it('a rollback run has the Rolling back components not yet finished', () => {
    const components = [...mixed(), comp('j', 'Rolling back', { startedAt: EARLIER }), comp('k', 'Rolling back', { endedAt: EARLIER })];
    expect(pendingComponents(Tasks.create({ components, status: 'Rolling back' })).map((c) => c.name)).toEqual(['f', 'j']);
  });

  it('after a retry, the re-queued components are pending', () => {
    const t = Tasks.create({
      components: [comp('a', 'Released'), comp('b', 'Release failed', { endedAt: EARLIER }), comp('c', 'Not released')],
      status: 'Release failed',
    });
    const next = { ...prepareRun(t, 'retry', 'U', T0), status: 'Releasing' as const };
    expect(pendingComponents(next).map((c) => c.name)).toEqual(['b', 'c']);
  });

  it('after a rollback is prepared, the selected components are pending', () => {
    const t = Tasks.create({
      components: [
        comp('a', 'Released', { previousImage: 'a:v1', endedAt: EARLIER }),
        comp('b', 'Released', { endedAt: EARLIER }),
        comp('c', 'Rollback failed', { previousImage: 'c:v1', endedAt: EARLIER }),
      ],
      status: 'Rollback failed',
    });
    const next = { ...prepareRun(t, 'rollback', 'U', T0), status: 'Rolling back' as const };
    expect(pendingComponents(next).map((c) => c.name)).toEqual(['a', 'c']);
  });

  it('nothing is pending once every component has settled', () => {
    expect(pendingComponents(Tasks.create({ components: [comp('a', 'Released'), comp('b', 'Release failed')], status: 'Releasing' }))).toEqual([]);
  });
});

describe('beginComponent', () => {
  it('release run: To release → Releasing with startedAt now; others untouched; input not mutated', () => {
    const { task, snapshot } = frozen(Tasks.create({ components: [comp('api'), comp('web')], status: 'Releasing', run: 1 }));
    const next = beginComponent(task, 'api', T0);
    expect(byName(next, 'api')).toEqual({ ...snapshot.components[0], status: 'Releasing', startedAt: T0.toISOString() });
    expect(byName(next, 'web')).toEqual(snapshot.components[1]);
    expect(task).toEqual(snapshot);
  });

  it('beginning again a component already Releasing (run picked up after a crash) keeps its startedAt', () => {
    const t = Tasks.create({ components: [comp('api', 'Releasing', { startedAt: EARLIER })], status: 'Releasing' });
    expect(byName(beginComponent(t, 'api', T1), 'api')).toMatchObject({ status: 'Releasing', startedAt: EARLIER });
  });

  it('a To release component with a stale startedAt gets a fresh one', () => {
    const t = Tasks.create({ components: [comp('api', 'To release', { startedAt: EARLIER })], status: 'Releasing' });
    expect(byName(beginComponent(t, 'api', T1), 'api').startedAt).toBe(T1.toISOString());
  });

  it('rollback run: the component is Rolling back with startedAt now', () => {
    const t = Tasks.create({ components: [comp('api', 'Rolling back', { previousImage: 'api:v1' })], status: 'Rolling back' });
    expect(byName(beginComponent(t, 'api', T0), 'api')).toEqual({
      name: 'api',
      image: 'api:v2',
      previousImage: 'api:v1',
      status: 'Rolling back',
      startedAt: T0.toISOString(),
      history: [],
    });
  });

  it('an unknown name changes nothing', () => {
    const t = Tasks.create({ components: [comp('api')], status: 'Releasing' });
    expect(beginComponent(t, 'nope', T0).components).toEqual(t.components);
  });
});

describe('finishComponent', () => {
  const releasing = (extra: Partial<ComponentState> = {}, taskExtra: Partial<ReleaseTask> = {}) =>
    Tasks.create({
      components: [comp('api', 'Releasing', { startedAt: T0.toISOString(), image: 'api:v2', ...extra }), comp('web')],
      status: 'Releasing',
      run: 2,
      ...taskExtra,
    });

  it('release success of an upgrade: Released, new image, previousImage kept for rollback, one history entry', () => {
    const { task, snapshot } = frozen(releasing({ error: 'old error' }));
    const next = finishComponent(task, 'api', { ok: true, image: 'api:v2', previousImage: 'api:v1' }, T1);
    const entry = {
      run: 2,
      action: 'release',
      status: 'Released',
      startedAt: T0.toISOString(),
      endedAt: T1.toISOString(),
      image: 'api:v2',
      previousImage: 'api:v1',
    };
    expect(byName(next, 'api')).toEqual({
      name: 'api',
      status: 'Released',
      startedAt: T0.toISOString(),
      endedAt: T1.toISOString(),
      image: 'api:v2',
      previousImage: 'api:v1',
      history: [entry],
    });
    expect(byName(next, 'web')).toEqual(snapshot.components[1]);
    expect(task).toEqual(snapshot);
  });

  it('release success without a previous image (deploy): no previousImage anywhere', () => {
    const t = releasing({}, { operation: 'Bulk Deploy' });
    const c = byName(finishComponent(t, 'api', { ok: true, image: 'api:v2' }, T1), 'api');
    expect(c.status).toBe('Released');
    expect(c).not.toHaveProperty('previousImage');
    expect(c.history).toEqual([
      { run: 2, action: 'release', status: 'Released', startedAt: T0.toISOString(), endedAt: T1.toISOString(), image: 'api:v2' },
    ]);
  });

  it('release failure: Release failed with the error; image unchanged; history entry has the error and no image', () => {
    const t = releasing({ image: 'api:v2' });
    const c = byName(finishComponent(t, 'api', { ok: false, error: 'ImagePullBackOff' }, T1), 'api');
    expect(c).toEqual({
      name: 'api',
      status: 'Release failed',
      startedAt: T0.toISOString(),
      endedAt: T1.toISOString(),
      image: 'api:v2',
      error: 'ImagePullBackOff',
      history: [
        { run: 2, action: 'release', status: 'Release failed', startedAt: T0.toISOString(), endedAt: T1.toISOString(), error: 'ImagePullBackOff' },
      ],
    });
  });

  it('appends to the existing history, and a later success clears the error', () => {
    const old = { run: 1, action: 'release' as const, status: 'Release failed' as const, endedAt: EARLIER, error: 'boom' };
    const t = releasing({ history: [old], error: 'boom' });
    const c = byName(finishComponent(t, 'api', { ok: true, image: 'api:v2', previousImage: 'api:v1' }, T1), 'api');
    expect(c).not.toHaveProperty('error');
    expect(c.history).toHaveLength(2);
    expect(c.history[0]).toEqual(old);
    expect(c.history[1]).toMatchObject({ run: 2, action: 'release', status: 'Released' });
  });

  it('a component never begun has no startedAt in its history entry', () => {
    const t = Tasks.create({ components: [comp('api', 'To release')], status: 'Releasing', run: 1 });
    const entry = byName(finishComponent(t, 'api', { ok: false, error: 'x' }, T1), 'api').history[0];
    expect(entry).not.toHaveProperty('startedAt');
    expect(entry).toEqual({ run: 1, action: 'release', status: 'Release failed', endedAt: T1.toISOString(), error: 'x' });
  });

  const rollingBack = () =>
    Tasks.create({
      components: [
        comp('api', 'Rolling back', { startedAt: T1.toISOString(), image: 'api:v2', previousImage: 'api:v1', error: 'earlier' }),
        comp('web', 'Rolling back', { image: 'web:v2', previousImage: 'web:v1' }),
      ],
      status: 'Rolling back',
      run: 3,
    });

  it('rollback success: Rolled back, image set to the one returned to, previousImage cleared, history records both', () => {
    const { task, snapshot } = frozen(rollingBack());
    const next = finishComponent(task, 'api', { ok: true, image: 'api:v1' }, T2);
    expect(byName(next, 'api')).toEqual({
      name: 'api',
      status: 'Rolled back',
      startedAt: T1.toISOString(),
      endedAt: T2.toISOString(),
      image: 'api:v1',
      history: [
        {
          run: 3,
          action: 'rollback',
          status: 'Rolled back',
          startedAt: T1.toISOString(),
          endedAt: T2.toISOString(),
          image: 'api:v1',
          previousImage: 'api:v2',
        },
      ],
    });
    expect(byName(next, 'web')).toEqual(snapshot.components[1]);
    expect(task).toEqual(snapshot);
  });

  it('rollback success reported with the platform’s previousImage still records the image before the step', () => {
    const c = byName(finishComponent(rollingBack(), 'api', { ok: true, image: 'api:v1', previousImage: 'api:v2' }, T2), 'api');
    expect(c).not.toHaveProperty('previousImage');
    expect(c.history[0]).toMatchObject({ action: 'rollback', image: 'api:v1', previousImage: 'api:v2' });
  });

  it('rollback failure: Rollback failed with the error; image and previousImage kept so it can be tried again', () => {
    const c = byName(finishComponent(rollingBack(), 'api', { ok: false, error: 'timeout' }, T2), 'api');
    expect(c).toEqual({
      name: 'api',
      status: 'Rollback failed',
      startedAt: T1.toISOString(),
      endedAt: T2.toISOString(),
      image: 'api:v2',
      previousImage: 'api:v1',
      error: 'timeout',
      history: [
        {
          run: 3,
          action: 'rollback',
          status: 'Rollback failed',
          startedAt: T1.toISOString(),
          endedAt: T2.toISOString(),
          error: 'timeout',
          previousImage: 'api:v2',
        },
      ],
    });
  });
});

describe('stopRemaining', () => {
  it('records the not-yet-started components as Not released and leaves the rest', () => {
    const components = [
      comp('a', 'Released'),
      comp('b', 'To release'),
      comp('c', 'Release failed', { error: 'x' }),
      comp('d', 'Releasing'),
      comp('e', 'To release'),
    ];
    const { task, snapshot } = frozen(Tasks.create({ components, status: 'Releasing', bestEffort: false }));
    const next = stopRemaining(task);
    expect(next.components.map((c) => c.status)).toEqual(['Released', 'Not released', 'Release failed', 'Releasing', 'Not released']);
    expect(byName(next, 'b')).toEqual({ ...snapshot.components[1], status: 'Not released' });
    expect(task).toEqual(snapshot);
  });
});

describe('runFailed', () => {
  const release = (...statuses: ComponentStatus[]) =>
    Tasks.create({ components: statuses.map((s, i) => comp(`c${i}`, s)), status: 'Releasing' });
  const rollback = (...statuses: ComponentStatus[]) =>
    Tasks.create({ components: statuses.map((s, i) => comp(`c${i}`, s)), status: 'Rolling back' });

  it('a release run fails unless every component is Released', () => {
    expect(runFailed(release('Released', 'Released'))).toBe(false);
    expect(runFailed(release('Released', 'Release failed'))).toBe(true);
    expect(runFailed(release('Released', 'Not released'))).toBe(true);
    expect(runFailed(release('Released', 'To release'))).toBe(true);
  });

  it('a suspending release counts as a release run', () => {
    expect(runFailed({ ...release('Released'), status: 'Suspending' })).toBe(false);
    expect(runFailed({ ...release('Release failed'), status: 'Suspending' })).toBe(true);
  });

  it('a rollback run fails only when a component’s rollback failed', () => {
    // Components outside the rollback (kept Released, or whose release had failed) do not fail it.
    expect(runFailed(rollback('Rolled back', 'Released', 'Release failed'))).toBe(false);
    expect(runFailed(rollback('Rolled back', 'Rollback failed'))).toBe(true);
  });
});

describe('failures', () => {
  it('lists Release failed and Rollback failed components, in task order', () => {
    const t = Tasks.create({
      components: [
        comp('a', 'Released'),
        comp('b', 'Rollback failed'),
        comp('c', 'Not released'),
        comp('d', 'Release failed'),
        comp('e', 'Rolled back'),
      ],
    });
    expect(failures(t).map((c) => c.name)).toEqual(['b', 'd']);
  });

  it('is empty when nothing failed', () => {
    expect(failures(Tasks.create({ components: [comp('a', 'Released'), comp('b', 'Rolled back')] }))).toEqual([]);
  });
});

describe('a whole upgrade, end to end', () => {
  it('start → one fails → retry → rollback → one rollback fails → rollback again', () => {
    let t = Tasks.create({ components: [comp('api', 'To release', { image: 'api:v2' }), comp('web', 'To release', { image: 'web:v2' })] });
    t = { ...prepareRun(t, 'start', 'UALICE', T0), status: 'Releasing' };
    for (const c of pendingComponents(t)) t = beginComponent(t, c.name, T0);
    t = finishComponent(t, 'api', { ok: true, image: 'api:v2', previousImage: 'api:v1' }, T1);
    t = finishComponent(t, 'web', { ok: false, error: 'crashloop' }, T1);
    expect(runFailed(t)).toBe(true);
    expect(failures(t).map((c) => c.name)).toEqual(['web']);

    t = { ...prepareRun({ ...t, status: 'Release failed' }, 'retry', 'UBOB', T1), status: 'Releasing' };
    expect(t.run).toBe(2);
    expect(pendingComponents(t).map((c) => c.name)).toEqual(['web']);
    t = beginComponent(t, 'web', T1);
    t = finishComponent(t, 'web', { ok: true, image: 'web:v2', previousImage: 'web:v1' }, T2);
    expect(runFailed(t)).toBe(false);

    t = { ...prepareRun({ ...t, status: 'Released' }, 'rollback', 'UCAROL', T2), status: 'Rolling back' };
    expect(t.run).toBe(3);
    expect(pendingComponents(t).map((c) => c.name)).toEqual(['api', 'web']);
    for (const c of pendingComponents(t)) t = beginComponent(t, c.name, T2);
    t = finishComponent(t, 'api', { ok: true, image: 'api:v1' }, T2);
    t = finishComponent(t, 'web', { ok: false, error: 'timeout' }, T2);
    expect(runFailed(t)).toBe(true);

    t = { ...prepareRun({ ...t, status: 'Rollback failed' }, 'rollback', 'UCAROL', T2), status: 'Rolling back' };
    expect(pendingComponents(t).map((c) => c.name)).toEqual(['web']);
    t = finishComponent(beginComponent(t, 'web', T2), 'web', { ok: true, image: 'web:v1' }, T2);
    expect(runFailed(t)).toBe(false);
    expect(t.components.map((c) => [c.name, c.status, c.image])).toEqual([
      ['api', 'Rolled back', 'api:v1'],
      ['web', 'Rolled back', 'web:v1'],
    ]);
    expect(byName(t, 'web').history.map((h) => [h.run, h.action, h.status])).toEqual([
      [1, 'release', 'Release failed'],
      [2, 'release', 'Released'],
      [3, 'rollback', 'Rollback failed'],
      [4, 'rollback', 'Rolled back'],
    ]);
  });
});

describe('failureReply', () => {
  it('names one failure with its reason, and groups many with "and N more"', () => {
    expect(failureReply([{ name: 'web', error: 'web:2 never became ready' }])).toBe('`web` failed: web:2 never became ready');
    const many = Array.from({ length: 12 }, (_, i) => ({ name: `c${i}`, error: `reason ${i}\nsecond line` }));
    expect(failureReply(many)).toBe('12 failed: `c0` (reason 0 second line), `c1` (reason 1 second line), `c2` (reason 2 second line), `c3` (reason 3 second line), `c4` (reason 4 second line) and 7 more');
    expect(failureReply([{ name: 'a', error: '<!channel> & x' }, { name: 'b', error: 'e'.repeat(500) }])).toMatch(/^2 failed: `a` \(&lt;!channel&gt; &amp; x\), `b` \(e+…\)$/);
  });
});

describe('time spent running, summed over runs', () => {
  const at = (iso: string) => new Date(iso);

  it('start, suspend, resume, release: the release time is the sum of both runs, not the last', () => {
    let t = prepareRun(Tasks.create({ status: 'To release' }), 'start', 'UBOB', at('2025-03-01T10:00:00Z'));
    t = { ...endRun({ ...t, status: 'Suspending' }, at('2025-03-01T10:00:40Z')), status: 'Suspended' };
    expect(t.spentMs).toEqual({ release: 40_000 });
    expect(timeSpent(t, at('2025-03-01T12:00:00Z'))).toBe(40_000); // a pause does not count
    t = { ...prepareRun(t, 'resume', 'UBOB', at('2025-03-01T11:00:00Z')), status: 'Releasing' };
    expect(timeSpent(t, at('2025-03-01T11:00:05Z'))).toBe(45_000); // the run in flight counts too
    t = { ...endRun(t, at('2025-03-01T11:00:03Z')), status: 'Released' };
    expect(t.endedAt).toBe('2025-03-01T11:00:03.000Z');
    expect(timeSpent(t, at('2025-03-02T00:00:00Z'))).toBe(43_000);
  });

  it('a rollback counts its own runs, apart from the release', () => {
    const released = Tasks.create({ status: 'Released', run: 1, spentMs: { release: 5_000 }, startedAt: '2025-03-01T10:00:00Z' });
    let t: ReleaseTask = { ...prepareRun(released, 'rollback', 'UCAROL', at('2025-03-01T11:00:00Z')), status: 'Rolling back' };
    t = { ...endRun(t, at('2025-03-01T11:00:02Z')), status: 'Rolled back' };
    expect(t.spentMs).toEqual({ release: 5_000, rollback: 2_000 });
    expect(timeSpent(t, at('2025-03-02T00:00:00Z'))).toBe(2_000);
  });

  it('a task from before the sum was kept: its last run; one that never ran: unknown', () => {
    const old = Tasks.create({ status: 'Released', run: 1, startedAt: '2025-03-01T10:00:00Z', endedAt: '2025-03-01T10:00:07Z' });
    expect(timeSpent(old, at('2025-03-02T00:00:00Z'))).toBe(7_000);
    expect(timeSpent(Tasks.create({ status: 'To release', run: 0 }), at('2025-03-02T00:00:00Z'))).toBeUndefined();
  });

  it('does not change its input', () => {
    const { task, snapshot } = frozen(Tasks.create({ status: 'Releasing', run: 1, startedAt: '2025-03-01T10:00:00Z' }));
    endRun(task, at('2025-03-01T10:01:00Z'));
    expect(task).toEqual(snapshot);
  });
});
