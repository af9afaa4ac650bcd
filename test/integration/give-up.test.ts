/**
 * A run that fails its last attempt is settled, not left Releasing (or busy) forever: real Redis,
 * real BullMQ, a handler that keeps throwing.
 */
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BlueGreenJob } from '../../src/domain/bluegreen-job.js';
import type { ReleaseTask } from '../../src/domain/release-task.js';
import { Metrics } from '../../src/http/metrics.js';
import { abandonBlueGreenRun, runBlueGreenHandler } from '../../src/jobs/handlers/run-bluegreen.js';
import { abandonTaskRun } from '../../src/jobs/handlers/run-task.js';
import { JobQueues, settledJobId } from '../../src/jobs/queues.js';
import { QueueReleaseEvents } from '../../src/jobs/release-events.js';
import { WorkerHost, type JobHandlers } from '../../src/jobs/worker-host.js';
import { SimulatedPlatform } from '../../src/platform/simulated/simulated-platform.js';
import { QueueNotifier } from '../../src/slack/notifier.js';
import { AuditLog } from '../../src/store/audit-log.js';
import { CardStore } from '../../src/store/card-store.js';
import { ComponentLocks } from '../../src/store/locks.js';
import { keys } from '../../src/store/redis.js';
import { TaskStore } from '../../src/store/task-store.js';
import { JobStore } from '../../src/store/versioned-store.js';
import { cleanupPrefix, testRedisUrl, uniquePrefix } from '../support/redis.js';
import { eventually } from '../support/test-bot.js';

const prefix = uniquePrefix('give-up');
let redis: Redis;
let host: WorkerHost;
let queues: JobQueues;
const k = keys(prefix);

const boom = async () => {
  throw new Error('redis went away');
};

beforeAll(() => {
  redis = new Redis(testRedisUrl());
  queues = new JobQueues(redis, prefix);
});
afterAll(async () => {
  await host?.close(true);
  await queues.close();
  await cleanupPrefix(testRedisUrl(), prefix);
  redis.disconnect();
});

describe('a run that keeps failing', () => {
  it('ends the task Release failed and lets its locks go; puts a blue-green job back where a person can act', async () => {
    const tasks = new TaskStore(redis, k);
    const jobs = new JobStore(redis, k);
    const locks = new ComponentLocks(redis, k);
    const audit = new AuditLog(redis, k);
    const notifier = new QueueNotifier(queues, new CardStore(redis, k), 0);
    const platform = new SimulatedPlatform(redis, k, { latencyMs: 0, failComponents: [] });
    const metrics = new Metrics();
    const events = new QueueReleaseEvents(queues, metrics, pino({ level: 'silent' }));
    const deps = { tasks, jobs, locks, audit, notifier, events, platform, metrics, clock: () => new Date() };
    const handlers = { 'task.run': boom, 'bluegreen.run': boom } as unknown as JobHandlers;
    host = new WorkerHost(
      handlers,
      { redis: { url: testRedisUrl() }, prefix, concurrency: 2, lockDurationMs: 5000, stalledIntervalMs: 5000, slackCallsPerSec: 10, log: pino({ level: 'silent' }) },
      { 'task.run': abandonTaskRun(deps), 'bluegreen.run': abandonBlueGreenRun(deps) },
    );
    host.start();

    const now = new Date().toISOString();
    const task: ReleaseTask = {
      id: 'rt-giveup', name: 'g', status: 'Releasing', operation: 'Bulk Deploy', bestEffort: false, parallel: 1, env: 'prod',
      components: [
        { name: 'a', image: 'a:1', status: 'Releasing', startedAt: now, history: [] },
        { name: 'b', image: 'b:1', status: 'To release', history: [] },
      ],
      createdAt: now, createdBy: 'U1', run: 1, version: 1, stateVersion: 1, channel: 'C1', startedAt: now,
    };
    await tasks.create(task);
    await locks.acquire(task.id, ['prod/a', 'prod/b']);
    await queues.enqueue('task.run', { taskId: task.id, run: 1 }, { attempts: 2, backoff: { type: 'fixed', delay: 50 } });

    const job: BlueGreenJob = {
      id: 'web', name: 'web', status: 'Promoting', releaseType: 'Blue-Green', env: 'prod', workload: 'web', replicas: 1,
      versions: { blue: { slot: 'blue', revision: 1, image: 'web:1', replicas: 1, createdAt: now }, green: { slot: 'green', revision: 2, image: 'web:2', replicas: 1, createdAt: now } },
      active: 'blue', stable: 'blue', pending: { slot: 'green', revision: 2, image: 'web:2', by: 'U1' }, history: [], nextRevision: 3,
      createdAt: now, createdBy: 'U1', updatedAt: now, run: 2, version: 1, channel: 'C1',
    };
    await jobs.create(job);
    await queues.enqueue('bluegreen.run', { jobId: 'web', run: 2 }, { attempts: 2, backoff: { type: 'fixed', delay: 50 } });

    const t = await eventually(async () => {
      const x = await tasks.get(task.id);
      return x?.status === 'Release failed' ? x : undefined;
    }, 10_000, 'task settled');
    expect(t.components.map((c) => [c.name, c.status])).toEqual([
      ['a', 'Release failed'],
      ['b', 'Not released'],
    ]);
    expect(t.components[0]!.error).toBe('the run stopped: redis went away');
    expect(await locks.holder('prod/a')).toBeNull();
    expect(await locks.holder('prod/b')).toBeNull();

    const j = await eventually(async () => {
      const x = await jobs.get('web');
      return x?.status === 'Paused' ? x : undefined;
    }, 10_000, 'job back to Paused');
    expect(j.pending?.revision).toBe(2);
    const actions = (await audit.recent({ limit: 10 })).map((e) => `${e.target}:${e.action}`);
    expect(actions).toEqual(expect.arrayContaining(['rt-giveup:run-abandoned', 'web:run-abandoned']));
    // Both came to rest, so their listeners (webhooks, a workflow step) are told: one event each.
    expect(await queues.byName.events.getJob(settledJobId({ kind: 'task', id: 'rt-giveup' }, 'Release failed', 1))).toBeDefined();
    expect(await queues.byName.events.getJob(settledJobId({ kind: 'bluegreen', id: 'web' }, 'Paused', 2))).toBeDefined();
  });
});

