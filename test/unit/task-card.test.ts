import { describe, expect, it } from 'vitest';
import type { ApprovalRequest } from '../../src/domain/approval.js';
import { TASK_STATUSES, type ComponentState, type ComponentStatus, type OperationType, type ReleaseTask, type TaskStatus } from '../../src/domain/release-task.js';
import { parseButtonValue } from '../../src/commands/button-value.js';
import { ACTION_IDS, CANCEL_SCHEDULE_ACTION_ID, progressBar, shortDuration, taskCard } from '../../src/slack/blocks/task-card.js';
import { buttons, contextTexts, sectionTexts, texts } from '../support/blocks.js';
import { TaskFactory, component } from '../support/factories.js';
import { plural, reasonAfter, utcTime } from '../../src/text.js';

const NOW = new Date('2025-03-10T12:00:00Z');

function actionIdsFor(status: TaskStatus, operation: OperationType): string[] {
  return buttons(taskCard(TaskFactory.create({ status, operation }), NOW).blocks).map((b) => b.action_id ?? '');
}

describe('taskCard buttons', () => {
  const expected: Record<TaskStatus, { deploy: string[]; upgrade: string[] }> = {
    'To release': { deploy: ['release.start', 'release.delete'], upgrade: ['release.start', 'release.delete'] },
    Releasing: { deploy: ['release.suspend'], upgrade: ['release.suspend'] },
    Released: { deploy: ['release.delete'], upgrade: ['release.rollback', 'release.delete'] },
    'Release failed': { deploy: ['release.retry', 'release.delete'], upgrade: ['release.retry', 'release.rollback', 'release.delete'] },
    'Rolling back': { deploy: [], upgrade: [] },
    'Rolled back': { deploy: ['release.delete'], upgrade: ['release.delete'] },
    'Rollback failed': { deploy: ['release.rollback', 'release.delete'], upgrade: ['release.rollback', 'release.delete'] },
    Suspending: { deploy: [], upgrade: [] },
    Suspended: { deploy: ['release.resume', 'release.delete'], upgrade: ['release.resume', 'release.delete'] },
  };

  it.each(TASK_STATUSES)('%s shows the right buttons for deploy and upgrade', (status) => {
    expect(actionIdsFor(status, 'Bulk Deploy')).toEqual(expected[status].deploy);
    expect(actionIdsFor(status, 'Bulk Upgrade')).toEqual(expected[status].upgrade);
    expect(actionIdsFor(status, 'Bulk Clone')).toEqual(expected[status].deploy);
  });

  it('omits the actions block when nothing applies', () => {
    const { blocks } = taskCard(TaskFactory.create({ status: 'Rolling back' }), NOW);
    expect(blocks.some((b) => b.type === 'actions')).toBe(false);
  });

  it('styles primary and danger buttons and confirms destructive ones', () => {
    for (const status of TASK_STATUSES) {
      for (const b of buttons(taskCard(TaskFactory.create({ status, operation: 'Bulk Upgrade' }), NOW).blocks)) {
        if (b.action_id === ACTION_IDS.start || b.action_id === ACTION_IDS.resume || b.action_id === ACTION_IDS.retry) {
          expect(b.style).toBe('primary');
          expect(b.confirm).toBeUndefined();
        }
        if (b.action_id === ACTION_IDS.delete || b.action_id === ACTION_IDS.rollback) {
          expect(b.style).toBe('danger');
          expect(b.confirm?.style).toBe('danger');
        }
        if (b.action_id === ACTION_IDS.suspend) expect(b.confirm).toBeDefined();
        if (b.confirm) {
          expect(b.confirm.title?.text).toBeTruthy();
          expect(b.confirm.text.text).toContain('web-rollout (rt-7k2f9q)');
          expect(b.confirm.text.text.length).toBeLessThanOrEqual(300);
          expect(b.confirm.confirm?.text).toBeTruthy();
          expect(b.confirm.deny?.text).toBe('Cancel');
        }
      }
    }
  });

  it('button values carry command text and version, and round-trip', () => {
    const [start, del] = buttons(taskCard(TaskFactory.create(), NOW).blocks);
    expect(start?.value).toBe('start rt-7k2f9q @v7');
    expect(del?.value).toBe('delete rt-7k2f9q @v7');
    for (const status of TASK_STATUSES) {
      for (const b of buttons(taskCard(TaskFactory.create({ status, operation: 'Bulk Upgrade', stateVersion: 12 }), NOW).blocks)) {
        const action = Object.entries(ACTION_IDS).find(([, id]) => id === b.action_id)?.[0];
        expect(parseButtonValue(b.value ?? '')).toEqual({ text: `${action} rt-7k2f9q`, version: 12 });
      }
    }
  });

  it('parseButtonValue accepts values without a version', () => {
    expect(parseButtonValue('start rt-abc')).toEqual({ text: 'start rt-abc' });
    expect(parseButtonValue('  rollback rt-abc @v3 ')).toEqual({ text: 'rollback rt-abc', version: 3 });
  });

  it('ACTION_IDS lists every action', () => {
    expect(Object.values(ACTION_IDS).sort()).toEqual(
      ['release.delete', 'release.resume', 'release.retry', 'release.rollback', 'release.start', 'release.suspend'],
    );
  });
});

