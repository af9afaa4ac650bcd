/**
 * Carries out the operation a blue-green job is in, from its status:
 * - Progressing: bring the new version up in the idle slot; ready -> Paused (or Healthy for the
 *   first version, which also takes the traffic); never ready -> Degraded, the old one serving.
 * - Paused with checks (policy `checks`): sample them against the new version until they pass or
 *   one fails; Release waits for them.
 * - Promoting: switch the traffic to the new slot, record it, then delete the old slot -> Healthy.
 *   With keepOldFor, the old slot is kept that long while the checks watch the new one: one
 *   failing switches the traffic back -> Degraded.
 * - Terminating: delete the new slot; the traffic never left the stable one -> Healthy.
 *
 * Checks are sampled as they fall due; a wait longer than a moment hands the run back to the
 * queue as a delayed job (no worker slot is held while nothing happens), and the same run picks
 * up where the job in Redis says.
 *
 * Resumable: the job in Redis says which step is next, and every platform call is safe to repeat,
 * so a run picked up after its worker died between the switch and the delete just deletes.
 */
import { otherSlot, type BlueGreenJob, type HistoricalVersion, type MainVersion, type PendingVersion } from '../../domain/bluegreen-job.js';
import { jobEvent, type JobEvent } from '../../domain/bluegreen-machine.js';
import type { OperationMetrics } from '../../ports/metrics.js';
import type { Platform } from '../../platform/port.js';
import { cc, esc, mention, reasonAfter, shortDuration, slackDate } from '../../text.js';
import { jobRef } from '../../domain/entity.js';
import type { Notifier } from '../../ports/notifier.js';
import type { ReleaseEvents } from '../../ports/release-events.js';
import type { AuditLog } from '../../store/audit-log.js';
import { Refusal, type JobStore } from '../../store/versioned-store.js';
import type { BlueGreenRunPayload } from '../catalogue.js';
import type { JobContext } from '../worker-host.js';
import type { Gates } from '../../checks/gates.js';
import { failedDetail, nextCheckAt, startChecks, type CheckRun } from '../../domain/checks.js';
import { DelayedError } from 'bullmq';
import { setTimeout as sleep } from 'node:timers/promises';

export interface RunBlueGreenDeps {
  jobs: JobStore;
  platform: Platform;
  notifier: Notifier;
  /** Told when an operation comes to rest, right after the store says so. */
  events: ReleaseEvents;
  audit: AuditLog;
  metrics: OperationMetrics;
  clock: () => Date;
  /** The environment's checks and keepOldFor (policy file); none: a ready version is good. */
  gates?: Gates;
  /** The environment's approvers: told when a release is undone. */
  approvers?: (env: string) => readonly string[] | undefined;
}

/** A wait for the next sample up to this long stays in the worker; a longer one is a delayed job. */
const INLINE_WAIT_MS = 2000;

