/**
 * `/bluegreen` commands and job card controls: create and the read-only views here; every action
 * on a job (Update Version, Release, Terminate, Rollback, approve, reject) goes through the shared
 * pipeline with the job kind's descriptor.
 */
import type { BlueGreenCommand } from '../commands/bluegreen-command.js';
import { JOB_ACTIONS, type JobAction } from '../domain/actions.js';
import type { BlueGreenJob } from '../domain/bluegreen-job.js';
import { jobRef } from '../domain/entity.js';
import type { BlueGreenPlatform } from '../platform/port.js';
import type { RunQueue } from '../ports/run-queue.js';
import type { JobStore } from '../store/versioned-store.js';
import type { Environments } from './environments.js';
import { jobKind, jobNotFound } from './kinds/job-kind.js';
import { say, show, type Actor, type Outcome } from './outcome.js';
import { OperationPipeline, type PipelineDeps } from './pipeline.js';

export interface BlueGreenOperationsDeps extends PipelineDeps {
  jobs: JobStore;
  runs: RunQueue;
  platform: Pick<BlueGreenPlatform, 'bgInspect'>;
  environments: Environments;
}

const isAction = (kind: string): kind is JobAction => (JOB_ACTIONS as string[]).includes(kind);

export class BlueGreenOperations {
  readonly pipeline: OperationPipeline<BlueGreenJob, JobAction>;

  constructor(private readonly d: BlueGreenOperationsDeps) {
    this.pipeline = new OperationPipeline(jobKind(d), d);
  }

  /** The job named `name`, for a listener that shows it before acting (the Update Version modal). */
  job(name: string): Promise<BlueGreenJob | undefined> {
    return this.d.jobs.get(name);
  }

  async handle(cmd: BlueGreenCommand, actor: Actor): Promise<Outcome> {
    if (isAction(cmd.kind)) {
      // Every action command names its job; update adds an image, rollback a revision.
      const { job, override, image, revision, force } = cmd as { job: string; override?: string; image?: string; revision?: number; force?: true };
      const args = { ...(override ? { override } : {}), ...(image ? { image } : {}), ...(revision !== undefined ? { revision } : {}), ...(force ? { force } : {}) };
      return this.pipeline.act(job, cmd.kind, actor, args);
    }
    switch (cmd.kind) {
      case 'create':
        return this.create(cmd, actor);
      case 'approve':
        return this.pipeline.approve(cmd.job, actor);
      case 'reject':
        return this.pipeline.reject(cmd.job, actor, cmd.reason);
      case 'help':
      case 'audit':
        throw new Error(`${cmd.kind} is answered by the listener`);
      case 'show':
      case 'history': {
        const job = await this.d.jobs.get(cmd.job);
        if (!job) return jobNotFound(cmd.job);
        return show({ kind: cmd.kind === 'show' ? 'job-detail' : 'job-history', job });
      }
      case 'list': {
        const jobs = (await this.d.jobs.list()).filter((j) => !cmd.env || j.env === cmd.env);
        return show({ kind: 'job-list', jobs, filter: cmd.env ? { env: cmd.env } : {} });
      }
    }
    throw new Error(`unhandled /bluegreen command ${cmd.kind}`);
  }

  private async create(cmd: Extract<BlueGreenCommand, { kind: 'create' }>, actor: Actor): Promise<Outcome> {
    const refusal = await this.d.governance.operatorRefusal(actor.user);
    if (refusal) return say(refusal);
    const verdict = await this.d.environments.check([cmd.env], cmd.newEnv === true, '`--new-env`');
    if (!verdict.ok) return say(verdict.reason);
    const freeze = await this.d.governance.freeze('bluegreen', 'create', cmd.env, actor.user, undefined, this.d.clock(), false);
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
    await this.d.runs.jobRun(job);
    await Promise.all([
      this.d.audit.record({ at: now, actor: actor.user, action: 'create', target: job.id, env: job.env, to: job.status }),
      this.d.notifier.cardCreated(jobRef(job.id)),
      this.d.environments.remember([job.env]),
    ]);
    this.d.metrics.operation('bluegreen.create', 'accepted');
    return { ...say(`Created blue-green job *${job.name}* for ${job.env}/${job.workload}: bringing up ${cmd.image} (rev 1).`, true), created: jobRef(job.id) };
  }
}
