/**
 * Blue-green job operations: what a `/bluegreen` command or a card control asks for, checked
 * against the job state machine, written with compare-and-set, queued for a worker, audited.
 * Shares the store, queues, notifier and reply shape with release task operations.
 */
import type { BlueGreenCommand } from '../commands/bluegreen-command.js';
import { otherSlot, rollbackTargets, type BlueGreenJob, type PendingVersion } from '../domain/bluegreen-job.js';
import { jobTransition, type JobAction } from '../domain/bluegreen-machine.js';
import { jobDetail, jobHistory, jobList } from '../slack/blocks/job-views.js';
import { jobRef } from '../slack/notifier.js';
import { Refusal, type JobStore } from '../store/versioned-store.js';
import type { ApprovalRequest } from '../domain/approval.js';
import { ApprovalFlow } from './approvals.js';
import type { FreezeOverride } from './governance.js';
import type { ReleaseOperationsDeps } from './release-operations.js';
import { esc } from '../slack/blocks/format.js';
import { runJobId } from '../jobs/queues.js';
import { RUN_ATTEMPTS, say, type Actor, type Reply } from './reply.js';

export type BlueGreenOperationsDeps = Omit<ReleaseOperationsDeps, 'tasks' | 'locks'> & { jobs: JobStore };


interface Execution {
  requester: Actor;
  approval?: ApprovalRequest;
  override?: FreezeOverride;
}

type Prepare = (j: BlueGreenJob) => BlueGreenJob | Refusal;

export class BlueGreenOperations {
  private readonly approvals: ApprovalFlow<BlueGreenJob>;

  constructor(private readonly d: BlueGreenOperationsDeps) {
    this.approvals = new ApprovalFlow({
      kind: 'bluegreen',
      store: d.jobs,
      governance: d.governance,
      audit: d.audit,
      notifier: d.notifier,
      clock: d.clock,
      ref: jobRef,
      cardVersion: (j) => j.version,
      state: (j) => `${j.name} is ${j.status}`,
      describe: (req) => this.describeRequest(req),
      notFound,
    });
  }

  /** Why `actor` may not reject the approval request on `id` now, if so. */
  rejectRefusal(id: string, actor: Actor): Promise<Reply | undefined> {
    return this.approvals.rejectRefusal(id, actor);
  }

  async handle(cmd: BlueGreenCommand, actor: Actor): Promise<Reply> {
    switch (cmd.kind) {
      case 'help':
        throw new Error('help is answered by the listener');
      case 'create':
        return this.create(cmd, actor);
      case 'update':
        return this.act(cmd.job, 'update', actor, cmd.override, this.prepare('update', actor.user, cmd.image));
      case 'rollback':
        return this.act(cmd.job, 'rollback', actor, cmd.override, this.prepare('rollback', actor.user, undefined, cmd.revision), cmd.revision);
      case 'release':
      case 'terminate':
        return this.act(cmd.job, cmd.kind, actor, cmd.override, this.prepare(cmd.kind, actor.user));
      case 'approve': {
        const reply = await this.approvals.approve(cmd.job, actor, (j, req, approvers) => this.runApproved(j, req, approvers, actor.channel));
        this.d.metrics.operation('bluegreen.approve', reply.changed ? 'accepted' : 'refused');
        return reply;
      }
      case 'reject': {
        const reply = await this.approvals.reject(cmd.job, actor, cmd.reason);
        this.d.metrics.operation('bluegreen.reject', reply.changed ? 'accepted' : 'refused');
        return reply;
      }
      case 'audit':
        throw new Error('audit is answered by AuditQueries');
      case 'show':
      case 'history': {
        const job = await this.d.jobs.get(cmd.job);
        if (!job) return notFound(cmd.job);
        const view = cmd.kind === 'show' ? jobDetail(job, this.d.clock()) : jobHistory(job, this.d.clock());
        return { ...view, changed: false };
      }
      case 'list': {
        const jobs = (await this.d.jobs.list()).filter((j) => !cmd.env || j.env === cmd.env);
        return { ...jobList(jobs, this.d.clock(), cmd.env ? { env: cmd.env } : {}), changed: false };
      }
    }
  }

