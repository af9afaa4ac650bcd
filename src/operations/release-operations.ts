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
import { runJobId, type JobQueues } from '../jobs/queues.js';
import type { Platform } from '../platform/port.js';
import { componentsView, taskDetail, taskList } from '../slack/blocks/task-views.js';
import { taskRef, type Notifier } from '../slack/notifier.js';
import type { AuditLog } from '../store/audit-log.js';
import type { ComponentLocks } from '../store/locks.js';
import { Refusal, type TaskStore } from '../store/versioned-store.js';
import type { ApprovalRequest } from '../domain/approval.js';
import { ApprovalFlow } from './approvals.js';
import type { FreezeOverride, Governance } from './governance.js';
import { esc } from '../slack/blocks/format.js';
import { RUN_ATTEMPTS, say, type Actor, type Reply } from './reply.js';

export interface ReleaseOperationsDeps {
  tasks: TaskStore;
  locks: ComponentLocks;
  audit: AuditLog;
  queues: JobQueues;
  notifier: Notifier;
  platform: Platform;
  metrics: Metrics;
  governance: Governance;
  clock: () => Date;
}

/** What runs a task action, once allowed: the requester, and who approved it if anyone did. */
interface Execution {
  requester: Actor;
  approval?: ApprovalRequest;
  override?: FreezeOverride;
}

export class ReleaseOperations {
  private readonly approvals: ApprovalFlow<ReleaseTask>;

  constructor(private readonly d: ReleaseOperationsDeps) {
    this.approvals = new ApprovalFlow({
      kind: 'task',
      store: d.tasks,
      governance: d.governance,
      audit: d.audit,
      notifier: d.notifier,
      clock: d.clock,
      ref: taskRef,
      cardVersion: (t) => t.stateVersion,
      state: (t) => `${t.id} is ${t.status}`,
      describe: (req) => ACTION_WORDS[req.action as TaskAction] ?? req.action,
      notFound,
    });
  }

  /** Why `actor` may not reject the approval request on `id` now, if so. */
  rejectRefusal(id: string, actor: Actor): Promise<Reply | undefined> {
    return this.approvals.rejectRefusal(id, actor);
  }

