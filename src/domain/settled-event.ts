/**
 * What a listener outside Slack (a webhook receiver) is told when a task or job comes to rest:
 * plain JSON in the words of the product, built from the entity. Pure.
 */
import type { BlueGreenJob } from './bluegreen-job.js';
import type { ReleaseTask } from './release-task.js';

/** One component of a task as a receiver sees it. */
export interface ComponentJson {
  name: string;
  status: string;
  image?: string;
  previousImage?: string;
  replicas?: number;
  error?: string;
}

export interface TaskJson {
  id: string;
  name: string;
  env: string;
  sourceEnv?: string;
  status: string;
  operation: string;
  bestEffort: boolean;
  description?: string;
  run: number;
  createdBy: string;
  createdAt: string;
  startedBy?: string;
  startedAt?: string;
  releasedAt?: string;
  rolledBackBy?: string;
  endedAt?: string;
  components: ComponentJson[];
}

export interface JobJson {
  id: string;
  name: string;
  env: string;
  workload: string;
  status: string;
  releaseType: string;
  description?: string;
  replicas: number;
  /** Main versions by slot (blue, green); `active` takes the traffic, `stable` was released last. */
  versions: Partial<Record<'blue' | 'green', { revision: number; image: string; replicas: number }>>;
  active: string;
  stable: string;
  /** The new version of the operation in progress (Paused: beside the stable one). */
  pending?: { slot: string; revision: number; image: string; by: string };
  degradedReason?: string;
  history: BlueGreenJob['history'];
  run: number;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

/**
 * The body of a webhook, less `sentAt` (stamped at each delivery attempt). `status` and `run` say
 * what came to rest; `task` or `job` is the entity as it was read just after, which is the same
 * unless someone acted on it within moments.
 */
export type SettledEvent =
  | { event: 'task.settled'; status: string; run: number; task: TaskJson }
  | { event: 'bluegreen.settled'; status: string; run: number; job: JobJson };

export function taskJson(t: ReleaseTask): TaskJson {
  return {
    id: t.id, name: t.name, env: t.env, ...(t.sourceEnv ? { sourceEnv: t.sourceEnv } : {}),
    status: t.status, operation: t.operation, bestEffort: t.bestEffort, ...(t.description ? { description: t.description } : {}),
    run: t.run, createdBy: t.createdBy, createdAt: t.createdAt,
    ...pick(t, ['startedBy', 'startedAt', 'releasedAt', 'rolledBackBy', 'endedAt']),
    components: t.components.map((c) => ({ name: c.name, status: c.status, ...pick(c, ['image', 'previousImage', 'replicas', 'error']) })),
  };
}

export function jobJson(j: BlueGreenJob): JobJson {
  const versions: JobJson['versions'] = {};
  for (const v of Object.values(j.versions)) if (v) versions[v.slot] = { revision: v.revision, image: v.image, replicas: v.replicas };
  return {
    id: j.id, name: j.name, env: j.env, workload: j.workload, status: j.status, releaseType: j.releaseType,
    ...(j.description ? { description: j.description } : {}), replicas: j.replicas, versions, active: j.active, stable: j.stable,
    ...(j.pending ? { pending: { slot: j.pending.slot, revision: j.pending.revision, image: j.pending.image, by: j.pending.by } } : {}),
    ...(j.degradedReason ? { degradedReason: j.degradedReason } : {}),
    history: j.history, run: j.run, createdBy: j.createdBy, createdAt: j.createdAt, updatedAt: j.updatedAt,
  };
}

export function settledEvent(s: { status: string; run: number } & ({ kind: 'task'; task: ReleaseTask } | { kind: 'bluegreen'; job: BlueGreenJob })): SettledEvent {
  return s.kind === 'task'
    ? { event: 'task.settled', status: s.status, run: s.run, task: taskJson(s.task) }
    : { event: 'bluegreen.settled', status: s.status, run: s.run, job: jobJson(s.job) };
}

/** The fields of `o` named in `keys` that are set. */
function pick<T extends object, K extends keyof T>(o: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}
