/** BullMQ queues and a typed `enqueue`. One Redis connection is shared by the producers. */
import { Queue, type JobsOptions } from 'bullmq';
import type { EntityRef } from '../domain/entity.js';
import type { RedisClient } from '../store/redis.js';
import { JOB_QUEUE, QUEUES, type JobName, type JobPayloads, type QueueName } from './catalogue.js';

/** Failed jobs are kept a while for inspection; finished ones are trimmed. */
const DEFAULT_JOB_OPTIONS: JobsOptions = {
  removeOnComplete: { age: 24 * 3600, count: 1000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

/**
 * Deterministic BullMQ job IDs for runs, so adding a run twice (a retry, the reconciler) adds it
 * once. A blue-green job's ID includes its creation time: a name can be reused after a failed create.
 */
export const runJobId = {
  task: (taskId: string, run: number) => `run-${taskId}-${run}`,
  bluegreen: (jobId: string, createdAt: string, run: number) => `bg-${jobId}-${Date.parse(createdAt)}-${run}`,
  /** A start of a task scheduled for a time: a second add of the same schedule (the reconciler's) adds nothing. */
  scheduledStart: (taskId: string, at: Date) => `sched-${taskId}-${at.getTime()}`,
};

/**
 * The deterministic ID of the `events.settled` job of one run coming to rest: a settle that runs
 * again (a worker retry, a give-up racing a late finish) queues nothing new. IDs of blue-green
 * jobs are DNS labels and task IDs are rt-…; statuses become `release-failed` and the like.
 */
export function settledJobId(ref: EntityRef, status: string, run: number): string {
  const slug = status.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  return `settled-${ref.kind === 'task' ? 'task' : 'bg'}-${ref.id}-${run}-${slug}`;
}

/**
 * BullMQ's `prefix` for a queue. Its keys are `<prefix>:<queue>:…` and its scripts touch many of
 * them at once, so on a Redis Cluster each queue gets a prefix that is a hash tag of its own,
 * `{<REDIS_PREFIX>-<queue>}` (BullMQ's cluster advice; queues still spread over the nodes). On one
 * Redis the prefix stays REDIS_PREFIX, where existing deployments keep their jobs.
 */
export function queuePrefix(prefix: string, queue: QueueName, cluster: boolean): string {
  return cluster ? `{${prefix}-${queue}}` : prefix;
}

export class JobQueues {
  readonly byName: Record<QueueName, Queue>;

  constructor(connection: RedisClient, prefix: string) {
    const make = (name: QueueName) =>
      new Queue(name, { connection, prefix: queuePrefix(prefix, name, connection.isCluster), defaultJobOptions: DEFAULT_JOB_OPTIONS });
    this.byName = { releases: make(QUEUES.releases), slack: make(QUEUES.slack), events: make(QUEUES.events) };
  }

  enqueue<K extends JobName>(name: K, payload: JobPayloads[K], opts?: JobsOptions) {
    return this.byName[JOB_QUEUE[name]].add(name, payload, opts);
  }

  async close(): Promise<void> {
    await Promise.all(Object.values(this.byName).map((q) => q.close()));
  }
}
