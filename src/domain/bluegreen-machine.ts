/**
 * The blue-green job state machine, pure. Update Version: Healthy -> Progressing -> Paused (or
 * Degraded when the new version never becomes ready). Release: Paused -> Promoting -> Healthy.
 * Where the old version is kept after Release (keepOldFor), a check failing meanwhile sends the
 * traffic back to it: Promoting -> Degraded. Terminate Release: Paused or Degraded -> Terminating -> Healthy. Rollback: Healthy ->
 * Progressing with a historical revision's image -> Paused. Delete (stop tracking): Healthy only,
 * when one version serves and nothing is half done; a Paused or Degraded job still has a second
 * version up that only the job knows to Release or Terminate. One operation at a time.
 */
import type { JobAction } from './actions.js';
import type { BlueGreenJob, JobStatus } from './bluegreen-job.js';

export type JobEvent = 'ready' | 'not-ready' | 'promoted' | 'checks-failed' | 'terminated' | 'gave-up';

export type JobTransition = { ok: true; to: JobStatus } | { ok: false; reason: string };

const RULES: Record<JobAction, { from: readonly JobStatus[]; to: JobStatus; what: string }> = {
  update: { from: ['Healthy'], to: 'Progressing', what: 'updated' },
  release: { from: ['Paused'], to: 'Promoting', what: 'released' },
  terminate: { from: ['Paused', 'Degraded'], to: 'Terminating', what: 'terminated' },
  rollback: { from: ['Healthy'], to: 'Progressing', what: 'rolled back' },
  // A removal: the job is deleted, so `to` is never written.
  delete: { from: ['Healthy'], to: 'Healthy', what: 'deleted' },
};

const HINTS: Record<JobStatus, string> = {
  Healthy: 'update it first',
  Progressing: 'wait until the new version is ready (Paused) or fails (Degraded)',
  Paused: 'Release or Terminate the new version first',
  Promoting: 'wait for the release to finish',
  Terminating: 'wait for the termination to finish',
  Degraded: 'Terminate the failed version first',
};

export function jobTransition(job: Pick<BlueGreenJob, 'name' | 'status'>, action: JobAction): JobTransition {
  const rule = RULES[action];
  if (rule.from.includes(job.status)) return { ok: true, to: rule.to };
  const when = rule.from.join(' or ');
  return { ok: false, reason: `${job.name} is ${job.status}; it can be ${rule.what} only when ${when} (${HINTS[job.status]})` };
}

/** Where a worker-reported event takes the job. `hasStable`: a first version is serving. */
export function jobEvent(job: Pick<BlueGreenJob, 'name' | 'status' | 'degradedReason' | 'checks'>, event: JobEvent, hasStable = true): JobTransition {
  if (event === 'gave-up') {
    // The worker could not finish (the platform kept failing): back to where a person can act.
    if (job.status === 'Progressing') return { ok: true, to: 'Degraded' };
    // A check failed after Release and the switch back did not happen: the new version failed.
    if (job.status === 'Promoting') return { ok: true, to: job.checks?.phase === 'release' && job.checks.state === 'failed' ? 'Degraded' : 'Paused' };
    if (job.status === 'Terminating') return { ok: true, to: job.degradedReason ? 'Degraded' : 'Paused' };
    return { ok: false, reason: `${job.name} is ${job.status}, not busy` };
  }
  const expect: Record<Exclude<JobEvent, 'gave-up'>, [JobStatus, JobStatus]> = {
    ready: ['Progressing', hasStable ? 'Paused' : 'Healthy'],
    'not-ready': ['Progressing', 'Degraded'],
    promoted: ['Promoting', 'Healthy'],
    // A check failed while the old version was kept: the traffic went back to it.
    'checks-failed': ['Promoting', 'Degraded'],
    terminated: ['Terminating', 'Healthy'],
  };
  const [from, to] = expect[event];
  return job.status === from ? { ok: true, to } : { ok: false, reason: `${job.name} is ${job.status}, not ${from}` };
}
