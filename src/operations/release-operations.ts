/**
 * `/release` commands and task card controls: create and the read-only views here; every action
 * on a task (start, suspend, …, approve, reject) goes through the shared pipeline with the task
 * kind's descriptor. Nothing here calls Slack: outcomes go back to the listener, messages to the
 * notifier port.
 */
import type { CreateRequest, ReleaseCommand } from '../commands/release-command.js';
import type { TaskAction } from '../domain/actions.js';
import { taskRef } from '../domain/entity.js';
import { newTaskId } from '../domain/ids.js';
import { planComponents } from '../domain/plan.js';
import type { ComponentState, ReleaseTask } from '../domain/release-task.js';
import type { Platform } from '../platform/port.js';
import { readComponents } from '../platform/read.js';
import type { RunQueue } from '../ports/run-queue.js';
import type { ComponentLocks } from '../store/locks.js';
import type { TaskStore } from '../store/task-store.js';
import type { Environments } from './environments.js';
import { taskKind, taskNotFound } from './kinds/task-kind.js';
import { say, show, type Actor, type Outcome } from './outcome.js';
import { OperationPipeline, type PipelineDeps } from './pipeline.js';

export interface ReleaseOperationsDeps extends PipelineDeps {
  tasks: TaskStore;
  locks: ComponentLocks;
  runs: RunQueue;
  platform: Platform;
  environments: Environments;
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
      case 'plan': {
        const planned = await this.plan(cmd);
        return 'refusal' in planned ? planned.refusal : show({ kind: 'plan', request: cmd, components: planned.components });
      }
      case 'action':
        return this.pipeline.act(cmd.taskId, cmd.action, actor, { ...(cmd.override ? { override: cmd.override } : {}), ...(cmd.force ? { force: true } : {}) });
      case 'approve':
        return this.pipeline.approve(cmd.taskId, actor);
      case 'reject':
        return this.pipeline.reject(cmd.taskId, actor, cmd.reason);
      case 'show': {
        const task = await this.d.tasks.get(cmd.taskId);
        if (!task) return taskNotFound(cmd.taskId);
        return show({ kind: 'task-detail', task, audit: await this.d.audit.recent({ target: task.id, limit: 10 }), ...(cmd.page ? { page: cmd.page } : {}) });
      }
      case 'list': {
        const tasks = (await this.d.tasks.heads()).filter((t) => (!cmd.status || t.status === cmd.status) && (!cmd.env || t.env === cmd.env));
        return show({ kind: 'task-list', tasks, filter: { ...(cmd.status ? { status: cmd.status } : {}), ...(cmd.env ? { env: cmd.env } : {}) } });
      }
      case 'components':
        return show({ kind: 'components', env: cmd.env, components: await this.d.platform.list(cmd.env) });
    }
  }

  /**
   * The environment check and the plan (read only): the components as the task will hold them,
   * or the refusal naming every reason the plan cannot succeed.
   */
  private async plan(req: CreateRequest): Promise<{ components: ComponentState[] } | { refusal: Outcome }> {
    const envs = req.sourceEnv ? [req.env, req.sourceEnv] : [req.env];
    const verdict = await this.d.environments.check(envs, req.newEnv === true, '`--new-env`');
    if (!verdict.ok) return { refusal: say(verdict.reason) };
    const names = req.components.map((c) => c.name);
    const [now, source] = await Promise.all([
      readComponents(this.d.platform, req.env, names),
      req.sourceEnv ? readComponents(this.d.platform, req.sourceEnv, names) : undefined,
    ]);
    const plan = planComponents(req, now, source);
    if (plan.ok) return { components: plan.components };
    const reasons = plan.reasons.map((r) => `• ${r}`).join('\n');
    return { refusal: say(`Cannot create ${req.name}: the plan cannot succeed.\n${reasons}\nNothing was created.`) };
  }

  private async create(cmd: Extract<ReleaseCommand, { kind: 'create' }>, actor: Actor): Promise<Outcome> {
    const refusal = await this.d.governance.operatorRefusal(actor.user);
    if (refusal) return say(refusal);
    const planned = await this.plan(cmd);
    if ('refusal' in planned) return planned.refusal;
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
      components: planned.components,
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
    const same = task.components.filter((c) => c.status === 'No change').length;
    return say(
      `Created release task *${task.name}* (\`${task.id}\`): ${task.operation} of ${task.components.length} component(s) ` +
        `to ${task.env}${same ? ` (${same} already at the target: no change)` : ''}. Click *Release* on the card, or \`/release start ${task.id}\`.`,
      true,
    );
  }
}
