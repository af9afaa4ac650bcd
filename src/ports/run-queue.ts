/**
 * The run-queue port: how operations (and the reconciler) ask for a worker run of a task or a
 * job. The implementation (jobs/run-queue.ts) owns everything about the queue job: its name, its
 * deterministic ID (so queueing a run twice queues it once) and its retry policy.
 */
import type { BlueGreenJob } from '../domain/bluegreen-job.js';
import type { ReleaseTask } from '../domain/release-task.js';
import type { TaskSchedule } from '../domain/schedule.js';

export interface RunQueue {
  /** Queue run number `task.run` of a release task. */
  taskRun(task: Pick<ReleaseTask, 'id' | 'run'>): Promise<void>;
  /** Queue run number `job.run` of a blue-green job. */
  jobRun(job: Pick<BlueGreenJob, 'id' | 'createdAt' | 'run'>): Promise<void>;
  /** The job ID of a start of `taskId` scheduled for `at`: the same task and time, the same ID. */
  scheduledStartId(taskId: string, at: Date): string;
  /** Queue the start of `taskId` for `schedule.at` (a delayed job, kept in Redis); twice queues it once. */
  scheduleStart(taskId: string, schedule: TaskSchedule): Promise<void>;
  /** Drop a scheduled start's job if it is still waiting; one that fires anyway finds its schedule gone. */
  unscheduleStart(jobId: string): Promise<void>;
}
