/**
 * `events.settled`: a task or job came to rest (ports/release-events.ts). Reads it once and hands
 * it to each listener, which queues a job of its own (a webhook delivery, a workflow step's
 * completion) with its own retries: one slow or broken listener never holds up another, and none
 * of them the release.
 */
import type { BlueGreenJob } from '../../domain/bluegreen-job.js';
import type { ReleaseTask } from '../../domain/release-task.js';
import type { TaskStore } from '../../store/task-store.js';
import type { JobStore } from '../../store/versioned-store.js';
import type { SettledPayload } from '../catalogue.js';
import type { JobContext } from '../worker-host.js';

/**
 * What came to rest, as it is when the event is handled. `status` and `run` are what settled: the
 * entity may have moved on since (a Retry clicked at once), and listeners say what settled.
 */
export type Settled = { status: string; run: number } & ({ kind: 'task'; task: ReleaseTask } | { kind: 'bluegreen'; job: BlueGreenJob });

/**
 * One listener. `eventId` is the settled job's deterministic ID: listeners derive their own
 * jobs' IDs from it, so handling the event again queues nothing twice.
 */
export type SettledListener = (settled: Settled, eventId: string) => Promise<void>;

export interface SettledDeps {
  tasks: TaskStore;
  jobs: JobStore;
  listeners: SettledListener[];
}

export function settledHandler(d: SettledDeps) {
  return async ({ ref, status, run }: SettledPayload, ctx: JobContext): Promise<void> => {
    if (d.listeners.length === 0) return;
    const settled: Settled | undefined =
      ref.kind === 'task'
        ? await d.tasks.get(ref.id).then((task) => task && { kind: 'task' as const, task, status, run })
        : await d.jobs.get(ref.id).then((job) => job && { kind: 'bluegreen' as const, job, status, run });
    if (!settled) return; // deleted since: there is nothing left to describe
    await Promise.all(d.listeners.map((listen) => listen(settled, ctx.job.id!)));
  };
}
