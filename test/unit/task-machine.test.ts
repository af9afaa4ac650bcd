/**
 * The release task state machine, exhaustively: every user action and every worker event against
 * every status (and, for user actions, every operation type). The expected tables are written out
 * here from the batch release manual, independently of the source's rule table.
 */
import { describe, expect, it } from 'vitest';
import { OPERATION_TYPES, TASK_STATUSES, type OperationType, type TaskStatus } from '../../src/domain/release-task.js';
import { systemTransition, userTransition, type SystemEvent, type UserAction } from '../../src/domain/task-machine.js';

const ID = 'rt-7k2f9q';

/** The manual's nine statuses, written out (not imported) so a new or renamed status fails here. */
const STATUSES: readonly TaskStatus[] = [
  'To release',
  'Releasing',
  'Released',
  'Release failed',
  'Rolling back',
  'Rolled back',
  'Rollback failed',
  'Suspending',
  'Suspended',
];
const OPERATIONS: readonly OperationType[] = ['Bulk Deploy', 'Bulk Upgrade', 'Bulk Clone'];
const ACTIONS: readonly UserAction[] = ['start', 'suspend', 'resume', 'retry', 'rollback', 'delete'];

/**
 * Allowed user transitions: action → (from status → target status). `DELETED` marks delete, which
 * removes the task (its target status is not used by anyone), so only "allowed" is asserted.
 * Rollback is further restricted to Bulk Upgrade tasks (see ROLLBACK_OPERATIONS).
 */
const DELETED = 'deleted' as const;
type Target = TaskStatus | typeof DELETED;
const USER_ALLOWED: Record<UserAction, Partial<Record<TaskStatus, Target>>> = {
  start: { 'To release': 'Releasing' },
  suspend: { Releasing: 'Suspending' },
  resume: { Suspended: 'Releasing' },
  retry: { 'Release failed': 'Releasing' },
  rollback: { Released: 'Rolling back', 'Release failed': 'Rolling back', 'Rollback failed': 'Rolling back' },
  // Never while work is in progress (Releasing, Suspending, Rolling back).
  delete: {
    'To release': DELETED,
    Released: DELETED,
    'Release failed': DELETED,
    'Rolled back': DELETED,
    'Rollback failed': DELETED,
    Suspended: DELETED,
  },
};
const ROLLBACK_OPERATIONS: readonly OperationType[] = ['Bulk Upgrade'];

/** The full expected table as rows, one per action × status × operation. */
interface UserCase {
  action: UserAction;
  status: TaskStatus;
  operation: OperationType;
  expected: Target | undefined;
}
const USER_CASES: UserCase[] = ACTIONS.flatMap((action) =>
  STATUSES.flatMap((status) =>
    OPERATIONS.map((operation) => {
      const allowedOp = action !== 'rollback' || ROLLBACK_OPERATIONS.includes(operation);
      return { action, status, operation, expected: allowedOp ? USER_ALLOWED[action][status] : undefined };
    }),
  ),
);

const task = (status: TaskStatus, operation: OperationType = 'Bulk Upgrade') => ({ id: ID, status, operation });
const refusal = (t: ReturnType<typeof userTransition>): string => {
  if (t.ok) throw new Error(`expected a refusal, got ok → ${t.to}`);
  return t.reason;
};
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('the domain vocabulary', () => {
  it('has exactly the manual’s nine statuses and three operation types', () => {
    expect([...TASK_STATUSES]).toEqual(STATUSES);
    expect([...OPERATION_TYPES].sort()).toEqual([...OPERATIONS].sort());
  });

  it('the expected tables are complete (sanity check on the tables themselves)', () => {
    expect(USER_CASES).toHaveLength(ACTIONS.length * STATUSES.length * OPERATIONS.length);
    // 1 start + 1 suspend + 1 resume + 1 retry + 6 delete, for each of 3 operations; 3 rollbacks for upgrade only.
    expect(USER_CASES.filter((c) => c.expected !== undefined)).toHaveLength(10 * 3 + 3);
  });
});

describe('userTransition: every action × status × operation', () => {
  const allowed = USER_CASES.filter((c) => c.expected !== undefined);
  const refused = USER_CASES.filter((c) => c.expected === undefined);

  it.each(allowed)('$action on a $operation task that is $status → $expected', ({ action, status, operation, expected }) => {
    const t = userTransition(task(status, operation), action);
    expect(t.ok).toBe(true);
    if (expected !== DELETED) expect(t).toEqual({ ok: true, to: expected });
  });

  it.each(refused)('$action on a $operation task that is $status is refused', ({ action, status, operation }) => {
    const reason = refusal(userTransition(task(status, operation), action));
    if (action === 'rollback' && !ROLLBACK_OPERATIONS.includes(operation)) {
      // The operation type is the reason, whatever the status.
      expect(reason).toBe(`${ID} is a ${operation} task; only Bulk Upgrade tasks can be rolled back`);
      return;
    }
    // Names the task and its current status, up front.
    expect(reason).toMatch(new RegExp(`^${escape(ID)} is ${escape(status)}[;,]`));
    if (action === 'rollback') {
      expect(reason).toContain('Released');
      expect(reason).toContain('Release failed');
      expect(reason).toContain('rolled back');
    } else {
      // Says in which statuses the action would be allowed.
      for (const from of Object.keys(USER_ALLOWED[action])) expect(reason).toContain(from);
    }
  });

  it('the outcome of non-rollback actions does not depend on the operation type', () => {
    for (const action of ACTIONS.filter((a) => a !== 'rollback')) {
      for (const status of STATUSES) {
        const [first, ...rest] = OPERATIONS.map((op) => userTransition(task(status, op), action));
        for (const r of rest) expect(r).toEqual(first);
      }
    }
  });
});