describe('a blue-green run with checks that keeps failing', () => {
  it('fails preview checks it could not finish; a release whose switch back failed ends Degraded, and Terminate moves the traffic back', async () => {
    const p2 = uniquePrefix('give-up-checks');
    const k2 = keys(p2);
    const queues2 = new JobQueues(redis, p2);
    const jobs = new JobStore(redis, k2);
    const audit = new AuditLog(redis, k2);
    const notifier = new QueueNotifier(queues2, new CardStore(redis, k2), 0);
    const platform = new SimulatedPlatform(redis, k2, { latencyMs: 0, failComponents: [] });
    const metrics = new Metrics();
    const events = new QueueReleaseEvents(queues2, metrics, pino({ level: 'silent' }));
    const deps = { jobs, audit, notifier, events, platform, metrics, clock: () => new Date() };
    const host2 = new WorkerHost(
      { 'task.run': boom, 'bluegreen.run': boom } as unknown as JobHandlers,
      { redis: { url: testRedisUrl() }, prefix: p2, concurrency: 2, lockDurationMs: 5000, stalledIntervalMs: 5000, slackCallsPerSec: 10, log: pino({ level: 'silent' }) },
      { 'bluegreen.run': abandonBlueGreenRun(deps) } as never,
    );
    host2.start();
    try {
      const now = new Date().toISOString();
      const base = (name: string): BlueGreenJob => ({
        id: name, name, status: 'Paused', releaseType: 'Blue-Green', env: 'prod', workload: name, replicas: 1,
        versions: { blue: { slot: 'blue', revision: 1, image: `${name}:1`, replicas: 1, createdAt: now }, green: { slot: 'green', revision: 2, image: `${name}:2-errors`, replicas: 1, createdAt: now } },
        active: 'blue', stable: 'blue', pending: { slot: 'green', revision: 2, image: `${name}:2-errors`, by: 'U1' }, history: [], nextRevision: 3,
        createdAt: now, createdBy: 'U1', updatedAt: now, run: 2, version: 1, channel: 'C1',
      });
      const failed = { name: 'error-rate', state: 'failed' as const, value: 0.5, detail: 'error-rate 0.5 is not below 0.01', samples: 1, firstAt: now, lastAt: now };
      await jobs.create({ ...base('prev'), checks: { phase: 'preview', state: 'running', startedAt: now, readings: [] } });
      await jobs.create({ ...base('undo'), status: 'Promoting', active: 'green', checks: { phase: 'release', state: 'failed', startedAt: now, until: now, readings: [failed] } });
      for (const id of ['prev', 'undo']) await queues2.enqueue('bluegreen.run', { jobId: id, run: 2 }, { attempts: 2, backoff: { type: 'fixed', delay: 50 } });

      // The preview's checks did not finish: failed, so Release is refused, not waiting for ever.
      const prev = await eventually(async () => {
        const x = await jobs.get('prev');
        return x?.checks?.state === 'failed' ? x : undefined;
      }, 10_000, 'preview checks failed');
      expect(prev.status).toBe('Paused');
      expect(prev.checks!.readings.at(-1)!.detail).toBe('the checks stopped: redis went away');

      // The switch back never happened: Degraded (not Paused with the traffic on the failing version).
      const undo = await eventually(async () => {
        const x = await jobs.get('undo');
        return x?.status === 'Degraded' ? x : undefined;
      }, 10_000, 'undo Degraded');
      expect(undo.active).toBe('green');
      expect(undo.degradedReason).toBe('redis went away');

      // Terminate puts the traffic back on blue first, then deletes green.
      for (const [slot, image] of [['blue', 'undo:1'], ['green', 'undo:2-errors']] as const) {
        await platform.bgDeploySlot({ opId: `deploy-${slot}`, env: 'prod', workload: 'undo', slot, image, replicas: 1 });
      }
      await platform.bgSwitch({ env: 'prod', workload: 'undo', slot: 'green' });
      await jobs.update('undo', (j) => ({ ...j, status: 'Terminating', run: 3 }));
      await runBlueGreenHandler(deps)({ jobId: 'undo', run: 3 }, {} as never);
      const after = (await jobs.get('undo'))!;
      expect(after.status).toBe('Healthy');
      expect(after.active).toBe('blue');
      expect(after.history.at(-1)).toMatchObject({ revision: 2, outcome: 'failed' });
      const seen = await platform.bgInspect('prod', 'undo');
      expect(seen?.serving).toBe('blue');
      expect(Object.keys(seen?.slots ?? {})).toEqual(['blue']);
    } finally {
      await host2.close(true);
      await queues2.close();
      await cleanupPrefix(testRedisUrl(), p2);
    }
  });
});
