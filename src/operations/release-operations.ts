/**
 * Release task operations: what a `/release` command or a card button asks for, checked against
 * the state machine and the component locks, written to the store, queued for a worker and
 * recorded in the audit stream. Commands and buttons both come here, so they behave the same.
 * Nothing here calls Slack; replies go back to the listener, messages to the notifier.
 */
import type { ReleaseCommand, TaskAction } from '../commands/release-command.js';
import { newTaskId } from '../domain/ids.js';
import { componentKey, isActive, type ReleaseTask } from '../domain/release-task.js';
import { userTransition } from '../domain/task-machine.js';
import { pendingComponents, prepareRun } from '../domain/task-run.js';
import type { Metrics } from '../http/metrics.js';
import type { JobQueues } from '../jobs/queues.js';
import type { Platform } from '../platform/port.js';
import { componentsView, taskDetail, taskList } from '../slack/blocks/task-views.js';
import { taskRef, type Notifier } from '../slack/notifier.js';
import type { AuditLog } from '../store/audit-log.js';
import type { ComponentLocks } from '../store/locks.js';
import { Refusal, type TaskStore } from '../store/versioned-store.js';
import { RUN_ATTEMPTS, say, type Actor, type Reply } from './reply.js';

export interface ReleaseOperationsDeps {
  tasks: TaskStore;
  locks: ComponentLocks;
  audit: AuditLog;
  queues: JobQueues;
  notifier: Notifier;
  platform: Platform;
  metrics: Metrics;
  clock: () => Date;
}


export class ReleaseOperations {
  constructor(private readonly d: ReleaseOperationsDeps) {}

  async handle(cmd: ReleaseCommand, actor: Actor): Promise<Reply> {
    switch (cmd.kind) {
      case 'help':
        throw new Error('help is answered by the listener');
      case 'create':
        return this.create(cmd, actor);
      case 'action':
        return this.act(cmd.action, cmd.taskId, actor);
      case 'show': {
        const task = await this.d.tasks.get(cmd.taskId);
        if (!task) return notFound(cmd.taskId);
        const audit = await this.d.audit.recent({ target: task.id, limit: 10 });
        return { ...taskDetail(task, audit, this.d.clock()), changed: false };
      }
      case 'list': {
        const tasks = (await this.d.tasks.list()).filter(
          (t) => (!cmd.status || t.status === cmd.status) && (!cmd.env || t.env === cmd.env),
        );
        return { ...taskList(tasks, this.d.clock(), { status: cmd.status, env: cmd.env }), changed: false };
      }
      case 'components':
        return { ...componentsView(cmd.env, await this.d.platform.list(cmd.env), this.d.clock()), changed: false };
    }
  }

  private async create(cmd: Extract<ReleaseCommand, { kind: 'create' }>, actor: Actor): Promise<Reply> {
    const now = this.d.clock();
    const task: ReleaseTask = {
      id: newTaskId(),
      name: cmd.name,
      status: 'To release',
      operation: cmd.operation,
      bestEffort: cmd.bestEffort,
      parallel: cmd.parallel,
      ...(cmd.description ? { description: cmd.description } : {}),
      env: cmd.env,
      ...(cmd.sourceEnv ? { sourceEnv: cmd.sourceEnv } : {}),
      components: cmd.components.map((c) => ({ ...c, status: 'To release', history: [] })),
      createdAt: now.toISOString(),
      createdBy: actor.user,
      run: 0,
      version: 1,
      channel: actor.channel,
    };
    while (!(await this.d.tasks.create(task))) task.id = newTaskId();
    await this.d.audit.record({ at: task.createdAt, actor: actor.user, action: 'create', target: task.id, env: task.env, to: task.status });
    await this.d.notifier.cardCreated(taskRef(task.id));
    this.d.metrics.operation('create', 'To release');
    return say(
      `Created release task *${task.name}* (\`${task.id}\`): ${task.operation} of ${task.components.length} component(s) ` +
        `to ${task.env}. Click *Release* on the card, or \`/release start ${task.id}\`.`,
      true,
    );
  }

