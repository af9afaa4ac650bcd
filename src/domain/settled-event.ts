/**
 * What a listener outside Slack (a webhook receiver) is told when a task or job comes to rest:
 * the task or job as the HTTP API publishes it (domain/published.ts), so a receiver and a CI job
 * polling GET read the same fields. Pure.
 */
import type { BlueGreenJob } from './bluegreen-job.js';
import { publishJob, publishTask, type PublishedJob, type PublishedTask } from './published.js';
import type { ReleaseTask } from './release-task.js';

/**
 * The body of a webhook, less `sentAt` (stamped at each delivery attempt). `status` and `run` say
 * what came to rest; `task` or `job` is the entity as it was read just after, which is the same
 * unless someone acted on it within moments.
 */
export type SettledEvent =
  | { event: 'task.settled'; status: string; run: number; task: PublishedTask }
  | { event: 'bluegreen.settled'; status: string; run: number; job: PublishedJob };

/** `url`: the card's permalink is not known to the workers, so receivers get null (GET the task for it). */
export function settledEvent(s: { status: string; run: number } & ({ kind: 'task'; task: ReleaseTask } | { kind: 'bluegreen'; job: BlueGreenJob })): SettledEvent {
  return s.kind === 'task'
    ? { event: 'task.settled', status: s.status, run: s.run, task: publishTask(s.task, null) }
    : { event: 'bluegreen.settled', status: s.status, run: s.run, job: publishJob(s.job, null) };
}