describe('taskCard content', () => {
  it('has fallback text with status and progress', () => {
    const task = TaskFactory.create({
      status: 'Releasing',
      components: [component('web', { status: 'Released' }), component('api', { status: 'Releasing' }), component('db')],
    });
    expect(taskCard(task, NOW).text).toBe('Release task web-rollout (rt-7k2f9q): Releasing 1/3');
  });

  it('shows header, info fields, date tokens, duration and progress', () => {
    const task = TaskFactory.create({
      status: 'Release failed',
      operation: 'Bulk Clone',
      sourceEnv: 'staging',
      bestEffort: false,
      description: 'Spring <rollout>',
      startedBy: 'U222',
      run: 1,
      startedAt: '2025-03-10T11:00:00Z',
      endedAt: '2025-03-10T11:02:13Z',
      components: [
        component('web', { status: 'Released', image: undefined }),
        component('api', { status: 'Release failed', image: undefined, error: 'x'.repeat(400) }),
      ],
    });
    const { blocks } = taskCard(task, NOW);
    expect(blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: 'web-rollout', emoji: true } });
    const all = texts(blocks).join('\n');
    expect(all).toContain('`rt-7k2f9q`');
    expect(all).toContain(':x: Release failed');
    expect(all).toContain('Bulk Clone');
    expect(all).toContain('prod (from staging)');
    expect(all).toMatch(/\*Best Effort Policy\*\nOff/);
    expect(all).toMatch(/\*Parallel\*\n4/);
    expect(all).toContain('Spring &lt;rollout&gt;');
    expect(all).toContain('Created <!date^1741600800^{date_short_pretty} {time}|2025-03-10T10:00:00.000Z> by <@U111>');
    expect(all).toContain('Started by <@U222>');
    expect(all).not.toContain('Released by'); // never reached Released
    expect(all).toContain('took 2m 13s'); // a task from before the sum was kept: its last run
    expect(all).toContain('Released 1/2 · Failed 1');
    expect(all.match(/Released 1\/2/g)).toHaveLength(1); // the counts once
    expect(all).toContain('cloned from staging');
    const apiLine = all.split('\n').find((l) => l.startsWith('`api`')) ?? '';
    expect(apiLine).toContain('x'.repeat(100));
    expect(apiLine).not.toContain('x'.repeat(151));
  });

  it('lists up to 20 components one per line with image and replicas', () => {
    const comps = Array.from({ length: 20 }, (_, i) => component(`svc${i}`, { replicas: 2 }));
    const all = sectionTexts(taskCard(TaskFactory.create({ components: comps }), NOW).blocks).join('\n');
    expect(all).toContain('`svc0` :white_circle: To release — registry/svc0:1.4 · 2 replicas');
    expect(all).toContain('`svc19`');
  });

  it('an active task: when its run started, as a date token (a "running for" would freeze)', () => {
    const task = TaskFactory.create({ status: 'Releasing', run: 1, startedBy: 'U222', startedAt: '2025-03-10T11:15:00Z' });
    const all = texts(taskCard(task, NOW).blocks).join('\n');
    expect(all).toContain('Started by <@U222> <!date^1741605300^{date_short_pretty} {time}|2025-03-10T11:15:00.000Z>');
    expect(all).not.toMatch(/running for|took/);
  });

  it('took: the sum over every run (start, suspend, resume), "under 1 s" when short', () => {
    const who = (over: Partial<ReleaseTask>) =>
      contextTexts(taskCard(TaskFactory.create({ run: 2, startedAt: '2025-03-10T11:59:00Z', endedAt: '2025-03-10T11:59:01Z', ...over }), NOW).blocks)
        .find((t) => t.startsWith('Created')) ?? '';
    expect(who({ status: 'Released', spentMs: { release: 3_000 + 61_000 } })).toMatch(/ · took 1m 4s$/);
    expect(who({ status: 'Released', spentMs: { release: 420 } })).toMatch(/ · took under 1 s$/);
    expect(who({ status: 'Suspended', spentMs: { release: 40_000 } })).toMatch(/ · ran for 40s$/);
    expect(who({ status: 'Rolled back', spentMs: { release: 40_000, rollback: 2_000 } })).toMatch(/ · took 2s$/);
    expect(who({ status: 'To release', run: 0, startedAt: undefined, endedAt: undefined })).not.toContain('took');
  });

  it('a failed step\'s error does not repeat the image the line already names', () => {
    const c = component('api', {
      status: 'Release failed',
      image: 'api:2.0-broken',
      plan: { was: { image: 'api:1.0', replicas: 1 }, target: 'api:2.0-broken' },
      error: 'api:2.0-broken never became ready (readiness probe failing)',
    });
    const line = sectionTexts(taskCard(TaskFactory.create({ status: 'Release failed', operation: 'Bulk Upgrade', components: [c] }), NOW).blocks).find((t) => t.startsWith('`api`'));
    expect(line).toBe('`api` :x: Release failed — api:1.0 (1 replica) -&gt; api:2.0-broken — _never became ready (readiness probe failing)_');
    expect(line!.split('2.0-broken')).toHaveLength(2); // said once
  });

  it('after a rollback, a component whose release had failed reads Not released, nothing to roll back', () => {
    const comps = [component('web', { status: 'Rolled back' }), component('api', { status: 'Not released' })];
    const all = sectionTexts(taskCard(TaskFactory.create({ status: 'Rolled back', operation: 'Bulk Upgrade', components: comps }), NOW).blocks).join('\n');
    expect(all).toContain('`api` :heavy_minus_sign: Not released — registry/api:1.4 · nothing to roll back');
    expect(all).not.toContain('Release failed');
  });

  it('stays within limits with 200 components and 150 failures, and keeps counts', () => {
    const comps = Array.from({ length: 200 }, (_, i) =>
      component(`component-with-a-long-name-${i}`, {
        status: i < 150 ? 'Release failed' : i < 190 ? 'Released' : 'Releasing',
        image: `registry.example.com/team/component-with-a-long-name-${i}:2025.03.10-abcdef`,
        error: i < 150 ? `timeout waiting for rollout: ${'e'.repeat(300)}` : undefined,
      }),
    );
    const task = TaskFactory.create({ status: 'Release failed', operation: 'Bulk Upgrade', components: comps, description: 'd'.repeat(5000) });
    const { text, blocks } = taskCard(task, NOW);
    expect(text).toContain('Release failed 40/200');
    expect(blocks.length).toBeLessThanOrEqual(50);
    for (const t of texts(blocks)) expect(t.length).toBeLessThan(3000);
    const all = texts(blocks).join('\n');
    expect(all).toContain('*200 components*');
    expect(all).toContain(':x: Release failed 150');
    expect(all).toContain(':white_check_mark: Released 40');
    expect(all).toContain(':hourglass_flowing_sand: Releasing 10');
    expect(all).toContain('`component-with-a-long-name-0`');
    expect(all).not.toContain('`component-with-a-long-name-160`');
    expect(all).toMatch(/…and \d+ more failed/);
    const shownFailed = all.split('\n').filter((l) => l.startsWith('`component')).length;
    const more = Number(/…and (\d+) more failed/.exec(all)?.[1]);
    expect(shownFailed + more).toBe(150);
    expect(buttons(blocks).map((b) => b.action_id)).toEqual(['release.retry', 'release.rollback', 'release.delete']);
  });
});

