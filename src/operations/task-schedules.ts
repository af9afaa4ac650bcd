/**
 * Scheduled starts of release tasks (`/release start <id> --at <time>`, Cancel on the card, the
 * HTTP API's `at`). Scheduling is checked like a start asked for now (operator, the state machine,
 * a pending approval) and written compare-and-set; a delayed queue job carries it, so it survives
 * restarts. When the job fires, the start goes through the pipeline's gate exactly as a click
 * would (approval, freeze windows, component locks) as the person who scheduled it, and a refusal
 * is said in the thread.
 */
import type { TaskAction } from '../domain/actions.js';
import { taskRef } from '../domain/entity.js';
import type { ReleaseTask } from '../domain/release-task.js';
import {
  MAX_SCHEDULE_LATE_MS, knownZone, resolveScheduleTime, scheduleBoundsRefusal, type ScheduleWording, type TaskSchedule,
} from '../domain/schedule.js';
import { userTransition } from '../domain/task-machine.js';
import type { Directory } from '../policy/directory.js';
import type { Notifier } from '../ports/notifier.js';
import type { RunQueue } from '../ports/run-queue.js';
import type { AuditLog } from '../store/audit-log.js';
import type { TaskStore } from '../store/task-store.js';
import { Refusal } from '../store/versioned-store.js';
import { mention, shortDuration, slackDate } from '../text.js';
import { actionWords } from '../domain/actions.js';
import type { Governance } from './governance.js';
import { taskNotFound } from './kinds/task-kind.js';
import { say, type Actor, type Outcome } from './outcome.js';
import type { OperationPipeline } from './pipeline.js';

export interface TaskSchedulesDeps {
  tasks: TaskStore;
  runs: RunQueue;
  audit: AuditLog;
  notifier: Notifier;
  governance: Governance;
  /** Whose clock a bare `22:00` is read on: users.info's `tz`. */
  zones: Pick<Directory, 'timeZone'>;
  clock: () => Date;
}

/** What the fired job carries: the schedule it was queued for. */
export interface ScheduledStart {
  taskId: string;
  at: string;
  by: string;
  jobId: string;
}

const UNREAD_ZONE = 'UTC: your Slack time zone could not be read';

/** Why `task` cannot take a scheduled start now, in words; undefined when it can. */
function scheduleRefusal(task: ReleaseTask): string | undefined {
  if (task.approval) return `${task.id} is awaiting approval to ${actionWords('task', task.approval)}: approve or reject that first.`;
  if (!userTransition(task, 'start').ok) return `${task.id} is ${task.status}: only a task that is To release can be scheduled to start.`;
  return undefined;
}

export class TaskSchedules {
  constructor(
    private readonly d: TaskSchedulesDeps,
    private readonly pipeline: OperationPipeline<ReleaseTask, TaskAction>,
  ) {}

  /** `/release start <id> --at <time>`: read the time in the user's zone, then schedule it. */
  async scheduleAt(taskId: string, wording: ScheduleWording, actor: Actor): Promise<Outcome> {
    // Only a clock time needs the zone: ISO carries its own offset.
    const tz = wording.clock ? await this.d.zones.timeZone(actor.user) : undefined;
    const zone = knownZone(tz) ? tz : 'UTC';
    const resolved = resolveScheduleTime(wording, this.d.clock(), zone);
    if (!resolved.ok) return say(`Cannot schedule ${taskId}: ${resolved.reason}.`);
    const clock = wording.clock && `${String(wording.clock.hh).padStart(2, '0')}:${String(wording.clock.mm).padStart(2, '0')}`;
    const said = clock ? ` (${clock} ${resolved.day}, ${zone === tz ? zone : UNREAD_ZONE})` : '';
    return this.schedule(taskId, resolved.at, actor, said);
  }

  /**
   * Schedule the start of `taskId` for `at` (another time replaces the one it had). The entry
   * point for every caller that has an instant already (the HTTP API); `said` adds to the reply.
   */
  async schedule(taskId: string, at: Date, actor: Actor, said = ''): Promise<Outcome> {
    const now = this.d.clock();
    const bounds = scheduleBoundsRefusal(at, now);
    if (bounds) return say(`Cannot schedule ${taskId}: ${bounds}.`);
    const task = await this.d.tasks.get(taskId);
    if (!task) return taskNotFound(taskId);
    const operator = await this.d.governance.operatorRefusal(actor.user);
    if (operator) return say(operator);
    const refusal = scheduleRefusal(task);
    if (refusal) return say(refusal);
    const schedule: TaskSchedule = { at: at.toISOString(), by: actor.user, jobId: this.d.runs.scheduledStartId(taskId, at) };
    const r = await this.d.tasks.update(taskId, (t) => {
      const now = scheduleRefusal(t);
      return now ? new Refusal(now) : { ...t, schedule };
    });
    if (!r.ok) return r.task ? say(r.reason) : taskNotFound(taskId);
    // Written first, queued second: the reconciler queues a schedule whose job never came.
    await this.d.runs.scheduleStart(taskId, schedule);
    const was = r.before.schedule;
    if (was && was.jobId !== schedule.jobId) await this.d.runs.unscheduleStart(was.jobId);
    await this.d.audit.record({
      at: now.toISOString(), actor: actor.user, action: 'schedule', target: taskId, env: task.env,
      detail: `start at ${schedule.at}${was ? `; replaces ${was.at}` : ''}`,
    });
    await this.d.notifier.cardChanged(taskRef(taskId), { urgent: true });
    const replaces = was ? ` (instead of ${slackDate(was.at)})` : '';
    await this.d.notifier.thread(taskRef(taskId), `Scheduled by ${mention(actor.user)} for ${slackDate(schedule.at)}${replaces}`);
    return say(`Scheduled: ${taskId} starts ${slackDate(schedule.at)}${said}. ${this.then(task, at)}Cancel it on the card or with \`/release cancel ${taskId}\`.`, true);
  }

