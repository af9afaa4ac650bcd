/**
 * Release tasks, described for the pipeline: the task state machine, a new run for every action
 * but suspend, component locks held while the run starts, delete ends the task.
 */
import { taskRef } from '../../domain/entity.js';
import type { TaskAction } from '../../domain/actions.js';
import { componentKey, isActive, type ReleaseTask, type TaskHead } from '../../domain/release-task.js';
import { userTransition } from '../../domain/task-machine.js';
import { rollbackConflicts, type RollbackConflict } from '../../domain/plan.js';
import { pendingComponents, prepareRun } from '../../domain/task-run.js';
import type { ReleasePlatform } from '../../platform/port.js';
import { readComponents } from '../../platform/read.js';
import type { RunQueue } from '../../ports/run-queue.js';
import type { ComponentLocks, LockResult } from '../../store/locks.js';
import type { TaskStore } from '../../store/task-store.js';
import { Refusal } from '../../store/versioned-store.js';
import { mention, plural, slackDate } from '../../text.js';
import type { ActionArgs, GuardFinding, KindDescriptor } from '../kind.js';
import { say, type Outcome } from '../outcome.js';

export function taskNotFound(taskId: string): Outcome {
  return say(`No release task ${taskId}. \`/release list\` shows the tasks there are.`);
}

export interface TaskKindDeps {
  tasks: TaskStore;
  locks: ComponentLocks;
  runs: RunQueue;
  platform: Pick<ReleasePlatform, 'get'>;
}

export function taskKind(d: TaskKindDeps): KindDescriptor<ReleaseTask, TaskAction> {
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
    prepare: (t, action, args, now) => {
      if (action === 'suspend') return t;
      if (action === 'rollback' && !t.components.some((c) => c.previousImage)) {
        return new Refusal(`${t.id} changed nothing (every component was No change or failed first): there is nothing to roll back.`);
      }
      // A scheduled start runs only while its schedule stands (not after a cancel or a new time).
      if (args.scheduled && t.schedule?.jobId !== args.scheduled) return new Refusal(`The scheduled start of ${t.id} was cancelled or changed meanwhile.`);
      // A start, scheduled or by hand, is the one the schedule was waiting for: it goes in the same write.
      const { rollbackForced: _was, schedule: _started, ...next } = prepareRun(t, action, args.user, now);
      const kept = action === 'start' || !t.schedule ? {} : { schedule: t.schedule };
      // The worker checks each component again before it rolls it back, unless this was forced.
      return action === 'rollback' && args.force ? { ...next, ...kept, rollbackForced: true } : { ...next, ...kept };
    },
    guard: (t, action) => (action === 'rollback' ? rollbackGuard(d, t) : Promise.resolve(undefined)),
    enqueue: async (t, action) => {
      if (action !== 'suspend') await d.runs.taskRun(t);
    },
    hold: async (task, action, commit) => {
      if (action === 'suspend') return commit();
      const components = task.components.map((c) => componentKey(task.env, c.name));
      const lock = await acquireLocks(d, task.id, components);
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
        card: `~Release task ${t.name} (\`${t.id}\`)~ was deleted by ${mention(actor.user)}.`,
        thread: `Deleted by ${mention(actor.user)}`,
        reply: `Deleted ${t.id} (${t.name}).`,
      }),
    },
    startedText,
  };
}

/**
 * A run that ends writes its status first and lets its locks go a moment later: a start in that
 * moment (someone who saw Released and clicked at once) waits briefly for them instead of being
 * refused. A holder that is not running may also be a start that took its locks and has not yet
 * written Releasing, so the wait is short and never takes a lock over.
 */
async function acquireLocks(d: TaskKindDeps, taskId: string, components: string[], waitMs = 1_000): Promise<LockResult> {
  const until = Date.now() + waitMs;
  for (;;) {
    const lock = await d.locks.acquire(taskId, components);
    if (lock.ok || Date.now() >= until) return lock;
    const holder = await d.tasks.get(lock.heldBy);
    if (holder && isActive(holder.status)) return lock;
    await new Promise((r) => setTimeout(r, 50));
  }
}