describe('taskCard Delete', () => {
  const confirmText = (status: TaskStatus) =>
    buttons(taskCard(TaskFactory.create({ status, operation: 'Bulk Upgrade' }), NOW).blocks).find((b) => b.action_id === ACTION_IDS.delete)?.confirm?.text.text;

  it('is on the card in every status the delete command works in, and in no other', () => {
    const withDelete = TASK_STATUSES.filter((s) => confirmText(s) !== undefined);
    expect(withDelete).toEqual(['To release', 'Released', 'Release failed', 'Rolled back', 'Rollback failed', 'Suspended']);
  });

  it('words the confirm dialog for what the status leaves behind', () => {
    expect(confirmText('To release')).toBe(
      'Delete web-rollout (rt-7k2f9q)? Nothing has been released yet; the task and its card go away. This cannot be undone.',
    );
    expect(confirmText('Released')).toBe(
      'Delete web-rollout (rt-7k2f9q)? The task and its card go away; what runs in prod stays as it is. This cannot be undone.',
    );
    expect(confirmText('Suspended')).toContain('what it released stays in prod and the rest is never released');
    expect(confirmText('Release failed')).toContain('including what it did release');
    expect(confirmText('Rollback failed')).toContain('including what it could not roll back');
    for (const s of ['Released', 'Release failed', 'Rolled back', 'Rollback failed', 'Suspended'] as const) {
      expect(confirmText(s)).not.toContain('Nothing has been released');
    }
  });
});