  async handle(cmd: ReleaseCommand, actor: Actor): Promise<Reply> {
    switch (cmd.kind) {
      case 'help':
        throw new Error('help is answered by the listener');
      case 'create':
        return this.create(cmd, actor);
      case 'action':
        return this.act(cmd.action, cmd.taskId, actor, cmd.override);
      case 'approve': {
        const reply = await this.approvals.approve(cmd.taskId, actor, (t, req, approvers) => this.runApproved(t, req, approvers, actor.channel));
        this.d.metrics.operation('approve', reply.changed ? 'accepted' : 'refused');
        return reply;
      }
      case 'reject': {
        const reply = await this.approvals.reject(cmd.taskId, actor, cmd.reason);
        this.d.metrics.operation('reject', reply.changed ? 'accepted' : 'refused');
        return reply;
      }
      case 'audit':
        throw new Error('audit is answered by AuditQueries');
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
    this.d.metrics.operation('create', 'To release');
    return say(
      `Created release task *${task.name}* (\`${task.id}\`): ${task.operation} of ${task.components.length} component(s) ` +
        `to ${task.env}. Click *Release* on the card, or \`/release start ${task.id}\`.`,
      true,
    );
  }

  private async act(action: TaskAction, taskId: string, actor: Actor, override?: string): Promise<Reply> {
    const reply = await this.gate(action, taskId, actor, override);
    this.d.metrics.operation(action, reply.changed ? 'accepted' : 'refused');
    return reply;
  }

  /** Operator, stale card, state machine, freeze window, approval: then execute. */
  private async gate(action: TaskAction, taskId: string, actor: Actor, override?: string): Promise<Reply> {
    const task = await this.d.tasks.get(taskId);
    if (!task) return notFound(taskId);
    const refusal = await this.d.governance.operatorRefusal(actor.user);
    if (refusal) return say(refusal);
    const stale = await this.approvals.staleRefusal(task, actor);
    if (stale) return stale;
    const check = userTransition(task, action);
    if (!check.ok) return say(check.reason);
    const freeze = await this.d.governance.freeze('task', action, task.env, actor.user, override, this.d.clock());
    if (!freeze.ok) return say(freeze.reason);
    const needed = this.d.governance.policy.approvalsNeeded('task', action, task.env);
    if (needed > 0) {
      const again = await this.approvals.retryApproved(task, action, (t, req, approvers) => this.runApproved(t, req, approvers, actor.channel));
      return again ?? this.approvals.request(task, actor, { action, needed, ...(freeze.override ? { override: freeze.override } : {}) });
    }
    return this.execute(task, action, { requester: actor, ...(freeze.override ? { override: freeze.override } : {}) });
  }

  private runApproved(task: ReleaseTask, req: ApprovalRequest, approvers: string[], channel: string): Promise<Reply> {
    const x: Execution = { requester: { user: req.requestedBy, channel }, approval: req, ...(req.override ? { override: req.override } : {}) };
    return this.execute(task, req.action as TaskAction, x, approvers);
  }

  /** Carry the action out: locks, the status change, the run. */
  private async execute(task: ReleaseTask, action: TaskAction, x: Execution, approvers: string[] = []): Promise<Reply> {
    if (action === 'delete') return this.remove(task, x.requester);
    if (action === 'suspend') return this.transition(task, action, x, approvers, (t) => t);

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
    let reply: Reply;
    try {
      reply = await this.transition(task, action, x, approvers, (t) => prepareRun(t, action, x.requester.user, this.d.clock()));
    } catch (err) {
      // Never leave locks held by a task that did not start.
      const now = await this.d.tasks.get(task.id).catch(() => undefined);
      if (!now || !isActive(now.status)) await this.d.locks.release(task.id, components).catch(() => undefined);
      throw err;
    }
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
    x: Execution,
    approvers: string[],
    prepare: (t: ReleaseTask) => ReleaseTask,
  ): Promise<Reply> {
    const r = await this.d.tasks.update(task.id, (t) => {
      // An approved action runs only while its request stands; it closes the request as it starts.
      if (x.approval && t.approval?.requestedAt !== x.approval.requestedAt) return new Refusal(`The approval request on ${t.name} was closed meanwhile.`);
      const tr = userTransition(t, action);
      if (!tr.ok) return new Refusal(tr.reason);
      const { approval: _closed, ...rest } = t;
      return prepare({ ...(x.approval ? (rest as ReleaseTask) : t), status: tr.to });
    });
    if (!r.ok) return say(r.reason);
    const t = r.task;
    if (action !== 'suspend') {
      await this.d.queues.enqueue('task.run', { taskId: t.id, run: t.run }, { ...RUN_ATTEMPTS, jobId: runJobId.task(t.id, t.run) });
    }
    const detail = [approvers.length ? `approved by ${approvers.join(', ')}` : '', x.override ? `freeze ${x.override.window} overridden by ${x.override.by}: ${x.override.reason}` : '']
      .filter(Boolean)
      .join('; ');
    await this.d.audit.record({ at: this.d.clock().toISOString(), actor: x.requester.user, action, target: t.id, env: t.env, from: r.before.status, to: t.status, ...(detail ? { detail } : {}) });
    await this.d.notifier.cardChanged(taskRef(t.id));
    await this.d.notifier.thread(taskRef(t.id), startedText(action, t, x.requester.user) + (approvers.length ? `, approved by ${approvers.map((u) => `<@${u}>`).join(', ')}` : '') + (x.override ? ` (freeze overridden by <@${x.override.by}>: ${esc(x.override.reason)})` : ''));
    return say(`${t.id} is now ${t.status}.`, true);
  }

  private async remove(task: ReleaseTask, actor: Actor): Promise<Reply> {
    // Delete at the version we checked, so a start racing the delete wins or loses cleanly.
    for (let current = task; ; ) {
      const check = userTransition(current, 'delete');
      if (!check.ok) return say(check.reason);
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
}

function notFound(taskId: string): Reply {
  return say(`No release task ${taskId}. \`/release list\` shows the tasks there are.`);
}

const ACTION_WORDS: Record<TaskAction, string> = {
  start: 'start the release',
  retry: 'retry the release',
  rollback: 'roll back',
  resume: 'resume the release',
  suspend: 'suspend',
  delete: 'delete the task',
};

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
