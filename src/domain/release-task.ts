/**
 * Release tasks, in the words of the batch release manual (shared/seeds/000_…):
 * statuses, operation types, Best Effort Policy, Release Info and Release History.
 * Pure types and helpers only: no I/O.
 */

import type { ApprovalDecision, ApprovalRequest } from './approval.js';
import type { CheckRun } from './checks.js';
import type { SlackUserId } from './entity.js';
import type { TaskSchedule } from './schedule.js';

/** Task statuses; the value is the label users see, exactly as the manual writes it. */
export const TASK_STATUSES = [
  'To release',
  'Releasing',
  'Released',
  'Release failed',
  'Rolling back',
  'Rolled back',
  'Rollback failed',
  'Suspending',
  'Suspended',
] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** Statuses in which a task owns its components' locks and a worker is (or will be) running it. */
export const ACTIVE_STATUSES: readonly TaskStatus[] = ['Releasing', 'Suspending', 'Rolling back'];

export const OPERATION_TYPES = ['Bulk Deploy', 'Bulk Upgrade', 'Bulk Clone'] as const;
export type OperationType = (typeof OPERATION_TYPES)[number];

/** Grammar keyword for each operation type (`/release create <name> deploy …`). */
export const OPERATION_KEYWORDS: Record<'deploy' | 'upgrade' | 'clone', OperationType> = {
  deploy: 'Bulk Deploy',
  upgrade: 'Bulk Upgrade',
  clone: 'Bulk Clone',
};

/** Per-component status labels, shown in Release History. */
export const COMPONENT_STATUSES = [
  'To release',
  'Releasing',
  'Released',
  'Release failed',
  'Not released', // never started: the task stopped first (best effort Off)
  'No change', // already ran the target when the task was created: the run skips it
  'Rolling back',
  'Rolled back',
  'Rollback failed',
] as const;
export type ComponentStatus = (typeof COMPONENT_STATUSES)[number];

/** Release Info of one component: what the task will do to it. */
export interface ComponentSpec {
  name: string;
  /** Target image (deploy, upgrade). Clone copies the source environment's image. */
  image?: string;
  /** Replicas for deploy (default 1). */
  replicas?: number;
}

/** One entry of a component's Release History. */
export interface ComponentEvent {
  /** Which run of the task (1 = first start, then resume/retry/rollback each add one). */
  run: number;
  action: 'release' | 'rollback';
  status: ComponentStatus;
  startedAt?: string;
  endedAt?: string;
  error?: string;
  /** Image the component had before this step (upgrade, rollback). */
  previousImage?: string;
  /** Image the component has after this step, when it was applied (it may then have failed its checks). */
  image?: string;
}

/**
 * The plan for one component, read from the platform when the task was created: what ran then
 * and what the task makes of it ("web: registry/web:1.3 (2 replicas) -> registry/web:1.4").
 */
export interface ComponentPlan {
  /** What ran at create; undefined: nothing by that name. */
  was?: { image: string; replicas: number };
  /** The image the component will run (for clone, the source environment's image at create). */
  target: string;
  /** It already ran the target: marked No change, and the run skips it. */
  unchanged?: boolean;
}

export interface ComponentState extends ComponentSpec {
  status: ComponentStatus;
  /** Absent on tasks created before plans existed. */
  plan?: ComponentPlan;
  startedAt?: string;
  endedAt?: string;
  error?: string;
  /** Image before the last applied upgrade: where rollback returns to. */
  previousImage?: string;
  /** The environment's checks after the component was ready (policy `checks`): the latest sample of each. */
  checks?: CheckRun;
  history: ComponentEvent[];
}

export interface ReleaseTask {
  /** Short, copyable ID, e.g. rt-7k2f9q. */
  id: string;
  name: string;
  status: TaskStatus;
  operation: OperationType;
  bestEffort: boolean;
  /** Components released at once (default 4). */
  parallel: number;
  description?: string;
  /** Target environment. */
  env: string;
  /** Source environment (Bulk Clone only). */
  sourceEnv?: string;
  components: ComponentState[];
  createdAt: string;
  createdBy: SlackUserId;
  /** Before plans and guarded rollbacks: who last started, resumed, retried or rolled back the task. */
  releasedBy?: SlackUserId;
  /** Who started, resumed or retried the last release run. */
  startedBy?: SlackUserId;
  /** Who started the last rollback. */
  rolledBackBy?: SlackUserId;
  /** The run whose start compared the plan with what runs now (drift is told once per run). */
  planCheckedRun?: number;
  /** The current rollback was forced over components changed since the task released them. */
  rollbackForced?: boolean;
  /** When the current run started. */
  startedAt?: string;
  /** When the task reached Released. */
  releasedAt?: string;
  /** When the task last reached a settled status (Released, Release failed, Rolled back, …). */
  endedAt?: string;
  /**
   * Milliseconds spent running, summed over the runs that have ended, per kind of run: a task
   * suspended and resumed took the sum of its runs, not just the last (startedAt..endedAt).
   * Absent on tasks from before it was kept (and on tasks that never ran).
   */
  spentMs?: { release?: number; rollback?: number };
  /** Increments each time a worker run is queued (start, resume, retry, rollback). */
  run: number;
  /** Optimistic-concurrency version: bumps on every write, component progress included. */
  version: number;
  /** Bumps only when what the card's buttons mean changes (status, run, approval); buttons carry
   *  it, so a click on an outdated card is refused but component progress does not make cards stale. */
  stateVersion: number;
  /** An operation waiting for approval (protected environments). */
  approval?: ApprovalRequest;
  /** The last approval decision (approved, rejected, freeze overridden): the card keeps showing it. */
  decision?: ApprovalDecision;
  /** A start asked for later (`--at`): the task stays To release until then. */
  schedule?: TaskSchedule;
  /** Channel of the status card (its ts is kept apart, see store/card-store.ts, so posting it
   *  does not bump `version`). */
  channel: string;
  /**
   * Created by a Workflow Builder step that waits for the task to end: its execution, completed
   * with the task's ID and status when a run first ends for good (WORKFLOW_FINAL_STATUSES).
   */
  workflow?: { executionId: string; /** The status the step was completed with, once it was. */ completed?: TaskStatus };
}

/** The statuses that end a workflow step's wait: Suspended may still be resumed, these are an answer. */
export const WORKFLOW_FINAL_STATUSES: readonly TaskStatus[] = ['Released', 'Release failed', 'Rolled back', 'Rollback failed'];

/** A task without its components: what lists and the reconciler need, one small read each. */
export type TaskHead = Omit<ReleaseTask, 'components'>;

export const DEFAULT_PARALLEL = 4;

export function isActive(status: TaskStatus): boolean {
  return ACTIVE_STATUSES.includes(status);
}

/** Lock key for a component: a component is its environment plus its name. */
export function componentKey(env: string, name: string): string {
  return `${env}/${name}`;
}

export function countByStatus(task: ReleaseTask): Partial<Record<ComponentStatus, number>> {
  const counts: Partial<Record<ComponentStatus, number>> = {};
  for (const c of task.components) counts[c.status] = (counts[c.status] ?? 0) + 1;
  return counts;
}

/** Who started the task's last run: its rollback's starter while rolling back or after, else the release's. */
export function runStarter(t: Pick<ReleaseTask, 'status' | 'startedBy' | 'releasedBy' | 'rolledBackBy'>): SlackUserId | undefined {
  return ['Rolling back', 'Rolled back', 'Rollback failed'].includes(t.status) ? t.rolledBackBy : (t.startedBy ?? t.releasedBy);
}
