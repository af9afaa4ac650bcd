/**
 * The orchestrator: one job per task run. It releases (or rolls back) the run's components with
 * bounded parallelism, honours Suspending and the Best Effort Policy, and settles the task.
 *
 * The job is resumable: everything it knows lives in the task in Redis, and each platform step
 * is keyed by `<task>-<run>-<component>`, so a run picked up again after its worker died skips
 * what is recorded and re-asks the platform for what was in flight, which answers without
 * applying anything twice.
 */
import { componentKey, isActive, runStarter, type ComponentState, type ReleaseTask } from '../../domain/release-task.js';
import {
  begunComponent,
  endRun,
  failures,
  finishComponent,
  finishedComponent,
  pendingComponents,
  runFailed,
  runKind,
  stopRemaining,
  timeSpent,
  type StepResult,
} from '../../domain/task-run.js';
import { driftCandidates, planDrift, type Drift } from '../../domain/plan.js';
import { expandLink, type LinkTemplates } from '../../domain/links.js';
import { systemTransition, type SystemEvent } from '../../domain/task-machine.js';
import { readComponents } from '../../platform/read.js';
import type { Platform } from '../../platform/port.js';
import { cc, esc, plural, shortDuration, truncate } from '../../text.js';
import { DelayedError } from 'bullmq';
import { setTimeout as sleep } from 'node:timers/promises';
import { taskRef, type EntityRef } from '../../domain/entity.js';
import type { Notifier } from '../../ports/notifier.js';
import type { ReleaseEvents } from '../../ports/release-events.js';
import type { AuditLog } from '../../store/audit-log.js';
import type { ComponentLocks } from '../../store/locks.js';
import type { TaskStore } from '../../store/task-store.js';
import { Refusal } from '../../store/versioned-store.js';
import type { OperationMetrics } from '../../ports/metrics.js';
import type { JobContext } from '../worker-host.js';
import type { TaskRunPayload } from '../catalogue.js';
import { failedDetail, nextCheckAt, startChecks, type CheckRun, type CheckSpec } from '../../domain/checks.js';
import type { Gates } from '../../checks/gates.js';

export interface RunTaskDeps {
  tasks: TaskStore;
  locks: ComponentLocks;
  platform: Platform;
  notifier: Notifier;
  /** Told when a run ends, right after the store says so (webhooks, a workflow step waiting). */
  events: ReleaseEvents;
  audit: AuditLog;
  metrics: OperationMetrics;
  clock: () => Date;
  /** Card edits and failure replies of a run go out at most once per this many ms (CARD_COALESCE_MS). */
  progressIntervalMs?: number;
  /** The environment's link templates (the policy file's `links`): failure replies link each component's logs. */
  links?: (env: string) => LinkTemplates;
  /** The environment's checks (policy `checks`): a released component must pass them. */
  gates?: Gates;
}