export function runBlueGreenHandler(d: RunBlueGreenDeps) {
  return async ({ jobId, run }: BlueGreenRunPayload, ctx: JobContext): Promise<void> => {
    let job = await d.jobs.get(jobId);
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
        // The first version takes the traffic at once; later ones wait, Paused, for Release (and
        // for their checks, where the environment has some).
        if (first) await d.platform.bgSwitch({ ...at, slot: p.slot });
        const gated = !first && (d.gates?.specs(job.env).length ?? 0) > 0;
        const settled = await settle(d, job, 'ready', (j, now) => {
          const version: MainVersion = { slot: p.slot, revision: p.revision, image: p.image, replicas: j.replicas, createdAt: now };
          if (!first) return { ...j, versions: { ...j.versions, [p.slot]: version }, ...(gated ? { checks: startChecks('preview', new Date(now)) } : {}) };
          const { pending: _p, ...rest } = j;
          return { ...rest, versions: { [p.slot]: version }, active: p.slot, stable: p.slot, history: [...j.history, historicalVersion(p, now, 'released')] };
        });
        if (!settled?.checks) return;
        job = settled;
      }
      // falls through: the preview's checks
      case 'Paused': {
        if (job.status !== 'Paused' || job.checks?.phase !== 'preview' || job.checks.told) return;
        const checked = job.checks.state === 'running' ? await watch(d, job, ctx) : job;
        // Told once the checks ended; a worker that died in between tells it when the run resumes.
        if (checked) await previewChecked(d, checked);
        return;
      }
      case 'Promoting': {
        const old = otherSlot(p.slot);
        if (job.active !== p.slot) {
          // Released over failing checks by an approver's decision: no watch would undo it.
          const keepMs = p.overChecks ? 0 : (d.gates?.keepOldForMs(job.env) ?? 0);
          await d.platform.bgSwitch({ ...at, slot: p.slot, ...(keepMs > 0 ? { keepOldForMs: keepMs } : {}) });
          // Record the switch before deleting, so the card shows where the traffic is. Where the
          // old version is kept for a while, the watch over the new one starts with it.
          const now = d.clock();
          const watchFrom = keepMs > 0 ? { checks: startChecks('release', now, new Date(now.getTime() + keepMs)) } : {};
          const switched = await d.jobs.update(job.id, (j) => (j.run === run ? { ...j, active: p.slot, ...watchFrom } : new Refusal('superseded')));
          if (!switched.ok) return;
          job = switched.task;
          await d.notifier.cardChanged(jobRef(job.id));
          if (job.checks?.phase === 'release') await d.notifier.thread(jobRef(job.id), keepingText(job));
        }
        if (job.checks?.phase === 'release' && job.checks.state !== 'passed') {
          const checked = job.checks.state === 'running' ? await watch(d, job, ctx) : job;
          if (!checked) return;
          if (checked.checks?.state === 'failed') return undo(d, checked);
          job = checked;
        }
        await d.platform.bgDeleteSlot({ ...at, slot: old });
        await settle(d, job, 'promoted', (j, now) => {
          const { pending: _p, degradedReason: _r, checks: _c, ...rest } = j;
          const kept = j.versions[p.slot];
          return { ...rest, versions: kept ? { [p.slot]: kept } : {}, active: p.slot, stable: p.slot, history: [...j.history, historicalVersion(p, now, 'released')] };
        });
        return;
      }
      case 'Terminating': {
        // The new version took the traffic (a release whose switch back failed, or was stopped
        // after its switch): Terminate puts the traffic back on the old version first.
        if (job.active === p.slot) {
          await d.platform.bgSwitch({ ...at, slot: otherSlot(p.slot) });
          const back = await d.jobs.update(job.id, (j) => (j.run === run ? { ...j, active: otherSlot(p.slot) } : new Refusal('superseded')));
          if (!back.ok) return;
          job = back.task;
          await d.notifier.cardChanged(jobRef(job.id));
        }
        await d.platform.bgDeleteSlot({ ...at, slot: p.slot });
        await settle(d, job, 'terminated', (j, now) => {
          const { pending: _p, degradedReason: reason, checks: _c, ...rest } = j;
          const { [p.slot]: _gone, ...versions } = j.versions;
          return { ...rest, versions, history: [...j.history, historicalVersion(p, now, reason ? 'failed' : 'terminated')] };
        });
        return;
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
    // The preview's checks could not be sampled to the end: they failed, so Release waits for a
    // person (an approver's reason, or a new version), not for a run that will not come.
    const checks = await d.jobs.update(jobId, (j) =>
      j.run === run && j.status === 'Paused' && j.checks?.phase === 'preview' && j.checks.state === 'running'
        ? { ...j, checks: { ...j.checks, state: 'failed', told: true, readings: [...j.checks.readings, stoppedReading(err, now)] } }
        : new Refusal('not checking'),
    );
    if (checks.ok) {
      await d.notifier.cardChanged(jobRef(jobId), { urgent: true });
      const p = checks.task.pending;
      await d.notifier.thread(jobRef(jobId), `The checks on rev ${p?.revision} stopped: ${esc(err.message)}. Release is refused until they pass: Terminate and update again once the cause is fixed, or an approver can release anyway with a reason.${cc(p?.by)}`);
      return;
    }
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
    const t = r.task;
    if (r.before.status === 'Promoting' && t.status === 'Degraded' && t.active === t.pending?.slot) {
      // The worst case, said loudly: a check failed after Release and the traffic could not go back.
      const p = t.pending;
      await d.notifier.thread(
        jobRef(jobId),
        `:rotating_light: The switch back to ${otherSlot(p.slot)} failed: ${esc(err.message)}. Traffic is still on ${p.slot} (rev ${p.revision}, ${p.image}), ` +
          `which failed its checks: ${esc(failedDetail(t.checks!))}. Terminate tries the switch back again; if the old version is gone, release a fixed version.${undonePeople(d, t)}`,
      );
      return;
    }
    await d.notifier.thread(jobRef(jobId), `${r.before.status} stopped: ${esc(err.message)}. ${t.name} is ${t.status}; try again once the cause is fixed.${cc(r.before.pending?.decidedBy ?? r.before.pending?.by)}`);
  };
}