  private async create(cmd: Extract<BlueGreenCommand, { kind: 'create' }>, actor: Actor): Promise<Reply> {
    const refusal = await this.d.governance.operatorRefusal(actor.user);
    if (refusal) return say(refusal);
    const freeze = await this.d.governance.freeze('bluegreen', 'create', cmd.env, actor.user, undefined, this.d.clock());
    if (!freeze.ok) return say(freeze.reason);
    const taken = await this.d.jobs.reserveWorkload(cmd.env, cmd.workload, cmd.job);
    if (taken) return say(`${cmd.env}/${cmd.workload} already belongs to blue-green job ${taken}.`);
    const now = this.d.clock().toISOString();
    const job: BlueGreenJob = {
      id: cmd.job,
      name: cmd.job,
      status: 'Progressing',
      releaseType: 'Blue-Green',
      env: cmd.env,
      workload: cmd.workload,
      ...(cmd.description ? { description: cmd.description } : {}),
      replicas: cmd.replicas,
      versions: {},
      active: 'blue',
      stable: 'blue',
      pending: { slot: 'blue', revision: 1, image: cmd.image, by: actor.user },
      history: [],
      nextRevision: 2,
      createdAt: now,
      createdBy: actor.user,
      updatedAt: now,
      run: 1,
      version: 1,
      channel: this.d.governance.policy.channel(cmd.env) ?? actor.channel,
    };
    if (!(await this.d.jobs.create(job))) {
      const existing = await this.d.jobs.get(cmd.job);
      // Our claim on the workload stands only if the existing job of that name is the one using it.
      if (!existing || existing.env !== cmd.env || existing.workload !== cmd.workload) await this.d.jobs.releaseWorkload(cmd.env, cmd.workload, cmd.job);
      return say(`A blue-green job named ${cmd.job} exists already: \`/bluegreen show ${cmd.job}\`.`);
    }
    await this.d.queues.enqueue('bluegreen.run', { jobId: job.id, run: 1 }, { ...RUN_ATTEMPTS, jobId: runJobId.bluegreen(job.id, job.createdAt, 1) });
    await this.d.audit.record({ at: now, actor: actor.user, action: 'create', target: job.id, env: job.env, to: job.status });
    await this.d.notifier.cardCreated(jobRef(job.id));
    this.d.metrics.operation('bluegreen.create', 'accepted');
    return say(`Created blue-green job *${job.name}* for ${job.env}/${job.workload}: bringing up ${cmd.image} (rev 1).`, true);
  }

  /** The new version an update or rollback brings up, in the idle slot. */
  private pending(j: BlueGreenJob, image: string, by: string, rollbackOf?: number): BlueGreenJob {
    const pending: PendingVersion = { slot: otherSlot(j.stable), revision: j.nextRevision, image, by, ...(rollbackOf ? { rollbackOf } : {}) };
    return { ...j, pending, nextRevision: j.nextRevision + 1 };
  }

  /** The change an action makes to the job, or why it cannot; rollback checks the revision. */
  private prepare(action: JobAction, user: string, image?: string, revision?: number): Prepare {
    if (action === 'update') return (j) => this.pending(j, image!, user);
    if (action !== 'rollback') return (j) => j;
    return (j) => {
      const target = rollbackTargets(j).find((h) => h.revision === revision);
      if (target) return this.pending(j, target.image, user, target.revision);
      const can = rollbackTargets(j).map((h) => h.revision);
      return new Refusal(
        `${j.name} has no released revision ${revision} to roll back to` +
          (can.length ? `; choose one of ${can.join(', ')} (\`/bluegreen history ${j.name}\`)` : '; it has no earlier released revision'),
      );
    };
  }

  private async act(name: string, action: JobAction, actor: Actor, override: string | undefined, prepare: Prepare, revision?: number): Promise<Reply> {
    const reply = await this.gate(name, action, actor, override, prepare, revision);
    this.d.metrics.operation(`bluegreen.${action}`, reply.changed ? 'accepted' : 'refused');
    return reply;
  }

  /** Operator, stale card, state machine, freeze window, approval: then execute. */
  private async gate(name: string, action: JobAction, actor: Actor, override: string | undefined, prepare: Prepare, revision?: number): Promise<Reply> {
    const job = await this.d.jobs.get(name);
    if (!job) return notFound(name);
    const refusal = await this.d.governance.operatorRefusal(actor.user);
    if (refusal) return say(refusal);
    // A control on an outdated card may mean something else now (another version is Paused).
    const stale = await this.approvals.staleRefusal(job, actor);
    if (stale) return stale;
    const tr = jobTransition(job, action);
    if (!tr.ok) return say(tr.reason);
    // A pending request would be left behind by anything else that moves the job.
    if (job.approval && job.approval.action !== action) {
      return say(`${job.name} is awaiting approval to ${this.describeRequest(job.approval)}: approve or reject that first.`);
    }
    const prepared = prepare(job);
    if (prepared instanceof Refusal) return say(prepared.reason);
    const freeze = await this.d.governance.freeze('bluegreen', action, job.env, actor.user, override, this.d.clock());
    if (!freeze.ok) return say(freeze.reason);
    const needed = this.d.governance.policy.approvalsNeeded('bluegreen', action, job.env);
    if (needed > 0) {
      const again = await this.approvals.retryApproved(job, action, (j, req, approvers) => this.runApproved(j, req, approvers, actor.channel));
      if (again) return again;
      return this.approvals.request(job, actor, { action, needed, ...(revision !== undefined ? { revision } : {}), ...(freeze.override ? { override: freeze.override } : {}) });
    }
    return this.execute(name, action, { requester: actor, ...(freeze.override ? { override: freeze.override } : {}) }, [], prepare);
  }