describe('taskCard who did what', () => {
  const RELEASED_AT = '2025-03-10T11:00:00Z';
  /** The card's who/when context line. */
  const whoLine = (over: Partial<ReleaseTask>) =>
    contextTexts(taskCard(TaskFactory.create({ operation: 'Bulk Upgrade', ...over }), NOW).blocks).find((t) => t.startsWith('Created')) ?? '';

  it('Released: Released by the creator at the release time, Started by the starter', () => {
    const line = whoLine({ status: 'Released', releasedAt: RELEASED_AT, startedBy: 'U222' });
    expect(line).toMatch(/^Created <!date\^\d+\^[^>]+> by <@U111> · Released by <@U111> <!date\^1741604400\^[^>]+> · Started by <@U222>$/);
  });

  it('after a rollback: Released by the creator, Started by the starter, Rolled back by the roller-back', () => {
    const line = whoLine({ status: 'Rolled back', releasedAt: RELEASED_AT, startedBy: 'U222', rolledBackBy: 'U333' });
    expect(line).toMatch(
      /^Created <!date\^\d+\^[^>]+> by <@U111> · Released by <@U111> <!date\^1741604400\^[^>]+> · Started by <@U222> · Rolled back by <@U333>$/,
    );
  });

  it.each(['Release failed', 'Suspended', 'Suspending', 'Releasing', 'To release'] as const)('%s: no Released by, even with a release time on record', (status) => {
    expect(whoLine({ status, releasedAt: RELEASED_AT, startedBy: 'U222' })).not.toContain('Released by');
  });

  it('a task that never reached Released has no Released by', () => {
    expect(whoLine({ status: 'Releasing', startedBy: 'U222' })).not.toContain('Released by');
    expect(whoLine({ status: 'Releasing', startedBy: 'U222' })).toContain('Started by <@U222>');
  });

  it('says Rollback by until the rollback has succeeded', () => {
    expect(whoLine({ status: 'Rolling back', releasedAt: RELEASED_AT, rolledBackBy: 'U333' })).toContain(' · Rollback by <@U333>');
    expect(whoLine({ status: 'Rollback failed', releasedAt: RELEASED_AT, rolledBackBy: 'U333' })).not.toContain('Rolled back by');
  });

  it('an old task: its releasedBy was whoever started the last run, so it shows as Started by', () => {
    const line = whoLine({ status: 'Released', releasedAt: RELEASED_AT, releasedBy: 'U444' });
    expect(line).toContain('Released by <@U111>');
    expect(line).toContain('Started by <@U444>');
    expect(line).not.toContain('Released by <@U444>');
    expect(whoLine({ status: 'Released', releasedBy: 'U444', startedBy: 'U222' })).toContain('Started by <@U222>');
  });
});