describe('userTransition: specific wording', () => {
  it('rollback of a Released Bulk Deploy task names the operation type', () => {
    expect(userTransition(task('Released', 'Bulk Deploy'), 'rollback')).toEqual({
      ok: false,
      reason: 'rt-7k2f9q is a Bulk Deploy task; only Bulk Upgrade tasks can be rolled back',
    });
  });

  it('rollback of a Released Bulk Clone task names the operation type', () => {
    expect(refusal(userTransition(task('Released', 'Bulk Clone'), 'rollback'))).toBe(
      'rt-7k2f9q is a Bulk Clone task; only Bulk Upgrade tasks can be rolled back',
    );
  });

  it('rollback of a To release upgrade says it must be Released or Release failed', () => {
    const reason = refusal(userTransition(task('To release'), 'rollback'));
    expect(reason).toContain('rt-7k2f9q is To release');
    expect(reason).toContain('Released or Release failed');
  });

  it.each(['Releasing', 'Suspending', 'Rolling back', 'Suspended'] as const)(
    'rollback of a %s upgrade says it must be Released or Release failed',
    (status) => {
      expect(refusal(userTransition(task(status), 'rollback'))).toBe(
        `rt-7k2f9q is ${status}; only Bulk Upgrade tasks that are Released or Release failed can be rolled back`,
      );
    },
  );

  it('start of a Released task explains nothing is left to release', () => {
    expect(refusal(userTransition(task('Released'), 'start'))).toBe(
      'rt-7k2f9q is Released; it can be started only when To release (nothing is left to release)',
    );
  });

  it('delete of a Releasing task says to suspend it or wait', () => {
    expect(refusal(userTransition(task('Releasing'), 'delete'))).toBe(
      'rt-7k2f9q is Releasing; it can be deleted only when To release, Released, Release failed, Rolled back, ' +
        'Rollback failed or Suspended (suspend it first, or wait for it to finish)',
    );
  });

  it('resume of a Release failed task suggests retry; retry of a Suspended task suggests resume', () => {
    expect(refusal(userTransition(task('Release failed'), 'resume'))).toBe(
      'rt-7k2f9q is Release failed; it can be resumed only when Suspended (retry it)',
    );
    expect(refusal(userTransition(task('Suspended'), 'retry'))).toBe(
      'rt-7k2f9q is Suspended; it can be retried only when Release failed (resume it)',
    );
  });

  it('suspend of a To release task says to start it first', () => {
    expect(refusal(userTransition(task('To release'), 'suspend'))).toBe(
      'rt-7k2f9q is To release; it can be suspended only when Releasing (start it first)',
    );
  });

  it('the reason uses the task’s own id', () => {
    expect(refusal(userTransition({ id: 'rt-000001', status: 'Releasing', operation: 'Bulk Deploy' }, 'start'))).toMatch(
      /^rt-000001 is Releasing;/,
    );
  });
});

/** Worker events, with the expected table: event → (from status → target status). */
const EVENTS: { name: string; event: SystemEvent; allowed: Partial<Record<TaskStatus, TaskStatus>>; notWord: string }[] = [
  { name: 'suspended', event: { type: 'suspended' }, allowed: { Suspending: 'Suspended' }, notWord: 'Suspending' },
  {
    name: 'release-finished ok',
    event: { type: 'release-finished', failed: false },
    // A suspend that lands after the last component started still ends the release.
    allowed: { Releasing: 'Released', Suspending: 'Released' },
    notWord: 'Releasing',
  },
  {
    name: 'release-finished failed',
    event: { type: 'release-finished', failed: true },
    allowed: { Releasing: 'Release failed', Suspending: 'Release failed' },
    notWord: 'Releasing',
  },
  {
    name: 'rollback-finished ok',
    event: { type: 'rollback-finished', failed: false },
    allowed: { 'Rolling back': 'Rolled back' },
    notWord: 'Rolling back',
  },
  {
    name: 'rollback-finished failed',
    event: { type: 'rollback-finished', failed: true },
    allowed: { 'Rolling back': 'Rollback failed' },
    notWord: 'Rolling back',
  },
];
const SYSTEM_CASES = EVENTS.flatMap(({ name, event, allowed, notWord }) =>
  STATUSES.map((status) => ({ name, event, status, expected: allowed[status], notWord })),
);

describe('systemTransition: every event × status', () => {
  it('covers 5 events × 9 statuses with 7 allowed transitions', () => {
    expect(SYSTEM_CASES).toHaveLength(45);
    expect(SYSTEM_CASES.filter((c) => c.expected)).toHaveLength(7);
  });

  it.each(SYSTEM_CASES.filter((c) => c.expected))('$name while $status → $expected', ({ event, status, expected }) => {
    expect(systemTransition({ id: ID, status }, event)).toEqual({ ok: true, to: expected });
  });

  it.each(SYSTEM_CASES.filter((c) => !c.expected))('$name while $status is refused', ({ event, status, notWord }) => {
    expect(systemTransition({ id: ID, status }, event)).toEqual({ ok: false, reason: `${ID} is ${status}, not ${notWord}` });
  });
});
