/**
 * What a run does to a task's components, as pure functions the worker and the operations layer
 * share: which components a run covers, how one component's step is recorded, and how the run
 * ends. Every function returns a new task; none mutates its input.
 */
import type { SlackUserId } from './entity.js';
import { isActive, type ComponentState, type ComponentStatus, type ReleaseTask } from './release-task.js';
import type { UserAction } from './task-machine.js';

export type RunKind = 'release' | 'rollback';

export function runKind(task: Pick<ReleaseTask, 'status'>): RunKind {
  return task.status === 'Rolling back' ? 'rollback' : 'release';
}

/** The kind of run a status tells about: the rollback statuses, the rollback; the others, the release. */
export function statusRunKind(status: ReleaseTask['status']): RunKind {
  return status === 'Rolling back' || status === 'Rolled back' || status === 'Rollback failed' ? 'rollback' : 'release';
}

/** Milliseconds from the current run's start to `now` (0 when unknown). */
function runMs(task: Pick<ReleaseTask, 'startedAt'>, now: Date): number {
  const start = task.startedAt ? Date.parse(task.startedAt) : NaN;
  return Number.isNaN(start) ? 0 : Math.max(0, now.getTime() - start);
}

/**
 * The run ends now (settled, suspended or abandoned): its time joins the total for its kind.
 * Call it on the task before its status moves on, while the status still says which kind ran.
 */
export function endRun(task: ReleaseTask, now: Date): ReleaseTask {
  const kind = runKind(task);
  const before = task.spentMs?.[kind] ?? 0;
  return { ...task, endedAt: now.toISOString(), spentMs: { ...task.spentMs, [kind]: before + runMs(task, now) } };
}

/**
 * Time spent in runs of the kind the status tells about, the run in flight included: "Released
 * in" counts every release run (start, resumes, retries), "Rolled back in" every rollback run.
 * A task from before spentMs was kept falls back to its last run. Undefined: it never ran.
 */
export function timeSpent(task: ReleaseTask, now: Date): number | undefined {
  const kind = statusRunKind(task.status);
  const active = isActive(task.status);
  const spent = task.spentMs?.[kind];
  const current = active ? runMs(task, now) : 0;
  if (spent !== undefined) return spent + current;
  if (active) return current;
  if (!task.startedAt || !task.endedAt || task.run === 0) return undefined;
  return runMs(task, new Date(task.endedAt));
}

function mapComponents(task: ReleaseTask, f: (c: ComponentState) => ComponentState): ReleaseTask {
  return { ...task, components: task.components.map(f) };
}

/** The user actions that begin a release run (rollback begins the other kind). */
const RELEASE_RUNS: readonly UserAction[] = ['start', 'resume', 'retry'];

/**
 * Set the task up for the run a user action begins (the status itself comes from the state
 * machine) and record who began it. Retry re-queues only failed and never-started components;
 * rollback takes every component the task upgraded, plus any whose earlier rollback failed, and
 * marks the components whose release failed Not released.
 */
export function prepareRun(task: ReleaseTask, action: UserAction, by: SlackUserId, now: Date): ReleaseTask {
  // Released By is the task's creator (the manual's definition), so a run never writes it; who
  // started the run goes where the card can tell a release run from a rollback.
  const who = action === 'rollback' ? { rolledBackBy: by } : RELEASE_RUNS.includes(action) ? { startedBy: by } : {};
  let next: ReleaseTask = { ...task, ...who, run: task.run + 1, startedAt: now.toISOString() };
  delete next.endedAt;
  if (action === 'retry') {
    next = mapComponents(next, (c) =>
      c.status === 'Release failed' || c.status === 'Not released' ? clearStep(c, 'To release') : c,
    );
  }
  if (action === 'rollback') {
    // A component whose release failed (and was not applied) still runs what it ran before the task: there is nothing
    // to roll back, and after the rollback it must not read as a current failure. It becomes Not
    // released (its Release History keeps the failure).
    next = mapComponents(next, (c) =>
      // A component whose checks failed runs the new image: it goes back too.
      ((c.status === 'Released' || c.status === 'Release failed') && c.previousImage) || c.status === 'Rollback failed'
        ? clearStep(c, 'Rolling back')
        : c.status === 'Release failed'
          ? notReleased(c)
          : c,
    );
  }
  return next;
}