describe('taskCard awaiting approval', () => {
  const approval: ApprovalRequest = {
    action: 'start',
    requestedBy: 'U222',
    requestedAt: '2025-03-10T11:50:00Z',
    needed: 2,
    approvals: [{ user: 'U333', at: '2025-03-10T11:55:00Z' }],
  };

  it('Approve and Reject replace the usual buttons; the status stays To release', () => {
    const { text, blocks } = taskCard(TaskFactory.create({ approval }), NOW);
    const [approve, reject] = buttons(blocks);
    expect(buttons(blocks)).toHaveLength(2);
    expect(approve).toMatchObject({ action_id: 'release.approve', style: 'primary', value: 'approve rt-7k2f9q @v7' });
    expect(reject).toMatchObject({ action_id: 'release.reject', style: 'danger', value: 'reject rt-7k2f9q @v7' });
    expect(reject?.confirm).toBeUndefined();
    const all = texts(blocks).join('\n');
    expect(all).toContain(':white_circle: To release');
    expect(all).toContain(':lock: *Awaiting approval (1/2) from the prod approvers* to start the release');
    expect(all).toMatch(/Approved by <@U333> <!date\^\d+\^/);
    expect(all).not.toMatch(/ ago\b/);
    expect(text).toBe('Release task web-rollout (rt-7k2f9q): To release 0/2, awaiting approval (1/2)');
    expect(blocks.at(-1)?.type).toBe('actions');
  });

  it('retry and rollback requests on a failed upgrade', () => {
    for (const [action, words] of [['retry', 'retry'], ['rollback', 'roll back']] as const) {
      const task = TaskFactory.create({ status: 'Release failed', operation: 'Bulk Upgrade', approval: { ...approval, action, approvals: [] } });
      const { text, blocks } = taskCard(task, NOW);
      expect(buttons(blocks).map((b) => b.action_id)).toEqual(['release.approve', 'release.reject']);
      expect(texts(blocks).join('\n')).toContain(`*Awaiting approval (0/2) from the prod approvers* to ${words} (`);
      expect(text).toContain('Release failed 0/2, awaiting approval (0/2)');
    }
  });

  it('stays within limits with 200 failed components, a long override and many approvals', () => {
    const comps = Array.from({ length: 200 }, (_, i) =>
      component(`component-with-a-long-name-${i}`, { status: 'Release failed', error: 'e'.repeat(400) }),
    );
    const task = TaskFactory.create({
      status: 'Release failed',
      operation: 'Bulk Upgrade',
      components: comps,
      description: 'd'.repeat(5000),
      approval: {
        ...approval,
        action: 'retry',
        needed: 100,
        approvals: Array.from({ length: 99 }, (_, i) => ({ user: `U${String(i).padStart(9, '0')}`, at: '2025-03-10T11:55:00Z' })),
        override: { by: 'U333', reason: 'r'.repeat(5000), window: 'w'.repeat(500) },
      },
    });
    const { blocks } = taskCard(task, NOW);
    expect(blocks.length).toBeLessThanOrEqual(50);
    for (const t of texts(blocks)) expect(t.length).toBeLessThan(3000);
    expect(buttons(blocks).map((b) => b.action_id)).toEqual(['release.approve', 'release.reject']);
    expect(texts(blocks).join('\n')).toMatch(/…and \d+ more failed/);
  });
});

