/**
 * Blue-green release jobs, in the words of the blue-green manual (shared/seeds/004_…): basic
 * information (name, status, release type, release object), main versions (blue and green,
 * labelled Active and Stable) and historical versions. Pure types and helpers only.
 */
import type { ApprovalDecision, ApprovalRequest } from './approval.js';
import type { CheckRun } from './checks.js';
import type { SlackUserId } from './entity.js';

export const JOB_STATUSES = ['Healthy', 'Progressing', 'Paused', 'Promoting', 'Terminating', 'Degraded'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** While one of these runs, the job takes no other operation. */
export const BUSY_JOB_STATUSES: readonly JobStatus[] = ['Progressing', 'Promoting', 'Terminating'];

export type Slot = 'blue' | 'green';
export const otherSlot = (s: Slot): Slot => (s === 'blue' ? 'green' : 'blue');

/** One of the two main versions. */
export interface MainVersion {
  slot: Slot;
  revision: number;
  image: string;
  replicas: number;
  createdAt: string;
}

/** How a historical version's run ended. */
export type VersionOutcome = 'released' | 'terminated' | 'failed';

export interface HistoricalVersion {
  revision: number;
  image: string;
  /** When it was released, terminated or failed. */
  at: string;
  by: SlackUserId;
  outcome: VersionOutcome;
  /** Set when the version was started by a rollback to an earlier revision. */
  rollbackOf?: number;
}

/** The new version a running or paused process brings up beside the stable one. */
export interface PendingVersion {
  slot: Slot;
  revision: number;
  image: string;
  /** Who brought it up (Update Version or Rollback). */
  by: SlackUserId;
  /** Who clicked Release or Terminate on it: history credits them with the outcome. */
  decidedBy?: SlackUserId;
  /** Released over its failing (or unfinished) checks with an approver's reason: no watch undoes that release. */
  overChecks?: boolean;
  rollbackOf?: number;
}

export interface BlueGreenJob {
  /** The job's name is its ID: `/bluegreen release web`. */
  id: string;
  name: string;
  status: JobStatus;
  releaseType: 'Blue-Green';
  /** Release object: environment + workload. */
  env: string;
  workload: string;
  description?: string;
  replicas: number;
  /** Main versions by slot; two of them only while a new version is up. */
  versions: Partial<Record<Slot, MainVersion>>;
  /** Slot that receives traffic. */
  active: Slot;
  /** Slot last promoted (released). */
  stable: Slot;
  pending?: PendingVersion;
  /** An operation waiting for approval (protected environments). */
  approval?: ApprovalRequest;
  /** The last approval decision (approved, rejected, freeze overridden): the card keeps showing it. */
  decision?: ApprovalDecision;
  /** Why the new version failed (Degraded). */
  degradedReason?: string;
  /**
   * The environment's checks on the new version: the preview gate while Paused, or the watch
   * after Release while the old version is kept (`until`). Release waits for the preview to pass.
   */
  checks?: CheckRun;
  /** Newest last. */
  history: HistoricalVersion[];
  nextRevision: number;
  createdAt: string;
  createdBy: SlackUserId;
  updatedAt: string;
  /** Increments each time a worker run is queued. */
  run: number;
  /** Compare-and-set version: every write adds one. */
  version: number;
  /**
   * What the card's controls mean (status, run, approval, the pending version, where the traffic
   * goes): buttons carry it, so a click on an outdated card is refused, but a check sample written
   * meanwhile does not make them stale. Absent on jobs not written since it was kept: `version`.
   */
  stateVersion?: number;
  channel: string;
}

export function isBusy(status: JobStatus): boolean {
  return BUSY_JOB_STATUSES.includes(status);
}

/** The version a job's card controls carry (see stateVersion). */
export function jobCardVersion(job: Pick<BlueGreenJob, 'version' | 'stateVersion'>): number {
  return job.stateVersion ?? job.version;
}

/** A worker has something to do for the job: an operation, or checks still running on a Paused version. */
export function needsRun(job: Pick<BlueGreenJob, 'status' | 'checks'>): boolean {
  return isBusy(job.status) || (job.status === 'Paused' && job.checks?.state === 'running');
}

/** Revisions a Rollback may go to: released ones other than the one serving now. */
export function rollbackTargets(job: BlueGreenJob): HistoricalVersion[] {
  const serving = job.versions[job.stable]?.revision;
  const seen = new Set<number>();
  return [...job.history]
    .reverse()
    .filter((h) => h.outcome === 'released' && h.revision !== serving && !seen.has(h.revision) && seen.add(h.revision));
}
