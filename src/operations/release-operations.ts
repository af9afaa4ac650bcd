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
import { planComponents, type Reading, type Running } from '../domain/plan.js';
import type { ComponentSpec, ComponentState, ReleaseTask, TaskHead } from '../domain/release-task.js';
import { SCHEDULED } from '../domain/schedule.js';
import { applyTag, describeSelection, selectComponents, selectionEnv, selects } from '../domain/selection.js';
import type { Platform } from '../platform/port.js';
import { readComponents } from '../platform/read.js';
import type { RunQueue } from '../ports/run-queue.js';
import type { ComponentLocks } from '../store/locks.js';
import type { TaskStore } from '../store/task-store.js';
import type { Environments } from './environments.js';
import { taskKind, taskNotFound } from './kinds/task-kind.js';
import { say, show, type Actor, type Outcome } from './outcome.js';
import { OperationPipeline, type PipelineDeps } from './pipeline.js';
import { TaskSchedules, type ScheduledStart, type TaskSchedulesDeps } from './task-schedules.js';
import { plural } from '../text.js';

export interface ReleaseOperationsDeps extends PipelineDeps, TaskSchedulesDeps {
  tasks: TaskStore;
  locks: ComponentLocks;
  runs: RunQueue;
  platform: Platform;
  environments: Environments;
}

/** `/release list --status …`: a status, or Scheduled (To release with a scheduled start). */
const listed = (status: string | undefined) => (t: TaskHead) => !status || (status === SCHEDULED ? !!t.schedule : t.status === status);

/** The environments a create names: `--env`, and `--from` for a clone. */
const environmentsOf = (req: CreateRequest) => (req.sourceEnv ? [req.env, req.sourceEnv] : [req.env]);

export class ReleaseOperations {
  readonly pipeline: OperationPipeline<ReleaseTask, TaskAction>;
  private readonly schedules: TaskSchedules;

  constructor(private readonly d: ReleaseOperationsDeps) {
    this.pipeline = new OperationPipeline(taskKind(d), d);
    this.schedules = new TaskSchedules(d, this.pipeline);
  }

  /**
   * Start `taskId` at `at` rather than now: checked now like a start (operator, To release, no
   * pending approval), then at that time through the same gate as a click, as `actor`. Refused
   * when `at` is past or more than 30 days ahead. Scheduling again replaces the time.
   */
  schedule(taskId: string, at: Date, actor: Actor): Promise<Outcome> {
    return this.schedules.schedule(taskId, at, actor);
  }

  /** Drop the scheduled start of `taskId`; it stays To release. */
  cancelSchedule(taskId: string, actor: Actor): Promise<Outcome> {
    return this.schedules.cancelSchedule(taskId, actor);
  }

  /** A scheduled start's job fired (the worker): start the task if that schedule still stands. */
  fireSchedule(s: ScheduledStart): Promise<void> {
    return this.schedules.fire(s);
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
      case 'schedule':
        return this.schedules.scheduleAt(cmd.taskId, cmd.at, actor);
      case 'cancel':
        return this.schedules.cancelSchedule(cmd.taskId, actor);
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
        const tasks = (await this.d.tasks.heads()).filter((t) => listed(cmd.status)(t) && (!cmd.env || t.env === cmd.env));
        return show({ kind: 'task-list', tasks, filter: { ...(cmd.status ? { status: cmd.status } : {}), ...(cmd.env ? { env: cmd.env } : {}) } });
      }
      case 'components':
        return show({ kind: 'components', env: cmd.env, components: await this.d.platform.list(cmd.env) });
    }
  }

  /**
   * The environment check and the plan (read only): the components as the task will hold them,
   * or the refusal naming every reason the plan cannot succeed. The check and the reading do not
   * depend on each other, so they run at once; a refused environment's reading is dropped.
   */
  private async plan(req: CreateRequest): Promise<{ components: ComponentState[] } | { refusal: Outcome }> {
    const reading = this.read(req);
    reading.catch(() => undefined); // awaited below unless the environment is refused
    const verdict = await this.d.environments.check(environmentsOf(req), req.newEnv === true, '`--new-env`');
    if (!verdict.ok) return { refusal: say(verdict.reason) };
    const read = await reading;
    const plan = read.ok ? planComponents({ ...req, components: read.components }, read.now, read.source) : read;
    if (plan.ok) return { components: plan.components };
    const reasons = plan.reasons.map((r) => `• ${r}`).join('\n');
    return { refusal: say(`Cannot create ${req.name}: the plan cannot succeed.\n${reasons}\nNothing was created.`) };
  }

  /**
   * What the plan needs, in batched reads: the components chosen (`--all` and patterns list the
   * environment they choose from, once), then what runs now in the target environment and, for a
   * clone, in the source, reading again only what the listing did not hold.
   */
  private async read(req: CreateRequest): Promise<{ ok: true; components: ComponentSpec[]; now: Reading; source?: Reading } | { ok: false; reasons: string[] }> {
    const from = selectionEnv(req);
    const listing = selects(req) ? await this.d.platform.list(from) : undefined;
    const chosen = selectComponents(req, listing?.map((c) => c.name));
    if (!chosen.ok) return chosen;
    const names = chosen.components.map((c) => c.name);
    const readEnv = async (env: string): Promise<Reading> => {
      if (!listing || env !== from) return readComponents(this.d.platform, env, names);
      const held = new Map(listing.map((c) => [c.name, c]));
      const rest = names.filter((n) => !held.has(n));
      const more = rest.length ? await readComponents(this.d.platform, env, rest) : new Map<string, Running>();
      return new Map(names.map((n) => [n, held.has(n) ? { image: held.get(n)!.image, replicas: held.get(n)!.replicas } : more.get(n)]));
    };
    const [now, source] = await Promise.all([readEnv(req.env), req.sourceEnv ? readEnv(req.sourceEnv) : undefined]);
    const components = req.select?.tag ? applyTag(chosen.components, now, req.select.tag) : chosen.components;
    return { ok: true, components, now, ...(source ? { source } : {}) };
  }

  /**
   * `/release create`: plan, store, audit, card. `workflow` marks a task a Workflow Builder step
   * waits for (operations/workflow-step.ts). The outcome names the task it created.
   */
  async create(cmd: CreateRequest, actor: Actor, workflow?: { executionId: string }): Promise<Outcome> {
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
      ...(workflow ? { workflow: { executionId: workflow.executionId } } : {}),
    };
    while (!(await this.d.tasks.create(task))) task.id = newTaskId();
    // Independent writes, all before the ack: a task the ack announces has its audit entry and its card on the way.
    await Promise.all([
      this.d.audit.record({ at: task.createdAt, actor: actor.user, action: 'create', target: task.id, env: task.env, to: task.status }),
      this.d.notifier.cardCreated(taskRef(task.id)),
      this.d.environments.remember(environmentsOf(cmd)),
    ]);
    this.d.metrics.operation('create', 'accepted');
    const same = task.components.filter((c) => c.status === 'No change').length;
    const chosen = cmd.select ? ` (${describeSelection(cmd)})` : '';
    return {
      ...say(
        `Created release task *${task.name}* (\`${task.id}\`): ${task.operation} of ${plural(task.components.length, 'component')} ` +
          `to ${task.env}${chosen}${same ? ` (${same} already at the target: no change)` : ''}. Click *Release* on the card, or \`/release start ${task.id}\`.`,
        true,
      ),
      created: taskRef(task.id),
    };
  }
}
