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
import type { ReleaseOperationsDeps } from './release-operations.js';
import { RUN_ATTEMPTS, say, type Actor, type Reply } from './reply.js';

export type BlueGreenOperationsDeps = Omit<ReleaseOperationsDeps, 'tasks' | 'locks'> & { jobs: JobStore };


export class BlueGreenOperations {
  constructor(private readonly d: BlueGreenOperationsDeps) {}

  async handle(cmd: BlueGreenCommand, actor: Actor): Promise<Reply> {
    switch (cmd.kind) {
      case 'help':
        throw new Error('help is answered by the listener');
      case 'create':
        return this.create(cmd, actor);
      case 'update':
        return this.act(cmd.job, 'update', actor, (j) => this.pending(j, cmd.image, actor.user));
      case 'rollback':
        return this.act(cmd.job, 'rollback', actor, (j) => {
          const target = rollbackTargets(j).find((h) => h.revision === cmd.revision);
          if (!target) {
            const can = rollbackTargets(j).map((h) => h.revision);
            return new Refusal(
              `${j.name} has no released revision ${cmd.revision} to roll back to` +
                (can.length ? `; choose one of ${can.join(', ')} (\`/bluegreen history ${j.name}\`)` : '; it has no earlier released revision'),
            );
          }
          return this.pending(j, target.image, actor.user, target.revision);
        });
      case 'release':
      case 'terminate':
        return this.act(cmd.job, cmd.kind, actor, (j) => j);
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
    const taken = (await this.d.jobs.list()).find((j) => j.env === cmd.env && j.workload === cmd.workload);
    if (taken) return say(`${cmd.env}/${cmd.workload} already belongs to blue-green job ${taken.name}.`);
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
      channel: actor.channel,
    };
    if (!(await this.d.jobs.create(job))) return say(`A blue-green job named ${cmd.job} exists already: \`/bluegreen show ${cmd.job}\`.`);
    await this.d.queues.enqueue('bluegreen.run', { jobId: job.id, run: 1 }, RUN_ATTEMPTS);
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

  private async act(name: string, action: JobAction, actor: Actor, prepare: (j: BlueGreenJob) => BlueGreenJob | Refusal): Promise<Reply> {
    const reply = await this.apply(name, action, actor, prepare);
    this.d.metrics.operation(`bluegreen.${action}`, reply.changed ? 'accepted' : 'refused');
    return reply;
  }

  private async apply(name: string, action: JobAction, actor: Actor, prepare: (j: BlueGreenJob) => BlueGreenJob | Refusal): Promise<Reply> {
    const now = this.d.clock().toISOString();
    let stale = false;
    const r = await this.d.jobs.update(name, (j) => {
      // A control on an outdated card may mean something else now (another version is Paused).
      if (actor.cardVersion !== undefined && actor.cardVersion !== j.version) {
        stale = true;
        return new Refusal(`That card was out of date: ${j.name} is ${j.status} now. The card has been refreshed.`);
      }
      const tr = jobTransition(j, action);
      if (!tr.ok) return new Refusal(tr.reason);
      const next = prepare(j);
      return next instanceof Refusal ? next : { ...next, status: tr.to, run: j.run + 1, updatedAt: now };
    });
    if (!r.ok) {
      if (!r.task) return notFound(name);
      if (stale) await this.d.notifier.cardChanged(jobRef(name));
      return say(r.reason);
    }
    const j = r.task;
    await this.d.queues.enqueue('bluegreen.run', { jobId: j.id, run: j.run }, RUN_ATTEMPTS);
    await this.d.audit.record({ at: now, actor: actor.user, action, target: j.id, env: j.env, from: r.before.status, to: j.status, ...(j.pending ? { detail: `rev ${j.pending.revision} ${j.pending.image}` } : {}) });
    await this.d.notifier.cardChanged(jobRef(j.id));
    await this.d.notifier.thread(jobRef(j.id), startedText(action, j, actor.user));
    return say(`${j.name} is now ${j.status}.`, true);
  }
}

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
