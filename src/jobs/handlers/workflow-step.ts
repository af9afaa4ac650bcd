/**
 * The settled fan-out's workflow listener: a task created by the Workflow Builder step "Start a
 * release task" (operations/workflow-step.ts) completes the step when a run first ends for good,
 * with outputs `task_id` and `final_status`. Suspended is not an end (it may be resumed); a later
 * run (a retry, a rollback) does not complete the step again.
 */
import { WORKFLOW_FINAL_STATUSES, type TaskStatus } from '../../domain/release-task.js';
import type { Notifier } from '../../ports/notifier.js';
import type { TaskStore } from '../../store/task-store.js';
import { Refusal } from '../../store/versioned-store.js';
import type { SettledListener } from './settled.js';

export function workflowStepListener(d: { tasks: TaskStore; notifier: Notifier }): SettledListener {
  return async (settled) => {
    if (settled.kind !== 'task') return;
    const { task } = settled;
    const status = settled.status as TaskStatus;
    if (!task.workflow || task.workflow.completed || !WORKFLOW_FINAL_STATUSES.includes(status)) return;
    const { executionId } = task.workflow;
    // Queued before it is marked: after a crash between the two the completion is queued again,
    // which its job ID (one per execution) makes a no-op, never not at all.
    await d.notifier.workflowStepDone(executionId, { outputs: { task_id: task.id, final_status: status } });
    await d.tasks.update(task.id, (t) =>
      t.workflow?.executionId === executionId && !t.workflow.completed ? { ...t, workflow: { executionId, completed: status } } : new Refusal('completed'),
    );
  };
}