describe('taskCard with a scheduled start', () => {
  const schedule = { at: '2025-03-10T22:00:00.000Z', by: 'U0BOB', jobId: 'sched-rt-7k2f9q-1741644000000' };
  const task = TaskFactory.create({ id: 'rt-7k2f9q', status: 'To release', stateVersion: 3, schedule });

  it('says when and by whom under the status, with Cancel next to Release', () => {
    const { text, blocks } = taskCard(task, NOW);
    expect(sectionTexts(blocks)).toContain('⏰ Scheduled for <!date^1741644000^{date_short_pretty} at {time}|2025-03-10T22:00:00.000Z> by <@U0BOB>');
    expect(text).toContain('scheduled for 2025-03-10T22:00:00.000Z');
    const [release, cancel, del] = buttons(blocks);
    expect([release?.action_id, cancel?.action_id, del?.action_id]).toEqual([ACTION_IDS.start, CANCEL_SCHEDULE_ACTION_ID, ACTION_IDS.delete]);
    expect(parseButtonValue(cancel!.value!)).toEqual({ text: 'cancel rt-7k2f9q', version: 3 });
    expect(cancel!.confirm).toMatchObject({ title: { text: 'Cancel the scheduled start?' }, confirm: { text: 'Cancel the start' }, deny: { text: 'Keep it' } });
    expect(cancel!.confirm!.text.text).toContain('will not start at 2025-03-10 22:00 UTC');
  });

  it('without a schedule, neither', () => {
    const { blocks } = taskCard({ ...task, schedule: undefined }, NOW);
    expect(JSON.stringify(blocks)).not.toContain('Scheduled for');
    expect(buttons(blocks).map((b) => b.action_id)).toEqual([ACTION_IDS.start, ACTION_IDS.delete]);
  });
});

describe('shortDuration', () => {
  it.each([
    [0, 'under 1 s'],
    [-5, 'under 1 s'],
    [999, 'under 1 s'],
    [1000, '1s'],
    [45_000, '45s'],
    [133_000, '2m 13s'],
    [120_000, '2m'],
    [3_725_000, '1h 2m'],
    [3_605_000, '1h'],
    [2 * 86_400_000 + 3 * 3_600_000 + 60_000, '2d 3h'],
  ])('%d ms -> %s', (ms, out) => {
    expect(shortDuration(ms)).toBe(out);
  });
});

describe('words', () => {
  it('plural: singular for one, plural otherwise, with thousands separators', () => {
    expect(plural(1, 'component')).toBe('1 component');
    expect(plural(0, 'component')).toBe('0 components');
    expect(plural(2000, 'component')).toBe('2,000 components');
    expect(plural(2, 'entry', 'entries')).toBe('2 entries');
  });

  it('utcTime: absolute, for plain text that cannot hold a date token', () => {
    expect(utcTime('2026-12-03T17:26:59Z')).toBe('Dec 3 17:26 UTC');
    expect(utcTime('2025-03-10T00:05:00+02:00')).toBe('Mar 9 22:05 UTC');
  });

  it('reasonAfter: what an error adds after a line that already named the image and what happened', () => {
    expect(reasonAfter('web:2', 'never became ready', 'web:2 never became ready (probe failing)')).toBe(' (probe failing)');
    expect(reasonAfter('web:2', 'never became ready', 'web:2 never became ready')).toBe('');
    expect(reasonAfter('web:2', 'never became ready', 'quota exceeded')).toBe(': quota exceeded');
    expect(reasonAfter('web:2', 'never became ready', undefined)).toBe('');
  });
});

