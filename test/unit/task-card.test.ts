import { describe, expect, it } from 'vitest';
import type { ApprovalRequest } from '../../src/domain/approval.js';
import { TASK_STATUSES, type ComponentState, type ComponentStatus, type OperationType, type ReleaseTask, type TaskStatus } from '../../src/domain/release-task.js';
import { parseButtonValue } from '../../src/commands/button-value.js';
import { ACTION_IDS, CANCEL_SCHEDULE_ACTION_ID, shortDuration, taskCard } from '../../src/slack/blocks/task-card.js';
import { buttons, contextTexts, sectionTexts, texts } from '../support/blocks.js';
import { TaskFactory, component } from '../support/factories.js';

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
    expect(all).toContain('took 2m 13s');
    expect(all).toContain('Released 1/2 · Failed 1');
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

  it('shows running time for an active task', () => {
    const task = TaskFactory.create({ status: 'Releasing', startedAt: '2025-03-10T11:15:00Z' });
    expect(texts(taskCard(task, NOW).blocks).join('\n')).toContain('running for 45m');
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

  it('after a rollback: Released by the creator, Started by the starter, Rolled back by the roller-back', () => {
    const line = whoLine({ status: 'Rolled back', releasedAt: RELEASED_AT, startedBy: 'U222', rolledBackBy: 'U333' });
    expect(line).toMatch(
      /^Created <!date\^\d+\^[^>]+> by <@U111> · Released by <@U111> <!date\^1741604400\^[^>]+> · Started by <@U222> · Rolled back by <@U333>$/,
    );
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
    [0, '0s'],
    [-5, '0s'],
    [999, '0s'],
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

describe('taskCard at 2,000 components', () => {
  const many = (status: (i: number) => ComponentStatus, extra: (i: number) => Partial<ComponentState> = () => ({})) =>
    Array.from({ length: 2000 }, (_, i) => component(`svc-${String(i).padStart(4, '0')}-with-a-longer-name`, { status: status(i), ...extra(i) }));

  it('while releasing: counts, a progress bar, every component in flight and the failures, within limits', () => {
    const comps = many(
      (i) => (i < 1000 ? 'Released' : i < 1032 ? 'Releasing' : i < 1050 ? 'Release failed' : 'To release'),
      (i) => (i >= 1000 && i < 1032 ? { startedAt: '2025-03-10T11:59:00Z' } : i >= 1032 && i < 1050 ? { error: 'x'.repeat(400), endedAt: '2025-03-10T11:59:30Z' } : {}),
    );
    const { blocks } = taskCard(TaskFactory.create({ status: 'Releasing', run: 1, bestEffort: true, components: comps }), NOW);
    expect(blocks.length).toBeLessThanOrEqual(50);
    for (const t of texts(blocks)) expect(t.length).toBeLessThan(3000);
    const all = texts(blocks).join('\n');
    expect(all).toContain('*2,000 components* ▓▓▓▓▓▓▓▓▓▓░░░░░░░░░░ 50%'); // 1,018 of 2,000 done
    expect(all).toContain('*In flight (32)*: `svc-1000-with-a-longer-name`');
    expect(all).toContain('`svc-1031-with-a-longer-name`');
    expect(all).toContain('*Failed*');
    expect(all).toContain('`svc-1032-with-a-longer-name`');
  });

  it('before the run: the first names and where to see them all', () => {
    const { blocks } = taskCard(TaskFactory.create({ status: 'To release', run: 0, components: many(() => 'To release') }), NOW);
    const all = texts(blocks).join('\n');
    expect(all).toContain('`svc-0000-with-a-longer-name`, `svc-0001-with-a-longer-name`');
    expect(all).toContain('and 1,968 more — `/release show rt-7k2f9q` lists them all');
    expect(all).not.toContain('▓');
  });
});