export function runTaskHandler(d: RunTaskDeps) {
  return async ({ taskId, run }: TaskRunPayload, ctx: JobContext): Promise<void> => {
    const current = (t: Pick<ReleaseTask, 'run' | 'status'> | undefined): boolean => !!t && t.run === run && isActive(t.status);
    let task = await d.tasks.get(taskId);
    if (!task || !current(task)) return; // settled already, deleted, or superseded by a later run

    if (task.run === 1 && task.planCheckedRun !== run) {
      await tellDrift(d, task);
      task = await d.tasks.get(taskId);
      if (!task || !current(task)) return;
    }

    // The task is read once; from here on each component is written on its own (one script per
    // begin and per finish), and between launches only the run's status is read.
    const kind = runKind(task);
    const snapshot = task;
    const index = new Map(task.components.map((c, i) => [c.name, i]));
    const queue = pendingComponents(task);
    const logs = d.links?.(task.env).logs;
    const env = task.env;
    const logsOf = logs ? (component: string) => expandLink(logs, { env, task: taskId, component, workload: component }) : undefined;
    const report = new RunReport(d.notifier, taskRef(taskId), d.progressIntervalMs ?? 1000, logsOf);
    const specs = d.gates?.specs(env) ?? [];
    const inFlight = new Map<string, Promise<void>>();
    let stopped = false; // best effort Off and a component failed
    let over = false; // the run was settled or superseded elsewhere

    const step = async (c: ComponentState) => {
      const i = index.get(c.name)!;
      const begun = begunComponent(kind, c, d.clock());
      if (!(await d.tasks.progress(taskId, run, i, begun))) {
        over = true;
        return;
      }
      report.changed();
      let result = await callPlatform(d.platform, snapshot, begun);
      let checked = begun;
      // Ready is not yet good: where the environment has checks, the component must pass them.
      if (result.ok && kind === 'release' && specs.length > 0) {
        const checks = await gateComponent(d, { taskId, env, run, index: i, component: begun, image: result.image, specs, signal: ctx.signal, report });
        if (checks === 'over') {
          over = true;
          return;
        }
        // Shutting down: the component stays Releasing, and the run resumed elsewhere checks it again.
        if (checks === 'stopped') return;
        checked = { ...begun, checks };
        if (checks.state === 'failed') result = { ok: false, error: failedDetail(checks), image: result.image, ...(result.previousImage ? { previousImage: result.previousImage } : {}) };
      }
      const done = finishedComponent(kind, run, checked, result, d.clock());
      if (!(await d.tasks.progress(taskId, run, i, done))) {
        over = true;
        return;
      }
      if (!result.ok) {
        if (!snapshot.bestEffort && kind === 'release') stopped = true;
        report.failed(c.name, result.error);
      }
      report.changed();
    };

    try {
      for (;;) {
        if (queue.length > 0 && inFlight.size < snapshot.parallel && !stopped && !over && !ctx.signal.aborted) {
          const state = await d.tasks.runState(taskId);
          if (!current(state)) over = true;
          else if (state!.status !== 'Suspending') {
            while (queue.length > 0 && inFlight.size < snapshot.parallel) {
              const c = queue.shift()!;
              inFlight.set(c.name, step(c).finally(() => inFlight.delete(c.name)));
            }
          }
        }
        if (inFlight.size === 0) break;
        try {
          await Promise.race(inFlight.values());
        } catch (err) {
          // The platform or the store did not answer: let the other steps settle, then hand the run
          // back to be retried; it resumes where the task says, and no step applies twice.
          await Promise.allSettled(inFlight.values());
          throw err;
        }
      }
    } finally {
      await report.flush();
    }
    // Shutting down: hand the run back to the queue (no attempt used); another worker resumes it.
    if (ctx.signal.aborted) {
      await ctx.job.moveToDelayed(Date.now(), ctx.token);
      throw new DelayedError();
    }
    task = await d.tasks.get(taskId);
    if (task && current(task)) await settle(d, task, stopped);
  };
}

/**
 * A released component's checks: sampled as they fall due until each passed (held for its `for`)
 * or one failed; every round is written to the component, so the card shows the checks going.
 * 'over': the run was settled or superseded meanwhile; 'stopped': the worker is shutting down.
 */
async function gateComponent(
  d: RunTaskDeps,
  g: { taskId: string; env: string; run: number; index: number; component: ComponentState; image: string; specs: CheckSpec[]; signal: AbortSignal; report: RunReport },
): Promise<CheckRun | 'over' | 'stopped'> {
  const { component: c } = g;
  // A component is its own workload; a batch release has no slot.
  const vars = { env: g.env, component: c.name, workload: c.name, slot: '', image: g.image };
  let checks = startChecks('component', d.clock());
  for (;;) {
    checks = await d.gates!.sample(g.specs, checks, vars, d.clock);
    if (!(await d.tasks.progress(g.taskId, g.run, g.index, { ...c, checks }))) return 'over';
    g.report.changed();
    if (checks.state !== 'running') return checks;
    await pause(nextCheckAt(g.specs, checks, d.clock()).getTime() - d.clock().getTime(), g.signal);
    if (g.signal.aborted) return 'stopped';
  }
}

