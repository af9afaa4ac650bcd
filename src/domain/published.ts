/**
 * Tasks and blue-green jobs as the outside world sees them: the HTTP API's answers and the
 * webhooks' bodies. Zod schemas, so the OpenAPI document is generated from what is sent, and the
 * pure functions that build them. Field names are stable API; internals (versions, plans,
 * history) stay out.
 */
import { z } from 'zod';
import { JOB_STATUSES, type BlueGreenJob } from './bluegreen-job.js';
import { COMPONENT_STATUSES, OPERATION_KEYWORDS, TASK_STATUSES, type ReleaseTask } from './release-task.js';
import type { ApprovalRequest } from './approval.js';
import type { CheckRun } from './checks.js';

const def = <K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> =>
  (value === undefined ? {} : { [key]: value }) as Partial<Record<K, V>>;

const Time = z.string().meta({ format: 'date-time' });
const Actor = z.string().meta({ description: 'A Slack user ID (U…), an API token as `ci:<name>`, or `system`' });

export const PublishedApproval = z.object({
  action: z.string().meta({ description: 'The operation waiting: start, retry, rollback (tasks); release, terminate, rollback (jobs)' }),
  needed: z.int(),
  approvals: z.array(z.object({ user: Actor, at: Time })),
  requestedBy: Actor,
  requestedAt: Time,
  approvers: z.array(z.string()).meta({ description: 'Who may approve: Slack user IDs (U…) and user groups (S…)' }),
});

export const PublishedChecks = z.object({
  phase: z.enum(['component', 'preview', 'release']).meta({ description: 'component: a task component after it was ready; preview: a Paused blue-green version; release: the watch after Release while the old version is kept' }),
  state: z.enum(['running', 'passed', 'failed']),
  startedAt: Time,
  until: Time.optional().meta({ description: 'The end of the watch after Release (keepOldFor)' }),
  readings: z.array(z.object({
    name: z.string(),
    state: z.enum(['running', 'passed', 'failed']),
    value: z.number().optional(),
    detail: z.string().meta({ description: 'e.g. "error-rate 0.043 is not below 0.01"' }),
    samples: z.int(),
    lastAt: Time,
  })),
}).meta({ description: "The environment's checks (policy checks) and the latest sample of each" });

const publishChecks = (c: CheckRun | undefined): z.infer<typeof PublishedChecks> | undefined =>
  c && {
    phase: c.phase, state: c.state, startedAt: c.startedAt, ...def('until', c.until),
    readings: c.readings.map((r) => ({ name: r.name, state: r.state, ...def('value', r.value), detail: r.detail, samples: r.samples, lastAt: r.lastAt })),
  };

export const PublishedComponent = z.object({
  name: z.string(),
  status: z.enum(COMPONENT_STATUSES),
  image: z.string().optional().meta({ description: 'The target image (clone: copied from the source environment at the run)' }),
  previousImage: z.string().optional().meta({ description: 'What ran before the last successful step: where a rollback returns' }),
  replicas: z.int().optional(),
  error: z.string().optional(),
  startedAt: Time.optional(),
  endedAt: Time.optional(),
  checks: PublishedChecks.optional(),
});

export const PublishedTask = z.object({
  id: z.string(),
  name: z.string(),
  status: z.enum(TASK_STATUSES),
  operation: z.enum(['deploy', 'upgrade', 'clone']),
  env: z.string(),
  from: z.string().optional(),
  bestEffort: z.boolean(),
  parallel: z.int(),
  description: z.string().optional(),
  components: z.array(PublishedComponent),
  createdBy: Actor,
  createdAt: Time,
  startedBy: Actor.optional(),
  startedAt: Time.optional().meta({ description: 'When the current run started' }),
  endedAt: Time.optional().meta({ description: 'When the task last came to rest' }),
  releasedAt: Time.optional(),
  run: z.int().meta({ description: 'Runs so far: start, resume, retry and rollback each add one' }),
  approval: PublishedApproval.optional().meta({ description: 'An operation waiting for approval in Slack' }),
  schedule: z.object({ at: Time, by: Actor }).optional().meta({ description: 'A start scheduled for later (the task is To release until then)' }),
  url: z.string().nullable().meta({ description: "The status card's permalink in Slack, once posted" }),
});
export type PublishedTask = z.infer<typeof PublishedTask>;

