/**
 * Carries out the operation a blue-green job is in, from its status:
 * - Progressing: bring the new version up in the idle slot; ready -> Paused (or Healthy for the
 *   first version, which also takes the traffic); never ready -> Degraded, the old one serving.
 * - Promoting: switch the traffic to the new slot, record it, then delete the old slot -> Healthy.
 * - Terminating: delete the new slot; the traffic never left the stable one -> Healthy.
 *
 * Resumable: the job in Redis says which step is next, and every platform call is safe to repeat,
 * so a run picked up after its worker died between the switch and the delete just deletes.
 */
import { otherSlot, type BlueGreenJob, type HistoricalVersion, type MainVersion, type PendingVersion } from '../../domain/bluegreen-job.js';
import { jobEvent, type JobEvent } from '../../domain/bluegreen-machine.js';
import type { OperationMetrics } from '../../ports/metrics.js';
import type { Platform } from '../../platform/port.js';
import { cc, esc, reasonAfter, shortDuration } from '../../text.js';
import { jobRef } from '../../domain/entity.js';
import type { Notifier } from '../../ports/notifier.js';
import type { ReleaseEvents } from '../../ports/release-events.js';
import type { AuditLog } from '../../store/audit-log.js';
import { Refusal, type JobStore } from '../../store/versioned-store.js';
import type { BlueGreenRunPayload } from '../catalogue.js';

export interface RunBlueGreenDeps {
  jobs: JobStore;
  platform: Platform;
  notifier: Notifier;
  /** Told when an operation comes to rest, right after the store says so. */
  events: ReleaseEvents;
  audit: AuditLog;
  metrics: OperationMetrics;
  clock: () => Date;
}

export function runBlueGreenHandler(d: RunBlueGreenDeps) {
  return async ({ jobId, run }: BlueGreenRunPayload): Promise<void> => {
    const job = await d.jobs.get(jobId);
    if (!job || job.run !== run || !job.pending) return; // settled, superseded or gone
    const p = job.pending;
    const at = { env: job.env, workload: job.workload };
    switch (job.status) {
      case 'Progressing': {
        // createdAt tells a job apart from an earlier one of the same name (a failed creation).
        const opId = `${job.id}-${Date.parse(job.createdAt)}-${run}-deploy`;
        const out = await d.platform.bgDeploySlot({ opId, ...at, slot: p.slot, image: p.image, replicas: job.replicas });
        const first = !job.versions[job.stable];
        if (!out.ok) return fail(d, job, out.error, first);
        // The first version takes the traffic at once; later ones wait, Paused, for Release.
        if (first) await d.platform.bgSwitch({ ...at, slot: p.slot });
        return settle(d, job, 'ready', (j, now) => {
          const version: MainVersion = { slot: p.slot, revision: p.revision, image: p.image, replicas: j.replicas, createdAt: now };
          if (!first) return { ...j, versions: { ...j.versions, [p.slot]: version } };
          const { pending: _p, ...rest } = j;
          return { ...rest, versions: { [p.slot]: version }, active: p.slot, stable: p.slot, history: [...j.history, historicalVersion(p, now, 'released')] };
        });
      }
      case 'Promoting': {
        const old = otherSlot(p.slot);
        if (job.active !== p.slot) {
          await d.platform.bgSwitch({ ...at, slot: p.slot });
          // Record the switch before deleting, so the card shows where the traffic is.
          const switched = await d.jobs.update(job.id, (j) => (j.run === run ? { ...j, active: p.slot } : new Refusal('superseded')));
          if (!switched.ok) return;
          await d.notifier.cardChanged(jobRef(job.id));
        }
        await d.platform.bgDeleteSlot({ ...at, slot: old });
        return settle(d, job, 'promoted', (j, now) => {
          const { pending: _p, degradedReason: _r, ...rest } = j;
          const kept = j.versions[p.slot];
          return { ...rest, versions: kept ? { [p.slot]: kept } : {}, active: p.slot, stable: p.slot, history: [...j.history, historicalVersion(p, now, 'released')] };
        });
      }
      case 'Terminating': {
        await d.platform.bgDeleteSlot({ ...at, slot: p.slot });
        return settle(d, job, 'terminated', (j, now) => {
          const { pending: _p, degradedReason: reason, ...rest } = j;
          const { [p.slot]: _gone, ...versions } = j.versions;
          return { ...rest, versions, history: [...j.history, historicalVersion(p, now, reason ? 'failed' : 'terminated')] };
        });
      }
      default:
        return;
    }
  };
}

