/**
 * The release-events port (ports/release-events.ts) on the `events` queue: it only queues one
 * `events.settled` job per run coming to rest, under a deterministic ID; the job's handler
 * (handlers/settled.ts) tells each listener with a job of its own. A queue that cannot be
 * reached is logged and counted, never thrown: the release it is about has already happened.
 */
import type { Logger } from 'pino';
import type { EntityRef } from '../domain/entity.js';
import type { OperationMetrics } from '../ports/metrics.js';
import type { ReleaseEvents } from '../ports/release-events.js';
import { settledJobId, type JobQueues } from './queues.js';

/** The fan-out reads Redis and queues jobs: a few quick retries cover a blip. */
const SETTLED_RETRY = { attempts: 5, backoff: { type: 'exponential', delay: 1000 } } as const;

export class QueueReleaseEvents implements ReleaseEvents {
  constructor(
    private readonly queues: JobQueues,
    private readonly metrics: OperationMetrics,
    private readonly log: Logger,
  ) {}

  async settled(ref: EntityRef, status: string, run: number): Promise<void> {
    const jobId = settledJobId(ref, status, run);
    try {
      await this.queues.enqueue('events.settled', { ref, status, run }, { ...SETTLED_RETRY, jobId });
    } catch (err) {
      this.metrics.operation('events.settled', 'not queued');
      this.log.error({ ref, status, run, err: (err as Error).message }, 'could not queue the settled event: its webhooks and workflow step are not told');
    }
  }
}
