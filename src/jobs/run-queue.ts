/**
 * The run queue (implements ports/run-queue.ts): one place decides a run's queue job — its name,
 * its deterministic ID and its retries — the way immich's getJobOptions() does.
 */
import type { BlueGreenJob } from '../domain/bluegreen-job.js';
import type { ReleaseTask } from '../domain/release-task.js';
import type { TaskSchedule } from '../domain/schedule.js';
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

  scheduledStartId(taskId: string, at: Date): string {
    return runJobId.scheduledStart(taskId, at);
  }

  async scheduleStart(taskId: string, schedule: TaskSchedule): Promise<void> {
    const delay = Math.max(0, Date.parse(schedule.at) - Date.now());
    await this.queues.enqueue('task.scheduled-start', { taskId, at: schedule.at, by: schedule.by }, { ...RUN_ATTEMPTS, jobId: schedule.jobId, delay });
  }

  async unscheduleStart(jobId: string): Promise<void> {
    // A job being processed is locked and stays: it will find its schedule gone.
    await this.queues.byName.releases.remove(jobId).catch(() => 0);
  }

  /** Whether the queue holds a scheduled start's job, in any state (the reconciler re-adds only missing ones). */
  async hasScheduledStart(jobId: string): Promise<boolean> {
    return !!(await this.queues.byName.releases.getJob(jobId));
  }

  /** Whether the queue holds the run's job, in any state (the reconciler queues only missing runs). */
  async hasTaskRun(task: Pick<ReleaseTask, 'id' | 'run'>): Promise<boolean> {
    return !!(await this.queues.byName.releases.getJob(runJobId.task(task.id, task.run)));
  }

  async hasJobRun(job: Pick<BlueGreenJob, 'id' | 'createdAt' | 'run'>): Promise<boolean> {
    return !!(await this.queues.byName.releases.getJob(runJobId.bluegreen(job.id, job.createdAt, job.run)));
  }
}