  /** What will happen at that time, as far as the policy says now. */
  private then(task: ReleaseTask, at: Date): string {
    const policy = this.d.governance.policy;
    const frozen = policy.freezeAt('task', 'start', task.env, at);
    if (frozen) return `Note: ${task.env} is frozen then (${frozen}), so the start will be refused unless the window changes. `;
    if (policy.approvalsNeeded('task', 'start', task.env) > 0) return `Then the card asks the ${task.env} approvers to approve it. `;
    return '';
  }

  /** Drop the scheduled start of `taskId` (Cancel on the card, `/release cancel`). */
  async cancelSchedule(taskId: string, actor: Actor): Promise<Outcome> {
    const task = await this.d.tasks.get(taskId);
    if (!task) return taskNotFound(taskId);
    const card = await this.pipeline.cardRefusal(task, actor, 'cancel');
    if (card) return card;
    const operator = await this.d.governance.operatorRefusal(actor.user);
    if (operator) return say(operator);
    const none = (t: ReleaseTask) => `${t.id} has no scheduled start${t.status === 'To release' ? '' : ` (it is ${t.status})`}.`;
    if (!task.schedule) return say(none(task));
    const r = await this.d.tasks.update(taskId, (t) => {
      if (!t.schedule) return new Refusal(none(t));
      const { schedule: _dropped, ...rest } = t;
      return rest;
    });
    if (!r.ok) return r.task ? say(r.reason) : taskNotFound(taskId);
    const was = r.before.schedule!;
    await this.d.runs.unscheduleStart(was.jobId);
    await this.d.audit.record({ at: this.d.clock().toISOString(), actor: actor.user, action: 'cancel-schedule', target: taskId, env: task.env, detail: `start at ${was.at}` });
    await this.d.notifier.cardChanged(taskRef(taskId), { urgent: true });
    await this.d.notifier.thread(taskRef(taskId), `The start scheduled for ${slackDate(was.at)} was cancelled by ${mention(actor.user)}`);
    return say(`Cancelled: ${taskId} will not start at ${slackDate(was.at)}; it stays ${r.task.status}.`, true);
  }

  /**
   * The delayed job fired: start the task as its requester, through the same gate as a click,
   * if its schedule is still this one (not cancelled, moved or started by hand meanwhile).
   */
  async fire(s: ScheduledStart): Promise<void> {
    const task = await this.d.tasks.get(s.taskId);
    if (task?.schedule?.jobId !== s.jobId) return;
    const late = this.d.clock().getTime() - Date.parse(s.at);
    let outcome: Outcome;
    if (late > MAX_SCHEDULE_LATE_MS) {
      outcome = say(`it is ${shortDuration(late)} late (the bot was not running then). Schedule it again, or start it now.`);
    } else {
      // Its own write drops the schedule; anything else (a refusal, an approval request) leaves it.
      outcome = await this.pipeline.act(s.taskId, 'start', { user: s.by, channel: task.channel }, { scheduled: s.jobId });
    }
    const cleared = await this.d.tasks.update(s.taskId, (t) => {
      if (t.schedule?.jobId !== s.jobId) return new Refusal('not this schedule');
      const { schedule: _done, ...rest } = t;
      return rest;
    });
    if (!cleared.ok) return; // started, or cancelled or moved meanwhile: nothing to say
    await this.d.notifier.cardChanged(taskRef(s.taskId));
    if (outcome.changed) return; // waiting for approval: the thread says so already
    await this.d.audit.record({
      at: this.d.clock().toISOString(), actor: s.by, action: 'scheduled-start-refused', target: s.taskId, env: task.env, detail: `${s.at}: ${outcome.text}`,
    });
    await this.d.notifier.thread(taskRef(s.taskId), `${mention(s.by)} The scheduled start at ${slackDate(s.at)} did not run: ${lowerFirst(outcome.text)}`);
  }
}

/** "Production is frozen" → "production is frozen", after a colon; IDs and mentions stay. */
function lowerFirst(text: string): string {
  return /^[A-Z][a-z]/.test(text) ? text.charAt(0).toLowerCase() + text.slice(1) : text;
}
