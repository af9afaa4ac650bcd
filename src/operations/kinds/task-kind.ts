/**
 * Release tasks, described for the pipeline: the task state machine, a new run for every action
 * but suspend, component locks held while the run starts, delete ends the task.
 */
import { taskRef } from '../../domain/entity.js';
import type { TaskAction } from '../../domain/actions.js';
import { componentKey, isActive, type ReleaseTask } from '../../domain/release-task.js';
import { userTransition } from '../../domain/task-machine.js';
import { pendingComponents, prepareRun } from '../../domain/task-run.js';
import type { RunQueue } from '../../ports/run-queue.js';
import type { ComponentLocks } from '../../store/locks.js';
import type { TaskStore } from '../../store/versioned-store.js';
import type { KindDescriptor } from '../kind.js';
import { say, type Outcome } from '../outcome.js';

export function taskNotFound(taskId: string): Outcome {
  return say(`No release task ${taskId}. \`/release list\` shows the tasks there are.`);
}

export function taskKind(d: { tasks: TaskStore; locks: ComponentLocks; runs: RunQueue }): KindDescriptor<ReleaseTask, TaskAction> {
  return {
    kind: 'task',
    store: d.tasks,
    ref: taskRef,
    metric: (op) => op,
    label: (t) => t.id,
    // stateVersion, not version: component progress must not make the buttons stale.
    cardVersion: (t) => t.stateVersion,
    state: (t) => `${t.id} is ${t.status}`,
    notFound: taskNotFound,
    transition: userTransition,
    prepare: (t, action, args, now) => (action === 'suspend' ? t : prepareRun(t, action, args.user, now)),
    enqueue: async (t, action) => {
      if (action !== 'suspend') await d.runs.taskRun(t);
    },
    hold: async (task, action, commit) => {
      if (action === 'suspend') return commit();
      const components = task.components.map((c) => componentKey(task.env, c.name));
      const lock = await d.locks.acquire(task.id, components);
      if (!lock.ok) {
        const holder = await d.tasks.get(lock.heldBy);
        return say(
          `Cannot ${action} ${task.id}: component \`${lock.component}\` belongs to ${lock.heldBy}` +
            (holder ? ` (${holder.name}, ${holder.status})` : '') +
            `. Wait for it to finish, or suspend it.`,
        );
      }
      // Keep the locks only if the task runs: not when the start lost a race (a double click) or threw.
      const letGo = async () => {
        const now = await d.tasks.get(task.id);
        if (!now || !isActive(now.status)) await d.locks.release(task.id, components);
      };
      let outcome: Outcome;
      try {
        outcome = await commit();
      } catch (err) {
        // The original error is the one to report; the reconciler frees what this cannot.
        await letGo().catch(() => undefined);
        throw err;
      }
      if (!outcome.changed) await letGo();
      return outcome;
    },
    removal: {
      by: (action) => action === 'delete',
      text: (t, actor) => ({
        card: `~Release task ${t.name} (\`${t.id}\`)~ was deleted by <@${actor.user}>.`,
        thread: `Deleted by <@${actor.user}>`,
        reply: `Deleted ${t.id} (${t.name}).`,
      }),
    },
    startedText,
  };
}

function startedText(action: TaskAction, t: ReleaseTask, user: string): string {
  const n = pendingComponents(t).length;
  switch (action) {
    case 'start':
      return `Releasing started by <@${user}>: ${n} component(s), ${t.parallel} at a time`;
    case 'resume':
      return `Releasing resumed by <@${user}>: ${n} component(s) left`;
    case 'retry':
      return `Retry started by <@${user}>: ${n} failed or not released component(s)`;
    case 'rollback':
      return `Rolling back started by <@${user}>: ${n} component(s) return to their previous versions`;
    case 'suspend':
      return `Suspending requested by <@${user}>: components in flight finish, no new one starts`;
    case 'delete':
      return `Deleted by <@${user}>`;
  }
}
