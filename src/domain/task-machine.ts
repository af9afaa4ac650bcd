/**
 * The release task state machine. Pure: given a task and an event, the next status or the reason
 * it is refused, in words fit to show the user.
 */
import type { TaskAction } from './actions.js';
import type { ReleaseTask, TaskStatus } from './release-task.js';

/** What users ask for (commands and buttons): the task rows of the action table. */
export type UserAction = TaskAction;

/** What workers report. */
export type SystemEvent =
  | { type: 'suspended' }
  | { type: 'release-finished'; failed: boolean }
  | { type: 'rollback-finished'; failed: boolean };

export type Transition = { ok: true; to: TaskStatus } | { ok: false; reason: string };

/** `to: null`: the action ends the task rather than moving it (delete). */
const USER_RULES: Record<UserAction, { from: readonly TaskStatus[]; to: TaskStatus | null; verb: string }> = {
  start: { from: ['To release'], to: 'Releasing', verb: 'started' },
  suspend: { from: ['Releasing'], to: 'Suspending', verb: 'suspended' },
  resume: { from: ['Suspended'], to: 'Releasing', verb: 'resumed' },
  retry: { from: ['Release failed'], to: 'Releasing', verb: 'retried' },
  rollback: { from: ['Released', 'Release failed', 'Rollback failed'], to: 'Rolling back', verb: 'rolled back' },
  // Deleting never interrupts work: active tasks must finish or be suspended first.
  delete: {
    from: ['To release', 'Released', 'Release failed', 'Rolled back', 'Rollback failed', 'Suspended'],
    to: null,
    verb: 'deleted',
  },
};

const HINTS: Partial<Record<TaskStatus, string>> = {
  'To release': 'start it first',
  Releasing: 'suspend it first, or wait for it to finish',
  Suspending: 'wait until it is Suspended',
  'Rolling back': 'wait for the rollback to finish',
  Suspended: 'resume it',
  Released: 'nothing is left to release',
  'Release failed': 'retry it',
};

function list(statuses: readonly TaskStatus[]): string {
  return statuses.length === 1 ? statuses[0]! : `${statuses.slice(0, -1).join(', ')} or ${statuses.at(-1)}`;
}

/** May this user action apply to the task now? */
export function userTransition(task: Pick<ReleaseTask, 'id' | 'status' | 'operation'>, action: UserAction): Transition {
  const rule = USER_RULES[action];
  if (action === 'rollback' && task.operation !== 'Bulk Upgrade') {
    return { ok: false, reason: `${task.id} is a ${task.operation} task; only Bulk Upgrade tasks can be rolled back` };
  }
  if (rule.from.includes(task.status)) return { ok: true, to: rule.to ?? task.status };
  if (action === 'rollback' && task.status !== 'Rolled back') {
    return {
      ok: false,
      reason: `${task.id} is ${task.status}; only Bulk Upgrade tasks that are Released or Release failed can be rolled back`,
    };
  }
  const hint = HINTS[task.status];
  return {
    ok: false,
    reason:
      `${task.id} is ${task.status}; it can be ${rule.verb} only when ${list(rule.from)}` + (hint ? ` (${hint})` : ''),
  };
}

/** Where a worker-reported event takes the task. */
export function systemTransition(task: Pick<ReleaseTask, 'id' | 'status'>, event: SystemEvent): Transition {
  switch (event.type) {
    case 'suspended':
      return task.status === 'Suspending'
        ? { ok: true, to: 'Suspended' }
        : { ok: false, reason: `${task.id} is ${task.status}, not Suspending` };
    case 'release-finished':
      // A suspend that arrives after the last component started still ends the release.
      return task.status === 'Releasing' || task.status === 'Suspending'
        ? { ok: true, to: event.failed ? 'Release failed' : 'Released' }
        : { ok: false, reason: `${task.id} is ${task.status}, not Releasing` };
    case 'rollback-finished':
      return task.status === 'Rolling back'
        ? { ok: true, to: event.failed ? 'Rollback failed' : 'Rolled back' }
        : { ok: false, reason: `${task.id} is ${task.status}, not Rolling back` };
  }
}