/** Drops the error with the status (the failed step stays in the component's Release History). */
function notReleased(c: ComponentState): ComponentState {
  const { error: _e, ...rest } = c;
  return { ...rest, status: 'Not released' };
}

function clearStep(c: ComponentState, status: ComponentStatus): ComponentState {
  const { error: _e, startedAt: _s, endedAt: _n, ...rest } = c;
  return { ...rest, status };
}

/** Components the current run still has to process, in task order. */
export function pendingComponents(task: ReleaseTask): ComponentState[] {
  const kind = runKind(task);
  return task.components.filter((c) =>
    kind === 'rollback' ? c.status === 'Rolling back' && !c.endedAt : c.status === 'To release' || c.status === 'Releasing',
  );
}

export function beginComponent(task: ReleaseTask, name: string, now: Date): ReleaseTask {
  const kind = runKind(task);
  return mapComponents(task, (c) => (c.name === name ? begunComponent(kind, c, now) : c));
}

/** One component as its step begins (a step begun before keeps its start time). */
export function begunComponent(kind: RunKind, c: ComponentState, now: Date): ComponentState {
  const status: ComponentStatus = kind === 'rollback' ? 'Rolling back' : 'Releasing';
  return { ...c, status, startedAt: c.startedAt && c.status === status ? c.startedAt : now.toISOString() };
}

/**
 * A step's outcome. A failure that carries `image` was applied and then failed its checks: the
 * component runs the new image, and a rollback can still put `previousImage` back.
 */
export type StepResult = { ok: true; image: string; previousImage?: string } | { ok: false; error: string; image?: string; previousImage?: string };

/** Record a component step's outcome: its status, and one Release History entry. */
export function finishComponent(task: ReleaseTask, name: string, result: StepResult, now: Date): ReleaseTask {
  const kind = runKind(task);
  return mapComponents(task, (c) => (c.name === name ? finishedComponent(kind, task.run, c, result, now) : c));
}

/** One component as its step in run `run` ends. */
export function finishedComponent(kind: RunKind, run: number, c: ComponentState, result: StepResult, now: Date): ComponentState {
  const status: ComponentStatus =
    kind === 'rollback' ? (result.ok ? 'Rolled back' : 'Rollback failed') : result.ok ? 'Released' : 'Release failed';
  const endedAt = now.toISOString();
  const next: ComponentState = { ...c, status, endedAt };
  // Rollback returns to previousImage; keep it only for an upgrade that can be rolled back. A
  // retry that finds its image already there (applied, then failed its checks) keeps the first.
  const previous = result.previousImage && result.previousImage !== result.image ? result.previousImage : undefined;
  if (result.ok) {
    delete next.error;
    next.image = result.image;
    if (kind === 'release' && previous) next.previousImage = previous;
    if (kind === 'rollback') delete next.previousImage;
  } else {
    next.error = result.error;
    if (result.image) next.image = result.image;
    if (kind === 'release' && previous) next.previousImage = previous;
  }
  next.history = [
    ...c.history,
    {
      run,
      action: kind,
      status,
      ...(c.startedAt ? { startedAt: c.startedAt } : {}),
      endedAt,
      ...(result.image ? { image: result.image } : {}),
      ...(result.ok ? {} : { error: result.error }),
      ...(result.image && previous ? { previousImage: previous } : {}),
      ...(kind === 'rollback' && c.image ? { previousImage: c.image } : {}),
    },
  ];
  return next;
}

/** Best effort Off: after a failure, components not yet started are recorded as not released. */
export function stopRemaining(task: ReleaseTask): ReleaseTask {
  return mapComponents(task, (c) => (c.status === 'To release' ? { ...c, status: 'Not released' } : c));
}

/** Did the run fail? Release: any component not Released. Rollback: any Rollback failed. */
export function runFailed(task: ReleaseTask): boolean {
  return runKind(task) === 'rollback'
    ? task.components.some((c) => c.status === 'Rollback failed')
    : task.components.some((c) => c.status !== 'Released' && c.status !== 'No change');
}

export function failures(task: ReleaseTask): ComponentState[] {
  return task.components.filter((c) => c.status === 'Release failed' || c.status === 'Rollback failed');
}
