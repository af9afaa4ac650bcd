/**
 * The reconciler repairs what a crash between two writes leaves: a busy task or job with no run
 * queued, a scheduled start with no delayed job, and locks held by a task that is not running.
 * Real Redis and BullMQ.
 */
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BlueGreenJob } from '../../src/domain/bluegreen-job.js';
import type { ReleaseTask } from '../../src/domain/release-task.js';
import { JobQueues, runJobId } from '../../src/jobs/queues.js';
import { reconcile } from '../../src/jobs/reconciler.js';
import { BullRunQueue } from '../../src/jobs/run-queue.js';
import { ComponentLocks } from '../../src/store/locks.js';
import { keys } from '../../src/store/redis.js';
import { TaskStore } from '../../src/store/task-store.js';
import { JobStore } from '../../src/store/versioned-store.js';
import { cleanupPrefix, testRedisUrl, uniquePrefix } from '../support/redis.js';

const prefix = uniquePrefix('reconcile');
const k = keys(prefix);
let redis: Redis;
let queues: JobQueues;
beforeAll(() => {
  redis = new Redis(testRedisUrl());
  queues = new JobQueues(redis, prefix);
});
afterAll(async () => {
  await queues.close();
  await cleanupPrefix(testRedisUrl(), prefix);
  redis.disconnect();
});

const now = new Date().toISOString();
const task = (id: string, status: ReleaseTask['status']): ReleaseTask => ({
  id, name: id, status, operation: 'Bulk Deploy', bestEffort: false, parallel: 1, env: 'prod',
  components: [{ name: `${id}-c`, image: 'a:1', status: 'To release', history: [] }],
  createdAt: now, createdBy: 'U1', run: 1, version: 1, stateVersion: 1, channel: 'C1',
});

describe('the reconciler', () => {
  it('queues the missing run of a busy task and job once, and lets go of orphaned locks only', async () => {
    const tasks = new TaskStore(redis, k);
    const jobs = new JobStore(redis, k);
    const locks = new ComponentLocks(redis, k);
    await tasks.create(task('rt-stuck1', 'Releasing'));
    await tasks.create(task('rt-idle01', 'To release'));
    const job: BlueGreenJob = {
      id: 'web', name: 'web', status: 'Promoting', releaseType: 'Blue-Green', env: 'prod', workload: 'web', replicas: 1,
      versions: {}, active: 'blue', stable: 'blue', history: [], nextRevision: 2, createdAt: now, createdBy: 'U1', updatedAt: now, run: 3, version: 1, channel: 'C1',
    };
    await jobs.create(job);
    await locks.acquire('rt-stuck1', ['prod/rt-stuck1-c']);
    await locks.acquire('rt-idle01', ['prod/rt-idle01-c']); // a start that died before writing Releasing

    const d = { redis, keys: k, tasks, jobs, locks, runs: new BullRunQueue(queues), log: pino({ level: 'silent' }) };
    expect(await reconcile(d, 20)).toEqual({ runs: 2, schedules: 0, locks: 1 });
    expect(await queues.byName.releases.getJob(runJobId.task('rt-stuck1', 1))).toBeDefined();
    expect(await queues.byName.releases.getJob(runJobId.bluegreen('web', now, 3))).toBeDefined();
    expect(await locks.holder('prod/rt-stuck1-c')).toBe('rt-stuck1');
    expect(await locks.holder('prod/rt-idle01-c')).toBeNull();
    // A second pass finds nothing to do.
    expect(await reconcile(d, 20)).toEqual({ runs: 0, schedules: 0, locks: 0 });
  });

  it('queues the delayed job of a scheduled start that has none, once, with the delay left', async () => {
    const tasks = new TaskStore(redis, k);
    const locks = new ComponentLocks(redis, k);
    const runs = new BullRunQueue(queues);
    const at = new Date(Date.now() + 3_600_000);
    const schedule = { at: at.toISOString(), by: 'U1', jobId: runs.scheduledStartId('rt-sched1', at) };
    await tasks.create({ ...task('rt-sched1', 'To release'), run: 0, schedule });
    const d = { redis, keys: k, tasks, jobs: new JobStore(redis, k), locks, runs, log: pino({ level: 'silent' }) };

    expect(await reconcile(d, 20)).toMatchObject({ schedules: 1 });
    const job = await queues.byName.releases.getJob(schedule.jobId);
    expect(job?.name).toBe('task.scheduled-start');
    expect(job?.data).toEqual({ taskId: 'rt-sched1', at: schedule.at, by: 'U1' });
    expect(await job?.getState()).toBe('delayed');
    expect(job!.delay).toBeGreaterThan(3_500_000);
    expect(await reconcile(d, 20)).toMatchObject({ schedules: 0 });
  });
});