/** What a preview check says when its run stopped before the checks ended. */
function stoppedReading(err: Error, now: string): CheckRun['readings'][number] {
  return { name: 'checks', state: 'failed', detail: `the checks stopped: ${err.message}`, samples: 0, firstAt: now, lastAt: now };
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

/**
 * Sample the job's checks as they fall due until they pass or one fails, writing each round (the
 * card shows it). A wait longer than INLINE_WAIT_MS, or a shutdown, hands the run back as a
 * delayed job (DelayedError); undefined: the job moved on meanwhile (a Release, a Terminate).
 */
async function watch(d: RunBlueGreenDeps, job: BlueGreenJob, ctx: JobContext): Promise<BlueGreenJob | undefined> {
  const p = job.pending!;
  const vars = { env: job.env, component: job.workload, workload: job.workload, slot: p.slot, image: p.image };
  let current = job;
  for (;;) {
    const specs = d.gates?.specs(job.env) ?? [];
    const phase = current.checks!.phase;
    const checks: CheckRun = d.gates ? await d.gates.sample(specs, current.checks!, vars, d.clock) : { ...current.checks!, state: 'passed' };
    const r = await d.jobs.update(job.id, (j) =>
      j.run === job.run && j.checks?.phase === phase && j.checks.state === 'running' ? { ...j, checks } : new Refusal('moved on'),
    );
    if (!r.ok) return undefined;
    current = r.task;
    await d.notifier.cardChanged(jobRef(job.id));
    if (checks.state !== 'running') return current;
    const wait = nextCheckAt(specs, checks, d.clock()).getTime() - d.clock().getTime();
    if (wait > INLINE_WAIT_MS || ctx.signal.aborted) {
      await ctx.job.moveToDelayed(Date.now() + Math.max(0, wait), ctx.token);
      throw new DelayedError();
    }
    // A shutdown meanwhile ends the wait early; the next round hands the run back.
    if (wait > 0) await sleep(wait, undefined, { signal: ctx.signal }).catch(() => undefined);
  }
}

/** The preview's checks ended: the thread says how, and whether Release may go ahead. */
async function previewChecked(d: RunBlueGreenDeps, job: BlueGreenJob): Promise<void> {
  const p = job.pending!;
  const run = job.checks!;
  const passed = run.state === 'passed';
  const now = d.clock().toISOString();
  await d.audit.record({ at: now, actor: 'system', action: passed ? 'checks-passed' : 'checks-failed', target: job.id, env: job.env, from: job.status, to: job.status, detail: passed ? readingsText(run) : failedDetail(run) });
  await d.notifier.cardChanged(jobRef(job.id), { urgent: true });
  const what = `rev ${p.revision} (${p.image}) in ${p.slot}`;
  await d.notifier.thread(
    jobRef(job.id),
    (passed
      ? `Checks passed on ${what}: ${esc(readingsText(run))}. Release when ready.`
      : `Checks failed on ${what}: ${esc(failedDetail(run))}. Release is refused while a check fails: Terminate it, or an approver can release anyway with a reason.`) + cc(p.by),
  );
  // Told, then marked: a worker that dies in between tells it twice, never not at all.
  await d.jobs.update(job.id, (j) =>
    j.run === job.run && j.checks?.phase === 'preview' && j.checks.state === run.state ? { ...j, checks: { ...j.checks, told: true } } : new Refusal('moved on'),
  );
}

/** A check failed while the old version was kept: traffic back on it, the job Degraded, people told. */
async function undo(d: RunBlueGreenDeps, job: BlueGreenJob): Promise<void> {
  const p = job.pending!;
  const old = otherSlot(p.slot);
  await d.platform.bgSwitch({ env: job.env, workload: job.workload, slot: old });
  const reason = `${failedDetail(job.checks!)} after Release; traffic went back to ${old}`;
  await settle(d, job, 'checks-failed', (j) => ({ ...j, active: old, degradedReason: reason }), undoneText);
}

function undoneText(before: BlueGreenJob, job: BlueGreenJob, people: string): string {
  const p = before.pending!;
  const back = job.versions[job.active];
  return (
    `:rotating_light: Degraded: rev ${p.revision} (${p.image}) failed its checks after Release: ${esc(failedDetail(before.checks!))}. ` +
    `Traffic is back on ${job.active}${back ? ` (rev ${back.revision}, ${back.image})` : ''}. Terminate to remove rev ${p.revision}.${people}`
  );
}

/** "error-rate 0.001 (below 0.01); smoke: HTTP 200" */
function readingsText(run: CheckRun): string {
  return run.readings.map((r) => r.detail).join('; ') || 'no checks';
}

/** The thread's word when the traffic moved and the old version stays for the watch. */
function keepingText(job: BlueGreenJob): string {
  const p = job.pending!;
  const old = otherSlot(p.slot);
  const v = job.versions[old];
  const checks = job.checks!;
  return (
    `Traffic is on ${p.slot} (rev ${p.revision}). ${old}${v ? ` (rev ${v.revision})` : ''} is kept until ${slackDate(checks.until!)} ` +
    'while the checks watch the new version; if one fails, the traffic goes back to it.'
  );
}

/** Everyone a release undone concerns: who brought the version up, who released it, who approved it (else the environment's approvers). */
function undonePeople(d: RunBlueGreenDeps, job: BlueGreenJob): string {
  const p = job.pending!;
  const approved = job.decision?.outcome === 'approved' && job.decision.action === 'release' ? job.decision.by : [];
  const approvers = approved.length ? approved : [...(d.approvers?.(job.env) ?? [])];
  const people = [...new Set([p.by, ...(p.decidedBy ? [p.decidedBy] : []), ...approvers])].filter((u) => !u.startsWith('ci:'));
  return people.length ? ` ${people.map(mention).join(' ')}` : '';
}

/** Move the job on with a worker event, then audit, card and thread; the job as written, if it was. */
async function settle(
  d: RunBlueGreenDeps,
  job: BlueGreenJob,
  event: JobEvent,
  change: (j: BlueGreenJob, now: string) => BlueGreenJob,
  text?: (before: BlueGreenJob, job: BlueGreenJob, people: string) => string,
): Promise<BlueGreenJob | undefined> {
  const now = d.clock().toISOString();
  const r = await d.jobs.update(job.id, (j) => {
    const tr = jobEvent(j, event, !!j.versions[j.stable]);
    if (!tr.ok || j.run !== job.run) return new Refusal(tr.ok ? 'superseded' : tr.reason);
    return { ...change(j, now), status: tr.to, updatedAt: now };
  });
  if (!r.ok) return undefined;
  await d.events.settled(jobRef(job.id), r.task.status, r.task.run);
  await d.audit.record({ at: now, actor: 'system', action: event, target: job.id, env: job.env, from: r.before.status, to: r.task.status });
  d.metrics.operation(`bluegreen.${event}`, r.task.status);
  // Coming to rest is news, not progress: the card answers at once (one edit per card per window).
  await d.notifier.cardChanged(jobRef(job.id), { urgent: true });
  await d.notifier.thread(
    jobRef(job.id),
    text ? text(r.before, r.task, undonePeople(d, r.before)) : summary(r.before, r.task, d.clock()) + cc(r.before.pending?.decidedBy ?? r.before.pending?.by),
  );
  return r.task;
}

/**
 * The new version never became ready. A first version leaves nothing behind: the job is removed,
 * and no settled event is told (there is no job left for a listener to read; the channel hears).
 */
async function fail(d: RunBlueGreenDeps, job: BlueGreenJob, error: string, first: boolean): Promise<void> {
  if (!first) {
    await settle(d, job, 'not-ready', (j) => ({ ...j, degradedReason: error }));
    return;
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
      return job.checks?.phase === 'preview'
        ? `Paused: ${slot(p.slot)} is ready beside ${slot(job.stable)}, which still takes the traffic. Its checks are running; Release once they pass, or Terminate.`
        : `Paused: ${slot(p.slot)} is ready beside ${slot(job.stable)}, which still takes the traffic. Release or Terminate.`;
    case 'Degraded':
      return `Degraded: ${p.image} (rev ${p.revision}) never became ready${esc(reasonAfter(p.image, 'never became ready', job.degradedReason))}. ${slot(job.stable)} still serves; Terminate to remove it.`;
    case 'Healthy':
      if (before.status === 'Promoting') {
        const watched = before.checks?.phase === 'release' ? ` after the checks held for ${shortDuration(Date.parse(before.checks.until!) - Date.parse(before.checks.startedAt))}` : '';
        return `Released in ${took}: ${slot(job.active)} is Active and Stable; ${otherSlot(job.active)} deleted${watched}`;
      }
      if (before.status === 'Terminating') return `Terminated: rev ${p.revision} (${p.image}) deleted; ${slot(job.stable)} still serves`;
      return `Healthy: first version ${p.image} (rev ${p.revision}) serving from ${p.slot}`;
    default:
      return job.status;
  }
}
