/**
 * Starts one BullMQ Worker per queue and routes each job to its handler by name.
 */
import { Job, Queue, Worker, type WorkerOptions } from 'bullmq';
import type { Logger } from 'pino';
import { withContext } from '../last-resort.js';
import { connectRedis, type RedisClient, type RedisSettings } from '../store/redis.js';
import { SlackRateLimited } from './errors/index.js';
import { JOB_QUEUE, QUEUES, type JobName, type JobPayloads, type QueueName } from './catalogue.js';
import { queuePrefix } from './queues.js';

/** Jobs of the events queue one worker process runs at once. */
const EVENTS_CONCURRENCY = 16;

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
  /** Where Redis is: each worker opens its own connection (BullMQ blocks on it). */
  redis: RedisSettings;
  /** REDIS_PREFIX (queuePrefix() makes each queue's BullMQ prefix of it). */
  prefix: string;
  concurrency: number;
  lockDurationMs: number;
  stalledIntervalMs: number;
  slackCallsPerSec: number;
  log: Logger;
}

export class WorkerHost {
  private readonly workers: Worker[] = [];
  private readonly connections: RedisClient[] = [];
  private readonly shutdown = new AbortController();
  /** Jobs this process is working on, with their lock tokens, so they can be handed back. */
  private readonly active = new Map<string, { queue: QueueName; job: Job; token: string | undefined }>();

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
      // Mostly waiting on other people's servers (a webhook may take its whole 10 s timeout).
      this.make(QUEUES.events, { concurrency: EVENTS_CONCURRENCY }),
    );
  }

  get running(): boolean {
    return this.workers.length > 0 && this.workers.every((w) => w.isRunning());
  }

  async close(force = false): Promise<void> {
    this.shutdown.abort();
    await Promise.all(this.workers.map((w) => w.close(force)));
    await this.disconnect();
  }

  /**
   * The process is going down unexpectedly: stop the workers without waiting for their jobs and
   * cut their connections (so nothing more is fetched), then put every job this process held back
   * on its queue at once, rather than after its lock lapses. Runs are resumable: another worker
   * carries on where this one stopped.
   */
  async handBack(): Promise<void> {
    this.shutdown.abort();
    const held = [...this.active.values()];
    await Promise.all(this.workers.map((w) => w.close(true)));
    await this.disconnect();
    const connection = connectRedis(this.o.redis, { name: 'switchyard-hand-back', autopipeline: false });
    try {
      await Promise.all(held.map(async ({ queue, job, token }) => {
        const q = new Queue(queue, { connection, prefix: queuePrefix(this.o.prefix, queue, connection.isCluster) });
        try {
          await (await Job.fromId(q, job.id!))?.moveToWait(token);
        } catch (err) {
          this.o.log.warn({ id: job.id, err: (err as Error).message }, 'could not hand back a job; its lock will lapse');
        } finally {
          await q.close();
        }
      }));
    } finally {
      await connection.quit().catch(() => connection.disconnect());
    }
    this.o.log.warn({ jobs: held.map((h) => `${h.job.name}:${h.job.id}`) }, 'handed back');
  }

  /** BullMQ leaves connections it was given open; they are ours to close. */
  private async disconnect(): Promise<void> {
    await Promise.all(this.connections.map((c) => c.quit().catch(() => c.disconnect())));
  }

  private make(queue: QueueName, opts: Partial<WorkerOptions>): Worker {
    const connection = connectRedis(this.o.redis, { forBullmq: true, name: `switchyard-${queue}` });
    this.connections.push(connection);
    const worker: Worker = new Worker(
      queue,
      async (job: Job, token?: string) => {
        const name = job.name as JobName;
        if (JOB_QUEUE[name] !== queue) throw new Error(`unknown job ${job.name} on queue ${queue}`);
        const handler = this.handlers[name] as (p: unknown, ctx: JobContext) => Promise<void>;
        const key = `${queue}:${job.id}`;
        this.active.set(key, { queue, job, token });
        try {
          await withContext({ queue, job: job.name, id: job.id }, () => handler(job.data, { job, token, signal: this.shutdown.signal }));
        } catch (err) {
          if (err instanceof SlackRateLimited) {
            await worker.rateLimit(err.retryAfterMs);
            throw Worker.RateLimitError();
          }
          throw err;
        } finally {
          this.active.delete(key);
        }
      },
      { connection, prefix: queuePrefix(this.o.prefix, queue, connection.isCluster), ...opts },
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
