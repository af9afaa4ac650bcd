/**
 * Blue-green jobs, described for the pipeline: the job state machine, Update Version and
 * Rollback bring a new version up in the idle slot, every action queues a run of its own.
 */
import type { JobAction } from '../../domain/actions.js';
import { jobCardVersion, otherSlot, rollbackTargets, type BlueGreenJob, type PendingVersion } from '../../domain/bluegreen-job.js';
import { jobTransition } from '../../domain/bluegreen-machine.js';
import { jobRef } from '../../domain/entity.js';
import type { BlueGreenPlatform } from '../../platform/port.js';
import type { RunQueue } from '../../ports/run-queue.js';
import { Refusal, type JobStore } from '../../store/versioned-store.js';
import type { ActionArgs, GuardFinding, KindDescriptor } from '../kind.js';
import { say, type Outcome } from '../outcome.js';
import { mention } from '../../text.js';
import { CHECKS_NOT_FINISHED, checkPhrase, failedDetail } from '../../domain/checks.js';

export function jobNotFound(name: string): Outcome {
  return say(`No blue-green job ${name}. \`/bluegreen list\` shows the jobs there are.`);
}

export interface JobKindDeps {
  jobs: JobStore;
  runs: RunQueue;
  platform: Pick<BlueGreenPlatform, 'bgInspect'>;
}

export function jobKind(d: JobKindDeps): KindDescriptor<BlueGreenJob, JobAction> {
  return {
    kind: 'bluegreen',
    store: d.jobs,
    ref: jobRef,
    metric: (op) => `bluegreen.${op}`,
    label: (j) => j.name,
    cardVersion: jobCardVersion,
    state: (j) => `${j.name} is ${j.status}`,
    notFound: jobNotFound,
    transition: jobTransition,
    prepare: (j, action, args, now) => {
      const next = withPending(j, action, args);
      if (next instanceof Refusal) return next;
      // History credits a Release or Terminate to whoever asked for it (the audit's actor), not
      // to whoever brought the version up; the worker reads it off the pending version.
      const p = next.pending;
      const over = action === 'release' && args.overChecks ? { overChecks: true } : {};
      const decided = (action === 'release' || action === 'terminate') && p ? { pending: { ...p, decidedBy: args.user, ...over } } : {};
      // The preview's checks are done with: a Release starts its own watch, if the environment keeps the old version.
      const { checks: _c, ...rest } = next;
      return { ...rest, ...decided, run: j.run + 1, updatedAt: now.toISOString() };
    },
    guard: (j, action) => (action === 'rollback' ? servingGuard(d, j) : Promise.resolve(undefined)),
    held: (j, action) => (action === 'release' ? checksHold(j) : undefined),
    // Delete is a removal: the pipeline never writes or queues it (pipeline.commit).
    enqueue: (j) => d.runs.jobRun(j),
    auditDetail: (j) => (j.pending ? `rev ${j.pending.revision} ${j.pending.image}` : undefined),
    removal: {
      by: (action) => action === 'delete',
      text: (j, actor) => {
        const serving = j.versions[j.active];
        const keeps = `${j.env}/${j.workload} keeps running${serving ? ` rev ${serving.revision} (${serving.image})` : ''}`;
        return {
          card: `~Blue-green job ${j.name} (${j.env}/${j.workload})~ was deleted by ${mention(actor.user)}. ${keeps}; the bot no longer tracks it.`,
          thread: `Deleted by ${mention(actor.user)}: the job is no longer tracked. ${keeps}, untouched.`,
          reply: `Deleted blue-green job ${j.name}. ${keeps}; \`/bluegreen create\` tracks it again.`,
        };
      },
      // The release object is free for a new job at once, not only when the claim times out.
      removed: (j) => d.jobs.releaseWorkload(j.env, j.workload, j.name),
    },
    startedText,
  };
}

