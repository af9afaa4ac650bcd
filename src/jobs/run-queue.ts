/**
 * The run queue (implements ports/run-queue.ts): one place decides a run's queue job — its name,
 * its deterministic ID and its retries — the way immich's getJobOptions() does.
 */
import type { BlueGreenJob } from '../domain/bluegreen-job.js';
import type { ReleaseTask } from '../domain/release-task.js';
import type { RunQueue } from '../ports/run-queue.js';
import { runJobId, type JobQueues } from './queues.js';

/** A run is resumable, so an unexpected error (a Redis blip) is simply tried again. */
export const RUN_ATTEMPTS = { attempts: 5, backoff: { type: 'fixed', delay: 2000 } } as const;

export class BullRunQueue implements RunQueue {
  constructor(private readonly queues: JobQueues) {}

  async taskRun(task: Pick<ReleaseTask, 'id' | 'run'>): Promise<void> {
    await this.queues.enqueue('task.run', { taskId: task.id, run: task.run }, { ...RUN_ATTEMPTS, jobId: runJobId.task(task.id, task.run) });
  }

  async jobRun(job: Pick<BlueGreenJob, 'id' | 'createdAt' | 'run'>): Promise<void> {
    const jobId = runJobId.bluegreen(job.id, job.createdAt, job.run);
    await this.queues.enqueue('bluegreen.run', { jobId: job.id, run: job.run }, { ...RUN_ATTEMPTS, jobId });
  }

  /** Whether the queue holds the run's job, in any state (the reconciler queues only missing runs). */
  async hasTaskRun(task: Pick<ReleaseTask, 'id' | 'run'>): Promise<boolean> {
    return !!(await this.queues.byName.releases.getJob(runJobId.task(task.id, task.run)));
  }

  async hasJobRun(job: Pick<BlueGreenJob, 'id' | 'createdAt' | 'run'>): Promise<boolean> {
    return !!(await this.queues.byName.releases.getJob(runJobId.bluegreen(job.id, job.createdAt, job.run)));
  }
}