  private async act(action: TaskAction, taskId: string, actor: Actor): Promise<Reply> {
    const reply = await this.apply(action, taskId, actor);
    this.d.metrics.operation(action, reply.changed ? 'accepted' : 'refused');
    return reply;
  }

  private async apply(action: TaskAction, taskId: string, actor: Actor): Promise<Reply> {
    const task = await this.d.tasks.get(taskId);
    if (!task) return notFound(taskId);
    const check = userTransition(task, action);
    if (!check.ok) return this.refuse(task, check.reason, actor);
    if (action === 'delete') return this.remove(task, actor);
    if (action === 'suspend') return this.transition(task, action, actor, (t) => t);

    const components = task.components.map((c) => componentKey(task.env, c.name));
    const lock = await this.d.locks.acquire(task.id, components);
    if (!lock.ok) {
      const holder = await this.d.tasks.get(lock.heldBy);
      return say(
        `Cannot ${action} ${task.id}: component \`${lock.component}\` belongs to ${lock.heldBy}` +
          (holder ? ` (${holder.name}, ${holder.status})` : '') +
          `. Wait for it to finish, or suspend it.`,
      );
    }
    const reply = await this.transition(task, action, actor, (t) => prepareRun(t, action, actor.user, this.d.clock()));
    if (!reply.changed) {
      // Lost a race (double click): keep the locks only if the task is running after all.
      const now = await this.d.tasks.get(task.id);
      if (!now || !isActive(now.status)) await this.d.locks.release(task.id, components);
    }
    return reply;
  }

  /** Compare-and-set the status change, then queue, audit and notify. */
  private async transition(
    task: ReleaseTask,
    action: TaskAction,
    actor: Actor,
    prepare: (t: ReleaseTask) => ReleaseTask,
  ): Promise<Reply> {
    const r = await this.d.tasks.update(task.id, (t) => {
      const tr = userTransition(t, action);
      return tr.ok ? prepare({ ...t, status: tr.to }) : new Refusal(tr.reason);
    });
    if (!r.ok) return r.task ? this.refuse(r.task, r.reason, actor) : say(r.reason);
    const t = r.task;
    if (action !== 'suspend') {
      await this.d.queues.enqueue('task.run', { taskId: t.id, run: t.run }, { ...RUN_ATTEMPTS, jobId: `run-${t.id}-${t.run}` });
    }
    await this.d.audit.record({ at: this.d.clock().toISOString(), actor: actor.user, action, target: t.id, env: t.env, from: r.before.status, to: t.status });
    await this.d.notifier.cardChanged(taskRef(t.id));
    await this.d.notifier.thread(taskRef(t.id), startedText(action, t, actor.user));
    return say(`${t.id} is now ${t.status}.`, true);
  }

  private async remove(task: ReleaseTask, actor: Actor): Promise<Reply> {
    // Delete at the version we checked, so a start racing the delete wins or loses cleanly.
    for (let current = task; ; ) {
      const check = userTransition(current, 'delete');
      if (!check.ok) return this.refuse(current, check.reason, actor);
      if (await this.d.tasks.deleteAt(current.id, current.version)) break;
      const again = await this.d.tasks.get(task.id);
      if (!again) return notFound(task.id);
      current = again;
    }
    await this.d.audit.record({ at: this.d.clock().toISOString(), actor: actor.user, action: 'delete', target: task.id, env: task.env, from: task.status });
    await this.d.notifier.cardClosed(
      taskRef(task.id),
      task.channel,
      `~Release task ${task.name} (\`${task.id}\`)~ was deleted by <@${actor.user}>.`,
      `Deleted by <@${actor.user}>`,
    );
    return say(`Deleted ${task.id} (${task.name}).`, true);
  }

  /** A refused click may come from an outdated card: refresh it so it shows what is true now. */
  private async refuse(task: ReleaseTask, reason: string, actor: Actor): Promise<Reply> {
    if (actor.cardVersion !== undefined && actor.cardVersion !== task.version) {
      await this.d.notifier.cardChanged(taskRef(task.id));
      return say(`That card was out of date: ${reason}. The card has been refreshed.`);
    }
    return say(reason);
  }
}

function notFound(taskId: string): Reply {
  return say(`No release task ${taskId}. \`/release list\` shows the tasks there are.`);
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