/** The new version an update or rollback brings up, in the idle slot; rollback checks the revision. */
function withPending(j: BlueGreenJob, action: JobAction, args: ActionArgs & { user: string }): BlueGreenJob | Refusal {
  const pending = (image: string, rollbackOf?: number): BlueGreenJob => {
    const p: PendingVersion = { slot: otherSlot(j.stable), revision: j.nextRevision, image, by: args.user, ...(rollbackOf ? { rollbackOf } : {}) };
    return { ...j, pending: p, nextRevision: j.nextRevision + 1 };
  };
  if (action === 'update') return args.image ? pending(args.image) : new Refusal('Update Version needs an image.');
  if (action !== 'rollback') return j;
  const target = rollbackTargets(j).find((h) => h.revision === args.revision);
  if (target) return pending(target.image, target.revision);
  const can = rollbackTargets(j).map((h) => h.revision);
  return new Refusal(
    `${j.name} has no released revision ${args.revision} to roll back to` +
      (can.length ? `; choose one of ${can.join(', ')} (\`/bluegreen history ${j.name}\`)` : '; it has no earlier released revision'),
  );
}

function startedText(action: JobAction, j: BlueGreenJob, user: string): string {
  const p = j.pending!;
  switch (action) {
    case 'update':
      return `Update Version by ${mention(user)}: ${p.image} (rev ${p.revision}) starting in ${p.slot}`;
    case 'rollback':
      return `Rollback to rev ${p.rollbackOf} by ${mention(user)}: ${p.image} (rev ${p.revision}) starting in ${p.slot}`;
    case 'release':
      return `Release by ${mention(user)}: traffic moves to ${p.slot} (rev ${p.revision}, ${p.image})`;
    case 'terminate':
      return `Terminate Release by ${mention(user)}: ${p.slot} (rev ${p.revision}) will be deleted`;
    case 'delete':
      return `Deleted by ${mention(user)}`;
  }
}

/**
 * A rollback brings an old version up beside the serving one and then replaces it: only if what
 * serves is still the version this job released. Changed outside the bot, it would be lost.
 */
async function servingGuard(d: JobKindDeps, job: BlueGreenJob): Promise<GuardFinding | undefined> {
  const stable = job.versions[job.active];
  if (!stable) return undefined;
  const seen = await d.platform.bgInspect(job.env, job.workload);
  const serving = seen?.serving ? seen.slots[seen.serving] : undefined;
  if (seen?.serving === job.active && serving?.image === stable.image) return undefined;
  const now = serving ? `${seen!.serving} serves ${serving.image}` : 'nothing serves';
  const what = `${job.env}/${job.workload}: ${now}, not rev ${stable.revision} (${stable.image}) that this job released`;
  return {
    refusal:
      `Cannot roll back ${job.name}: ${what}; it was changed outside the bot, and a rollback would replace it. Nothing was changed. ` +
      `Look at what serves first, or roll back anyway: \`/bluegreen rollback ${job.name} <revision> --force\`.`,
    overrides: what,
  };
}

/**
 * Release waits for the preview's checks: refused while one fails or they have not all passed
 * yet. An approver may go ahead anyway with a reason (the pipeline asks for it).
 */
export function checksHold(job: BlueGreenJob): GuardFinding | undefined {
  const c = job.checks;
  const p = job.pending;
  if (!c || !p || c.phase !== 'preview' || c.state === 'passed') return undefined;
  const what = `rev ${p.revision} (${p.image})`;
  if (c.state === 'failed') {
    const failing = failedDetail(c);
    return {
      refusal: `Release of ${job.name} refused: a check fails on ${what}: ${failing}. Nothing was changed; Terminate it, or fix and update again.`,
      overrides: failing,
    };
  }
  return {
    refusal: `Release of ${job.name} waits for the checks on ${what} (${checkPhrase(c)}). Nothing was changed; try again once they pass.`,
    overrides: `${CHECKS_NOT_FINISHED}: ${checkPhrase(c)}`,
  };
}
