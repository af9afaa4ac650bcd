/**
 * `task.scheduled-start`: a delayed job fired at the time a start was scheduled for. The start
 * itself is the release operations' (the same gate as a click); the job's ID names the schedule
 * it was queued for, so one that was cancelled or moved meanwhile does nothing.
 */
import type { ScheduledStart } from '../../operations/task-schedules.js';
import type { ScheduledStartPayload } from '../catalogue.js';
import type { JobContext } from '../worker-host.js';

export function scheduledStartHandler(release: { fireSchedule(s: ScheduledStart): Promise<void> }) {
  return (p: ScheduledStartPayload, ctx: JobContext): Promise<void> => release.fireSchedule({ ...p, jobId: String(ctx.job.id) });
}
