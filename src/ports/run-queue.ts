/**
 * The run-queue port: how operations (and the reconciler) ask for a worker run of a task or a
 * job. The implementation (jobs/run-queue.ts) owns everything about the queue job: its name, its
 * deterministic ID (so queueing a run twice queues it once) and its retry policy.
 */
import type { BlueGreenJob } from '../domain/bluegreen-job.js';
import type { ReleaseTask } from '../domain/release-task.js';

export interface RunQueue {
  /** Queue run number `task.run` of a release task. */
  taskRun(task: Pick<ReleaseTask, 'id' | 'run'>): Promise<void>;
  /** Queue run number `job.run` of a blue-green job. */
  jobRun(job: Pick<BlueGreenJob, 'id' | 'createdAt' | 'run'>): Promise<void>;
}