  private describeRequest(req: Pick<ApprovalRequest, 'action' | 'revision'>): string {
    return req.action === 'rollback' ? `roll back to rev ${req.revision}` : ACTION_WORDS[req.action as JobAction] ?? req.action;
  }

  private runApproved(job: BlueGreenJob, req: ApprovalRequest, approvers: string[], channel: string): Promise<Reply> {
    const action = req.action as JobAction;
    const x: Execution = { requester: { user: req.requestedBy, channel }, approval: req, ...(req.override ? { override: req.override } : {}) };
    return this.execute(job.name, action, x, approvers, this.prepare(action, req.requestedBy, undefined, req.revision));
  }

  private async execute(name: string, action: JobAction, x: Execution, approvers: string[], prepare: Prepare): Promise<Reply> {
    const now = this.d.clock().toISOString();
    const r = await this.d.jobs.update(name, (j) => {
      // An approved action runs only while its request stands; it closes the request as it starts.
      if (x.approval && j.approval?.requestedAt !== x.approval.requestedAt) return new Refusal(`The approval request on ${j.name} was closed meanwhile.`);
      const tr = jobTransition(j, action);
      if (!tr.ok) return new Refusal(tr.reason);
      const next = prepare(j);
      if (next instanceof Refusal) return next;
      const { approval: _closed, ...rest } = next;
      return { ...(x.approval ? (rest as BlueGreenJob) : next), status: tr.to, run: j.run + 1, updatedAt: now };
    });
    if (!r.ok) return r.task ? say(r.reason) : notFound(name);
    const j = r.task;
    await this.d.queues.enqueue('bluegreen.run', { jobId: j.id, run: j.run }, { ...RUN_ATTEMPTS, jobId: runJobId.bluegreen(j.id, j.createdAt, j.run) });
    const detail = [
      j.pending ? `rev ${j.pending.revision} ${j.pending.image}` : '',
      approvers.length ? `approved by ${approvers.join(', ')}` : '',
      x.override ? `freeze ${x.override.window} overridden by ${x.override.by}: ${x.override.reason}` : '',
    ]
      .filter(Boolean)
      .join('; ');
    await this.d.audit.record({ at: now, actor: x.requester.user, action, target: j.id, env: j.env, from: r.before.status, to: j.status, ...(detail ? { detail } : {}) });
    await this.d.notifier.cardChanged(jobRef(j.id));
    const approved = approvers.length ? `, approved by ${approvers.map((u) => `<@${u}>`).join(', ')}` : '';
    const overridden = x.override ? ` (freeze overridden by <@${x.override.by}>: ${esc(x.override.reason)})` : '';
    await this.d.notifier.thread(jobRef(j.id), startedText(action, j, x.requester.user) + approved + overridden);
    return say(`${j.name} is now ${j.status}.`, true);
  }
}

const ACTION_WORDS: Record<JobAction, string> = {
  update: 'update the version',
  release: 'Release',
  terminate: 'Terminate Release',
  rollback: 'roll back',
};

function notFound(name: string): Reply {
  return say(`No blue-green job ${name}. \`/bluegreen list\` shows the jobs there are.`);
}

function startedText(action: JobAction, j: BlueGreenJob, user: string): string {
  const p = j.pending!;
  switch (action) {
    case 'update':
      return `Update Version by <@${user}>: ${p.image} (rev ${p.revision}) starting in ${p.slot}`;
    case 'rollback':
      return `Rollback to rev ${p.rollbackOf} by <@${user}>: ${p.image} (rev ${p.revision}) starting in ${p.slot}`;
    case 'release':
      return `Release by <@${user}>: traffic moves to ${p.slot} (rev ${p.revision}, ${p.image})`;
    case 'terminate':
      return `Terminate Release by <@${user}>: ${p.slot} (rev ${p.revision}) will be deleted`;
  }
}