/** The run failed its last attempt: put the job back where a person can act, and say why. */
export function abandonBlueGreenRun(d: RunBlueGreenDeps) {
  return async ({ jobId, run }: BlueGreenRunPayload, err: Error): Promise<void> => {
    const now = d.clock().toISOString();
    const r = await d.jobs.update(jobId, (j) => {
      if (j.run !== run) return new Refusal('superseded');
      const tr = jobEvent(j, 'gave-up');
      if (!tr.ok) return new Refusal(tr.reason);
      return { ...j, status: tr.to, updatedAt: now, ...(tr.to === 'Degraded' && !j.degradedReason ? { degradedReason: err.message } : {}) };
    });
    if (!r.ok) return;
    await d.events.settled(jobRef(jobId), r.task.status, r.task.run);
    await d.audit.record({ at: now, actor: 'system', action: 'run-abandoned', target: jobId, env: r.task.env, from: r.before.status, to: r.task.status, detail: err.message });
    await d.notifier.cardChanged(jobRef(jobId), { urgent: true });
    await d.notifier.thread(jobRef(jobId), `${r.before.status} stopped: ${esc(err.message)}. ${r.task.name} is ${r.task.status}; try again once the cause is fixed.${cc(r.before.pending?.decidedBy ?? r.before.pending?.by)}`);
  };
}

/**
 * The pending version as it joins the history. A Release or Terminate is credited to whoever
 * clicked it (decidedBy, the audit's actor); a version that failed, or the first one (released
 * by its creation), to whoever brought it up.
 */
export function historicalVersion(p: PendingVersion, at: string, outcome: HistoricalVersion['outcome']): HistoricalVersion {
  const by = outcome === 'failed' ? p.by : (p.decidedBy ?? p.by);
  return { revision: p.revision, image: p.image, at, by, outcome, ...(p.rollbackOf ? { rollbackOf: p.rollbackOf } : {}) };
}

/** Move the job on with a worker event, then audit, card and thread. */
async function settle(
  d: RunBlueGreenDeps,
  job: BlueGreenJob,
  event: JobEvent,
  change: (j: BlueGreenJob, now: string) => BlueGreenJob,
): Promise<void> {
  const now = d.clock().toISOString();
  const r = await d.jobs.update(job.id, (j) => {
    const tr = jobEvent(j, event, !!j.versions[j.stable]);
    if (!tr.ok || j.run !== job.run) return new Refusal(tr.ok ? 'superseded' : tr.reason);
    return { ...change(j, now), status: tr.to, updatedAt: now };
  });
  if (!r.ok) return;
  await d.events.settled(jobRef(job.id), r.task.status, r.task.run);
  await d.audit.record({ at: now, actor: 'system', action: event, target: job.id, env: job.env, from: r.before.status, to: r.task.status });
  d.metrics.operation(`bluegreen.${event}`, r.task.status);
  // Coming to rest is news, not progress: the card answers at once (one edit per card per window).
  await d.notifier.cardChanged(jobRef(job.id), { urgent: true });
  await d.notifier.thread(jobRef(job.id), summary(r.before, r.task, d.clock()) + cc(r.before.pending?.decidedBy ?? r.before.pending?.by));
}

/**
 * The new version never became ready. A first version leaves nothing behind: the job is removed,
 * and no settled event is told (there is no job left for a listener to read; the channel hears).
 */
async function fail(d: RunBlueGreenDeps, job: BlueGreenJob, error: string, first: boolean): Promise<void> {
  if (!first) {
    return settle(d, job, 'not-ready', (j) => ({ ...j, degradedReason: error }));
  }
  await d.platform.bgDeleteSlot({ env: job.env, workload: job.workload, slot: job.pending!.slot });
  await d.jobs.delete(job.id);
  await d.jobs.releaseWorkload(job.env, job.workload, job.id);
  await d.audit.record({ at: d.clock().toISOString(), actor: 'system', action: 'create-failed', target: job.id, env: job.env, from: job.status, detail: error });
  d.metrics.operation('bluegreen.create', 'failed');
  await d.notifier.cardClosed(
    jobRef(job.id),
    job.channel,
    `:x: Blue-green job *${job.name}* (${job.env}/${job.workload}) could not be created: ${esc(error)}`,
    `Creation failed: ${esc(error)}. Nothing was left running; fix the image and create the job again.`,
  );
}

function summary(before: BlueGreenJob, job: BlueGreenJob, now: Date): string {
  const slot = (s: 'blue' | 'green') => {
    const v = job.versions[s] ?? before.versions[s];
    return v ? `${s} (rev ${v.revision}, ${v.image})` : s;
  };
  const p = before.pending!;
  const took = shortDuration(now.getTime() - Date.parse(before.updatedAt));
  switch (job.status) {
    case 'Paused':
      return `Paused: ${slot(p.slot)} is ready beside ${slot(job.stable)}, which still takes the traffic. Release or Terminate.`;
    case 'Degraded':
      return `Degraded: ${p.image} (rev ${p.revision}) never became ready${esc(reasonAfter(p.image, 'never became ready', job.degradedReason))}. ${slot(job.stable)} still serves; Terminate to remove it.`;
    case 'Healthy':
      if (before.status === 'Promoting') return `Released in ${took}: ${slot(job.active)} is Active and Stable; ${otherSlot(job.active)} deleted`;
      if (before.status === 'Terminating') return `Terminated: rev ${p.revision} (${p.image}) deleted; ${slot(job.stable)} still serves`;
      return `Healthy: first version ${p.image} (rev ${p.revision}) serving from ${p.slot}`;
    default:
      return job.status;
  }
}