/** Sleep `ms`, or less if `signal` aborts first (a shutdown). */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return ms > 0 ? sleep(ms, undefined, { signal }).catch(() => undefined) : Promise.resolve();
}

/**
 * What a run tells Slack while it goes, coalesced so a task of thousands of components costs a
 * handful of calls: at most one card-edit request per interval, and the failures of an interval
 * in one thread reply ("12 failed: `a`, `b`, `c` and 9 more").
 */
export class RunReport {
  private failures: Array<{ name: string; error: string }> = [];
  private cardDirty = false;
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> = Promise.resolve();

  constructor(
    private readonly notifier: Notifier,
    private readonly ref: EntityRef,
    private readonly intervalMs: number,
    /** A failed component's logs URL, when the policy has a logs template. */
    private readonly logsOf?: (component: string) => string | undefined,
  ) {}

  changed(): void {
    this.cardDirty = true;
    this.schedule();
  }

  failed(name: string, error: string): void {
    this.failures.push({ name, error });
    this.schedule();
  }

  /** Send what is pending now (the end of the run, or the interval elapsed). */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const failures = this.failures;
    const card = this.cardDirty;
    this.failures = [];
    this.cardDirty = false;
    // One send at a time, in order: a reply never overtakes the one before it.
    const send = this.sending.catch(() => undefined).then(async () => {
      if (failures.length > 0) await this.notifier.thread(this.ref, failureReply(failures, this.logsOf));
      if (card) await this.notifier.cardChanged(this.ref);
    });
    this.sending = send;
    return send;
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      // A failed send is the run's to notice at its own flush; the timer never throws.
      this.flush().catch(() => undefined);
    }, this.intervalMs);
  }
}

/** Failures named in one grouped reply before "and N more". */
const FAILURES_NAMED = 5;
const ERROR_CHARS = 120;

