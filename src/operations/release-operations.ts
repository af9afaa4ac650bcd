/**
 * `/release` commands and task card controls: create and the read-only views here; every action
 * on a task (start, suspend, …, approve, reject) goes through the shared pipeline with the task
 * kind's descriptor. Nothing here calls Slack: outcomes go back to the listener, messages to the
 * notifier port.
 */
import type { ReleaseCommand } from '../commands/release-command.js';
import type { TaskAction } from '../domain/actions.js';
import { taskRef } from '../domain/entity.js';
import { newTaskId } from '../domain/ids.js';
import type { ReleaseTask } from '../domain/release-task.js';
import type { Platform } from '../platform/port.js';
import type { RunQueue } from '../ports/run-queue.js';
import type { ComponentLocks } from '../store/locks.js';
import type { TaskStore } from '../store/versioned-store.js';
import { taskKind, taskNotFound } from './kinds/task-kind.js';
import { say, show, type Actor, type Outcome } from './outcome.js';
import { OperationPipeline, type PipelineDeps } from './pipeline.js';

export interface ReleaseOperationsDeps extends PipelineDeps {
  tasks: TaskStore;
  locks: ComponentLocks;
  runs: RunQueue;
  platform: Platform;
}

export class ReleaseOperations {
  readonly pipeline: OperationPipeline<ReleaseTask, TaskAction>;

  constructor(private readonly d: ReleaseOperationsDeps) {
    this.pipeline = new OperationPipeline(taskKind(d), d);
  }

  async handle(cmd: ReleaseCommand, actor: Actor): Promise<Outcome> {
    switch (cmd.kind) {
      case 'help':
      case 'audit':
        throw new Error(`${cmd.kind} is answered by the listener`);
      case 'create':
        return this.create(cmd, actor);
      case 'action':
        return this.pipeline.act(cmd.taskId, cmd.action, actor, cmd.override ? { override: cmd.override } : {});
      case 'approve':
        return this.pipeline.approve(cmd.taskId, actor);
      case 'reject':
        return this.pipeline.reject(cmd.taskId, actor, cmd.reason);
      case 'show': {
        const task = await this.d.tasks.get(cmd.taskId);
        if (!task) return taskNotFound(cmd.taskId);
        return show({ kind: 'task-detail', task, audit: await this.d.audit.recent({ target: task.id, limit: 10 }) });
      }
      case 'list': {
        const tasks = (await this.d.tasks.list()).filter((t) => (!cmd.status || t.status === cmd.status) && (!cmd.env || t.env === cmd.env));
        return show({ kind: 'task-list', tasks, filter: { ...(cmd.status ? { status: cmd.status } : {}), ...(cmd.env ? { env: cmd.env } : {}) } });
      }
      case 'components':
        return show({ kind: 'components', env: cmd.env, components: await this.d.platform.list(cmd.env) });
    }
  }

  private async create(cmd: Extract<ReleaseCommand, { kind: 'create' }>, actor: Actor): Promise<Outcome> {
    const refusal = await this.d.governance.operatorRefusal(actor.user);
    if (refusal) return say(refusal);
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
      stateVersion: 1,
      // The policy file may send an environment's cards to a channel of its own.
      channel: this.d.governance.policy.channel(cmd.env) ?? actor.channel,
    };
    while (!(await this.d.tasks.create(task))) task.id = newTaskId();
    await this.d.audit.record({ at: task.createdAt, actor: actor.user, action: 'create', target: task.id, env: task.env, to: task.status });
    await this.d.notifier.cardCreated(taskRef(task.id));
    this.d.metrics.operation('create', 'accepted');
    return say(
      `Created release task *${task.name}* (\`${task.id}\`): ${task.operation} of ${task.components.length} component(s) ` +
        `to ${task.env}. Click *Release* on the card, or \`/release start ${task.id}\`.`,
      true,
    );
  }
}