describe('taskCard at 2,000 components', () => {
  const many = (status: (i: number) => ComponentStatus, extra: (i: number) => Partial<ComponentState> = () => ({})) =>
    Array.from({ length: 2000 }, (_, i) => component(`svc-${String(i).padStart(4, '0')}-with-a-longer-name`, { status: status(i), ...extra(i) }));
  const releasing = () =>
    many(
      (i) => (i < 1000 ? 'Released' : i < 1032 ? 'Releasing' : i < 1050 ? 'Release failed' : 'To release'),
      (i) => (i >= 1000 && i < 1032 ? { startedAt: '2025-03-10T11:59:00Z' } : i >= 1032 && i < 1050 ? { error: 'x'.repeat(400), endedAt: '2025-03-10T11:59:30Z' } : {}),
    );

  it('while releasing: a progress bar with the count, the counts once, failures first, five in flight by name', () => {
    const { blocks } = taskCard(TaskFactory.create({ status: 'Releasing', run: 1, bestEffort: true, components: releasing() }), NOW);
    expect(blocks.length).toBeLessThanOrEqual(50);
    for (const t of texts(blocks)) expect(t.length).toBeLessThan(3000);
    const all = texts(blocks).join('\n');
    expect(all).toContain('*2,000 components* ▰▰▰▰▰▱▱▱▱▱ 50% · 1,018/2,000'); // 1,000 released + 18 failed
    expect(all).not.toMatch(/[▓░]/);
    // Each count once: no second counts line (the small card's "Released 1,000/2,000").
    expect(all.match(/Released 1,000/g)).toHaveLength(1);
    expect(all).toContain(':x: Release failed 18 · :hourglass_flowing_sand: Releasing 32 · :white_check_mark: Released 1,000 · :white_circle: To release 950');
    expect(all).not.toContain('Released 1,000/2,000');
    const inFlight = sectionTexts(blocks).find((t) => t.startsWith('*In flight:*'));
    expect(inFlight).toBe(
      '*In flight:* `svc-1000-with-a-longer-name`, `svc-1001-with-a-longer-name`, `svc-1002-with-a-longer-name`, ' +
        '`svc-1003-with-a-longer-name`, `svc-1004-with-a-longer-name` and 27 more',
    );
    expect(all.indexOf('*Failed (18)*')).toBeGreaterThan(-1);
    expect(all.indexOf('*Failed (18)*')).toBeLessThan(all.indexOf('*In flight:*'));
    expect(all).toContain('`svc-1032-with-a-longer-name` :x: Release failed');
  });

  it('names an in-flight component whose checks are going as checking', () => {
    const comps = releasing().map((c, i) =>
      i === 1001 ? { ...c, checks: { phase: 'component' as const, state: 'running' as const, startedAt: '2025-03-10T11:59:00Z', readings: [] } } : c,
    );
    const { blocks } = taskCard(TaskFactory.create({ status: 'Releasing', run: 1, bestEffort: true, components: comps }), NOW);
    const inFlight = sectionTexts(blocks).find((t) => t.startsWith('*In flight:*'));
    expect(inFlight).toContain('`svc-1000-with-a-longer-name`, `svc-1001-with-a-longer-name` (checking), `svc-1002');
  });

  it('before the run: the plan, what will change and what will not, and no bar', () => {
    const comps = many(
      (i) => (i < 1980 ? 'To release' : 'No change'),
      (i) => ({
        image: `registry/svc-${i}:1.1`,
        plan: i < 1980 ? { was: { image: `registry/svc-${i}:1.0`, replicas: 1 }, target: `registry/svc-${i}:1.1` } : { was: { image: `registry/svc-${i}:1.1`, replicas: 1 }, target: `registry/svc-${i}:1.1`, unchanged: true },
      }),
    );
    const { blocks } = taskCard(TaskFactory.create({ status: 'To release', run: 0, components: comps }), NOW);
    const all = texts(blocks).join('\n');
    expect(all).toContain('*Will change 1,980:* `svc-0000-with-a-longer-name` registry/svc-0:1.0 → 1.1, `svc-0001-with-a-longer-name` registry/svc-1:1.0 → 1.1');
    expect(all).toContain('and 1,970 more');
    expect(all).toContain('*No change 20:* `svc-1980-with-a-longer-name`');
    expect(all).toContain('`/release show rt-7k2f9q` lists them all');
    expect(all).not.toMatch(/[▰▱]/);
    expect(blocks.length).toBeLessThanOrEqual(50);
  });

  it('a deploy plan says new → image', () => {
    const comps = Array.from({ length: 25 }, (_, i) => component(`c${i}`, { plan: { target: `web:${i}` } }));
    const all = texts(taskCard(TaskFactory.create({ status: 'To release', run: 0, operation: 'Bulk Deploy', components: comps }), NOW).blocks).join('\n');
    expect(all).toContain('*Will change 25:* `c0` new → web:0, `c1` new → web:1');
  });
});

describe('progressBar', () => {
  it.each([
    [120, 200, '▰▰▰▰▰▰▱▱▱▱ 60% · 120/200'],
    [0, 200, '▱▱▱▱▱▱▱▱▱▱ 0% · 0/200'],
    [200, 200, '▰▰▰▰▰▰▰▰▰▰ 100% · 200/200'],
    [199, 200, '▰▰▰▰▰▰▰▰▰▱ 99% · 199/200'],
    [1500, 2000, '▰▰▰▰▰▰▰▱▱▱ 75% · 1,500/2,000'],
  ])('%d of %d -> %s', (done, total, out) => {
    expect(progressBar(done, total)).toBe(out);
  });
});