export const PublishedJob = z.object({
  name: z.string(),
  status: z.enum(JOB_STATUSES),
  env: z.string(),
  workload: z.string(),
  description: z.string().optional(),
  replicas: z.int(),
  active: z.enum(['blue', 'green']).meta({ description: 'The slot that receives traffic' }),
  versions: z.array(z.object({ slot: z.enum(['blue', 'green']), revision: z.int(), image: z.string(), labels: z.array(z.enum(['Active', 'Stable', 'New'])) })),
  pending: z.object({ slot: z.enum(['blue', 'green']), revision: z.int(), image: z.string(), by: Actor }).optional().meta({ description: 'The new version being brought up or waiting for Release' }),
  degradedReason: z.string().optional(),
  checks: PublishedChecks.optional(),
  history: z.array(z.object({ revision: z.int(), image: z.string(), at: Time, by: Actor, outcome: z.enum(['released', 'terminated', 'failed']) })),
  createdBy: Actor,
  createdAt: Time,
  updatedAt: Time,
  approval: PublishedApproval.optional(),
  url: z.string().nullable(),
});
export type PublishedJob = z.infer<typeof PublishedJob>;

const operationWord = (op: ReleaseTask['operation']) =>
  (Object.keys(OPERATION_KEYWORDS) as (keyof typeof OPERATION_KEYWORDS)[]).find((k) => OPERATION_KEYWORDS[k] === op)!;

function approval(a: ApprovalRequest | undefined, approvers: readonly string[]): z.infer<typeof PublishedApproval> | undefined {
  if (!a) return undefined;
  return { action: a.action, needed: a.needed, approvals: a.approvals, requestedBy: a.requestedBy, requestedAt: a.requestedAt, approvers: [...approvers] };
}

/** `approvers`: who may approve on the task's environment (the policy's list). */
export function publishTask(t: ReleaseTask, url: string | null, approvers: readonly string[] = []): PublishedTask {
  return {
    id: t.id, name: t.name, status: t.status, operation: operationWord(t.operation), env: t.env, ...def('from', t.sourceEnv),
    bestEffort: t.bestEffort, parallel: t.parallel, ...def('description', t.description),
    components: t.components.map((c) => ({
      name: c.name, status: c.status, ...def('image', c.image ?? c.plan?.target), ...def('previousImage', c.previousImage),
      ...def('replicas', c.replicas), ...def('error', c.error), ...def('startedAt', c.startedAt), ...def('endedAt', c.endedAt),
      ...def('checks', publishChecks(c.checks)),
    })),
    createdBy: t.createdBy, createdAt: t.createdAt, ...def('startedBy', t.startedBy), ...def('startedAt', t.startedAt),
    ...def('endedAt', t.endedAt), ...def('releasedAt', t.releasedAt), run: t.run,
    ...def('approval', approval(t.approval, approvers)),
    ...def('schedule', t.schedule ? { at: t.schedule.at, by: t.schedule.by } : undefined),
    url,
  };
}

export function publishJob(j: BlueGreenJob, url: string | null, approvers: readonly string[] = []): PublishedJob {
  const versions = (['blue', 'green'] as const).flatMap((slot) => {
    const v = j.versions[slot];
    if (!v) return [];
    const labels = [
      ...(slot === j.active ? (['Active'] as const) : []),
      ...(slot === j.stable ? (['Stable'] as const) : []),
      ...(j.pending?.slot === slot ? (['New'] as const) : []),
    ];
    return [{ slot, revision: v.revision, image: v.image, labels }];
  });
  return {
    name: j.name, status: j.status, env: j.env, workload: j.workload, ...def('description', j.description), replicas: j.replicas,
    active: j.active, versions,
    ...def('pending', j.pending ? { slot: j.pending.slot, revision: j.pending.revision, image: j.pending.image, by: j.pending.by } : undefined),
    ...def('degradedReason', j.degradedReason),
    ...def('checks', publishChecks(j.checks)),
    history: j.history.map((h) => ({ revision: h.revision, image: h.image, at: h.at, by: h.by, outcome: h.outcome })),
    createdBy: j.createdBy, createdAt: j.createdAt, updatedAt: j.updatedAt,
    ...def('approval', approval(j.approval, approvers)),
    url,
  };
}