export function failureReply(failures: ReadonlyArray<{ name: string; error: string }>, logsOf?: (component: string) => string | undefined): string {
  // "<url|logs>": the URL is the policy's template with URL-encoded values, so it cannot end the link early.
  const logs = (name: string) => {
    const url = logsOf?.(name);
    return url ? ` <${url}|logs>` : '';
  };
  const one = (f: { name: string; error: string }) => `\`${f.name}\` failed: ${esc(f.error)}${logs(f.name) ? ` ·${logs(f.name)}` : ''}`;
  if (failures.length === 1) return one(failures[0]!);
  const named = failures.slice(0, FAILURES_NAMED).map((f) => `\`${f.name}\` (${esc(truncate(f.error.replace(/\s+/g, ' '), ERROR_CHARS))}${logs(f.name) ? `,${logs(f.name)}` : ''})`);
  const more = failures.length - named.length;
  return `${failures.length} failed: ${named.join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
}

/**
 * The run failed its last attempt (Redis or the worker kept failing): end it as failed, so the
 * task's locks are let go and a person can retry or roll back.
 */
export function abandonTaskRun(d: RunTaskDeps) {
  return async ({ taskId, run }: TaskRunPayload, err: Error): Promise<void> => {
    const now = d.clock();
    const reason = `the run stopped: ${err.message}`;
    const r = await d.tasks.update(taskId, (t) => {
      if (t.run !== run || !isActive(t.status)) return new Refusal('settled');
      const kind = runKind(t);
      const event: SystemEvent = kind === 'rollback' ? { type: 'rollback-finished', failed: true } : { type: 'release-finished', failed: true };
      const tr = systemTransition(t, event);
      if (!tr.ok) return new Refusal(tr.reason);
      let next = t;
      // In flight (or, for a rollback, not yet back): failed. Never started: not released.
      const unfinished = pendingComponents(t).filter((c) => kind === 'rollback' || (c.startedAt && !c.endedAt));
      for (const c of unfinished) next = finishComponent(next, c.name, { ok: false, error: reason }, now);
      return { ...endRun(stopRemaining(next), now), status: tr.to };
    });
    if (!r.ok) return;
    const t = r.task;
    await d.events.settled(taskRef(t.id), t.status, t.run);
    await d.locks.release(t.id, t.components.map((c) => componentKey(t.env, c.name)));
    await d.audit.record({ at: now.toISOString(), actor: 'system', action: 'run-abandoned', target: t.id, env: t.env, from: r.before.status, to: t.status, detail: err.message });
    await d.notifier.cardChanged(taskRef(t.id), { urgent: true });
    await d.notifier.thread(taskRef(t.id), `${t.status}: ${esc(reason)}. Retry or roll back once the cause is fixed.${cc(runStarter(t))}`);
  };
}

/**
 * The first run of a task (its start) reads the plan again: what changed since create is named
 * in the thread before anything is released, and a No change component that no longer runs its
 * target is released after all. Told before it is marked: after a crash between the two the
 * thread says it twice, never not at all. The reading only informs, so it never fails the run.
 */
async function tellDrift(d: RunTaskDeps, task: ReleaseTask): Promise<void> {
  let drift: Drift;
  try {
    const names = driftCandidates(task);
    const [now, source] = await Promise.all([
      readComponents(d.platform, task.env, names),
      task.operation === 'Bulk Clone' && task.sourceEnv ? readComponents(d.platform, task.sourceEnv, names) : undefined,
    ]);
    drift = planDrift(task, now, source);
  } catch (err) {
    drift = { lines: [], release: [] };
    await d.notifier.thread(taskRef(task.id), `Could not read the plan again (${esc((err as Error).message)}); the release goes ahead as planned.`);
  }
  if (drift.lines.length) {
    await d.notifier.thread(taskRef(task.id), `Changed since the plan (${drift.lines.length}): ${drift.lines.map(esc).join('; ')}.`);
  }
  await d.tasks.update(task.id, (t) => {
    if (t.run !== task.run || t.planCheckedRun === task.run) return new Refusal('told');
    const components = t.components.map((c) => {
      if (!drift.release.includes(c.name) || c.status !== 'No change' || !c.plan) return c;
      const { unchanged: _u, ...plan } = c.plan;
      return { ...c, status: 'To release' as const, plan };
    });
    return { ...t, components, planCheckedRun: task.run };
  });
}

/**
 * A rollback step puts the previous image back only over the image this task put there; the
 * operation checked that already, this closes the race with anything released since.
 */
async function rollbackRefusal(p: Platform, task: ReleaseTask, c: ComponentState): Promise<string | undefined> {
  if (task.rollbackForced) return undefined;
  const runs = (await p.get(task.env, c.name))?.image;
  if (runs === c.image || runs === c.previousImage) return undefined;
  return `not rolled back: it runs ${runs ?? 'nothing'} now, not ${c.image} that this task put there (roll back the newer release first, or --force)`;
}

/**
 * One step on the platform. A failed rollout is the platform's verdict (`ok: false`); a throw is the
 * platform or its store not answering (Redis restarting, an API server error), which says nothing
 * about the component: it propagates, and the run is retried (steps are idempotent by opId).
 */
async function callPlatform(p: Platform, task: ReleaseTask, c: ComponentState): Promise<StepResult> {
  const opId = `${task.id}-${task.run}-${c.name}`;
  const changed = runKind(task) === 'rollback' ? await rollbackRefusal(p, task, c) : undefined;
  if (changed) return { ok: false, error: changed };
  const out =
    runKind(task) === 'rollback'
      ? await p.upgrade({ opId, env: task.env, name: c.name, image: c.previousImage! })
      : task.operation === 'Bulk Deploy'
        ? await p.deploy({ opId, env: task.env, name: c.name, image: c.image!, replicas: c.replicas ?? 1 })
        : task.operation === 'Bulk Upgrade'
          ? await p.upgrade({ opId, env: task.env, name: c.name, image: c.image! })
          : await p.clone({ opId, fromEnv: task.sourceEnv!, env: task.env, name: c.name });
  return out.ok
    ? { ok: true, image: out.component.image, ...(out.previousImage ? { previousImage: out.previousImage } : {}) }
    : { ok: false, error: out.error };
}

/** End the run: Suspended if it was asked to stop early, else Released / failed / Rolled back. */
async function settle(d: RunTaskDeps, task: ReleaseTask, stopped: boolean): Promise<void> {
  const kind = runKind(task);
  const left = pendingComponents(task).length;
  const event: SystemEvent =
    // A best-effort-Off failure ends the release even while suspending: there is nothing to resume.
    task.status === 'Suspending' && left > 0 && !stopped
      ? { type: 'suspended' }
      : kind === 'rollback'
        ? { type: 'rollback-finished', failed: runFailed(task) }
        : { type: 'release-finished', failed: stopped || runFailed(task) };
  const now = d.clock();
  const r = await d.tasks.update(task.id, (t) => {
    const tr = systemTransition(t, event);
    if (!tr.ok || t.run !== task.run) return new Refusal(tr.ok ? 'superseded' : tr.reason);
    const base = stopped ? stopRemaining(t) : t;
    return {
      ...endRun(base, now),
      status: tr.to,
      ...(tr.to === 'Released' ? { releasedAt: now.toISOString() } : {}),
    };
  });
  if (!r.ok) return;
  const t = r.task;
  // First after the write: a retry of this job finds the task settled and does none of what follows.
  await d.events.settled(taskRef(t.id), t.status, t.run);
  await d.locks.release(t.id, t.components.map((c) => componentKey(t.env, c.name)));
  await d.audit.record({ at: now.toISOString(), actor: 'system', action: event.type, target: t.id, env: t.env, from: r.before.status, to: t.status });
  d.metrics.operation(kind, t.status);
  // Coming to rest is news, not progress: the card must not offer Release while its thread
  // says Release failed (still one edit per card per window).
  await d.notifier.cardChanged(taskRef(t.id), { urgent: true });
  await d.notifier.thread(taskRef(t.id), summary(t, now) + cc(runStarter(t)));
}

/**
 * The thread's last word on a run. The duration is summed over every run of its kind (a task
 * suspended and resumed says how long it spent releasing in all), "under 1 s" when short.
 */
function summary(t: ReleaseTask, now: Date): string {
  const ms = timeSpent(t, now);
  const took = ms === undefined ? 'an unknown time' : shortDuration(ms);
  const total = t.components.length;
  const count = (s: string) => t.components.filter((c) => c.status === s).length;
  const their = (n: number) => (n === 1 ? 'its previous version' : 'their previous versions');
  // A rollback names only what failed to go back, not components whose release failed earlier.
  const failed = failures(t)
    .filter((c) => t.status !== 'Rollback failed' || c.status === 'Rollback failed')
    .map((c) => `\`${c.name}\``);
  switch (t.status) {
    case 'Released': {
      const same = count('No change');
      return `Released in ${took}: ${count('Released')}/${total} component${total === 1 ? '' : 's'}${same ? ` (${same} no change)` : ''}`;
    }
    case 'Release failed': {
      const notReleased = count('Not released');
      return (
        `Release failed after ${took}: ${count('Released')}/${total} released; failed: ${failed.join(', ')}` +
        (notReleased ? `; ${notReleased} not released (Best Effort Policy Off)` : '')
      );
    }
    case 'Suspended':
      return `Suspended after ${took} of releasing: ${count('Released')}/${total} released, ${count('To release')} to release. Resume to continue.`;
    case 'Rolled back': {
      const back = count('Rolled back');
      const never = count('Not released');
      return (
        `Rolled back in ${took}: ${plural(back, 'component')} back on ${their(back)}` +
        (never ? `; ${plural(never, 'component')} never released, nothing to roll back` : '')
      );
    }
    case 'Rollback failed':
      return `Rollback failed after ${took}: ${failed.join(', ')} could not return to ${their(failed.length)}`;
    default:
      return `${t.status}`;
  }
}