function startedText(action: TaskAction, t: ReleaseTask, user: string, change?: { before: ReleaseTask; args: ActionArgs }): string {
  const n = pendingComponents(t).length;
  const was = change?.before.schedule;
  switch (action) {
    case 'start':
      if (was && change.args.scheduled === was.jobId) {
        return `Releasing started by ${mention(user)} as scheduled for ${slackDate(was.at)}: ${plural(n, 'component')}, ${t.parallel} at a time`;
      }
      return `Releasing started by ${mention(user)}: ${plural(n, 'component')}, ${t.parallel} at a time` +
        (was ? `. This replaces the start scheduled for ${slackDate(was.at)} by ${mention(was.by)}` : '');
    case 'resume':
      return `Releasing resumed by ${mention(user)}: ${plural(n, 'component')} left`;
    case 'retry':
      return `Retry started by ${mention(user)}: ${plural(n, 'failed or not released component')}`;
    case 'rollback':
      return `Rolling back started by ${mention(user)}: ${n === 1 ? '1 component returns to its previous version' : `${plural(n, 'component')} return to their previous versions`}`;
    case 'suspend':
      return `Suspending requested by ${mention(user)}: components in flight finish, no new one starts`;
    case 'delete':
      return `Deleted by ${mention(user)}`;
  }
}

/**
 * A rollback puts each component's previous image back. If a component no longer runs the image
 * this task put there, that would silently undo a newer release: refuse, naming who put what there.
 */
async function rollbackGuard(d: TaskKindDeps, task: ReleaseTask): Promise<GuardFinding | undefined> {
  const names = task.components.filter((c) => c.previousImage).map((c) => c.name);
  const conflicts = rollbackConflicts(task, await readComponents(d.platform, task.env, names));
  if (conflicts.length === 0) return undefined;
  const newer = await newerTasks(d.tasks, task, conflicts);
  const phrase = (c: RollbackConflict) => {
    const by = newer.get(c.name);
    return `\`${c.name}\` runs ${c.runs ?? 'nothing'}${by ? ` (put there by ${by.id}, ${by.name})` : ' (changed outside this task)'}, not ${c.put}`;
  };
  const lines = conflicts.map(phrase);
  const first = [...new Set([...newer.values()].map((t) => `\`/release rollback ${t.id}\``))];
  return {
    refusal:
      `Cannot roll back ${task.id}: ${plural(conflicts.length, 'component')} changed since it released them, and a rollback would undo that:\n` +
      lines.map((l) => `• ${l}`).join('\n') +
      `\nNothing was changed. ${first.length ? `Roll back the newer task first (${first.join(', ')}), or` : 'To'} put the previous images back anyway: ` +
      `\`/release rollback ${task.id} --force\`.`,
    overrides: lines.join('; '),
  };
}

/** For each conflicting component, the other task in the environment that last released what runs now. */
async function newerTasks(tasks: TaskStore, task: ReleaseTask, conflicts: RollbackConflict[]): Promise<Map<string, ReleaseTask>> {
  const out = new Map<string, ReleaseTask>();
  const lastReleased = (t: TaskHead) => t.releasedAt ?? t.endedAt ?? t.createdAt;
  // Heads first (small), then the components of the environment's tasks only, newest release first.
  const candidates = (await tasks.heads())
    .filter((t) => t.id !== task.id && t.env === task.env)
    .sort((a, b) => lastReleased(b).localeCompare(lastReleased(a)));
  let open = conflicts;
  for (const head of candidates) {
    if (open.length === 0) break;
    const t = await tasks.get(head.id);
    if (!t) continue;
    const put = (c: RollbackConflict) => t.components.some((x) => x.name === c.name && x.status === 'Released' && (x.image ?? x.plan?.target) === c.runs);
    for (const c of open.filter(put)) out.set(c.name, t);
    open = open.filter((c) => !out.has(c.name));
  }
  return out;
}
