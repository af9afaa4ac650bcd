/**
 * Starts one BullMQ Worker per queue and routes each job to its handler by name.
 */
import { Worker, type Job, type WorkerOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { connectRedis } from '../store/redis.js';
import { SlackRateLimited } from './errors/index.js';
import { JOB_QUEUE, QUEUES, type JobName, type JobPayloads, type QueueName } from './catalogue.js';

export interface JobContext {
  job: Job;
  /** The worker's lock token for the job (for job.moveToDelayed). */
  token: string | undefined;
  /** Aborted when the worker shuts down: handlers stop starting new work and let the job resume elsewhere. */
  signal: AbortSignal;
}

export type JobHandlers = { [K in JobName]: (payload: JobPayloads[K], ctx: JobContext) => Promise<void> };

/** What to do when a job has failed its last attempt: leave the entity where a person can act. */
export type GiveUpHandlers = { [K in JobName]?: (payload: JobPayloads[K], err: Error) => Promise<void> };

export interface WorkerHostOptions {
  redisUrl: string;
  prefix: string;
  concurrency: number;
  lockDurationMs: number;
  stalledIntervalMs: number;
  slackCallsPerSec: number;
  log: Logger;
}

export class WorkerHost {
  private readonly workers: Worker[] = [];
  private readonly connections: Redis[] = [];
  private readonly shutdown = new AbortController();

  constructor(
    private readonly handlers: JobHandlers,
    private readonly o: WorkerHostOptions,
    private readonly giveUp: GiveUpHandlers = {},
  ) {}

  start(): void {
    this.workers.push(
      this.make(QUEUES.releases, {
        concurrency: this.o.concurrency,
        lockDuration: this.o.lockDurationMs,
        stalledInterval: this.o.stalledIntervalMs,
        // A run is resumable, so a job that stalls (its worker died) is simply picked up again.
        maxStalledCount: 20,
      }),
      // One at a time keeps thread replies in order; the limiter keeps inside Slack's limits.
      this.make(QUEUES.slack, { concurrency: 1, limiter: { max: this.o.slackCallsPerSec, duration: 1000 } }),
    );
  }

  get running(): boolean {
    return this.workers.length > 0 && this.workers.every((w) => w.isRunning());
  }

  async close(force = false): Promise<void> {
    this.shutdown.abort();
    await Promise.all(this.workers.map((w) => w.close(force)));
    // BullMQ leaves connections it was given open; they are ours to close.
    await Promise.all(this.connections.map((c) => c.quit().catch(() => c.disconnect())));
  }

  private make(queue: QueueName, opts: Partial<WorkerOptions>): Worker {
    const connection = connectRedis(this.o.redisUrl, { forBullmq: true, name: `switchyard-${queue}` });
    this.connections.push(connection);
    const worker: Worker = new Worker(
      queue,
      async (job: Job, token?: string) => {
        const name = job.name as JobName;
        if (JOB_QUEUE[name] !== queue) throw new Error(`unknown job ${job.name} on queue ${queue}`);
        const handler = this.handlers[name] as (p: unknown, ctx: JobContext) => Promise<void>;
        try {
          await handler(job.data, { job, token, signal: this.shutdown.signal });
        } catch (err) {
          if (err instanceof SlackRateLimited) {
            await worker.rateLimit(err.retryAfterMs);
            throw Worker.RateLimitError();
          }
          throw err;
        }
      },
      { connection, prefix: this.o.prefix, ...opts },
    );
    worker.on('failed', (job, err) => {
      this.o.log.warn({ queue, job: job?.name, id: job?.id, attempts: job?.attemptsMade, err: err.message }, 'job failed');
      if (!job || job.attemptsMade < (job.opts.attempts ?? 1)) return; // it will be tried again
      const giveUp = this.giveUp[job.name as JobName] as ((p: unknown, e: Error) => Promise<void>) | undefined;
      giveUp?.(job.data, err).catch((e: Error) => this.o.log.error({ job: job.name, id: job.id, err: e.message }, 'could not settle a failed job'));
    });
    worker.on('error', (err) => this.o.log.error({ queue, err: err.message }, 'worker error'));
    return worker;
  }
}
