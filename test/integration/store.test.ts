import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReleaseTask } from '../../src/domain/release-task.js';
import { pino } from 'pino';
import { moveLegacyKeys } from '../../src/store/key-layout.js';
import { ComponentLocks } from '../../src/store/locks.js';
import { keys } from '../../src/store/redis.js';
import { TaskStore } from '../../src/store/task-store.js';
import { Refusal } from '../../src/store/versioned-store.js';
import { cleanupPrefix, testRedisUrl, uniquePrefix } from '../support/redis.js';

let redis: Redis;
const prefix = uniquePrefix('store');
const k = keys(prefix);
beforeAll(() => {
  redis = new Redis(testRedisUrl());
});
afterAll(async () => {
  await cleanupPrefix(testRedisUrl(), prefix);
  redis.disconnect();
});

const task = (id: string, createdAt = '2026-11-24T10:00:00Z'): ReleaseTask => ({
  id,
  name: id,
  status: 'To release',
  operation: 'Bulk Deploy',
  bestEffort: false,
  parallel: 4,
  env: 'prod',
  components: [],
  createdAt,
  createdBy: 'U1',
  run: 0,
  version: 1,
  stateVersion: 1,
  channel: 'C1',
});

describe('task store', () => {
  it('creates once, lists newest first', async () => {
    const s = new TaskStore(redis, k);
    expect(await s.create(task('rt-aaaaa1', '2026-11-24T10:00:00Z'))).toBe(true);
    expect(await s.create(task('rt-aaaaa1'))).toBe(false);
    await s.create(task('rt-aaaaa2', '2026-11-24T11:00:00Z'));
    expect((await s.list()).map((t) => t.id)).toEqual(['rt-aaaaa2', 'rt-aaaaa1']);
  });

  it('lets exactly one of many concurrent conflicting updates win, and none is lost', async () => {
    const s = new TaskStore(redis, k);
    await s.create(task('rt-race01'));
    const starts = await Promise.all(
      Array.from({ length: 10 }, () =>
        s.update('rt-race01', (t) => (t.status === 'To release' ? { ...t, status: 'Releasing', run: t.run + 1 } : new Refusal('already started'))),
      ),
    );
    expect(starts.filter((r) => r.ok)).toHaveLength(1);
    expect(starts.filter((r) => !r.ok).map((r) => !r.ok && r.reason)).toEqual(Array(9).fill('already started'));
    // Non-conflicting increments all land.
    await Promise.all(Array.from({ length: 20 }, () => s.update('rt-race01', (t) => ({ ...t, parallel: t.parallel + 1 }))));
    const t = await s.get('rt-race01');
    expect(t!.parallel).toBe(24);
    expect(t!.version).toBe(22);
  });
});

describe('task store: components on their own', () => {
  const comp = (name: string) => ({ name, image: `${name}:1`, status: 'To release' as const, history: [] });
  const big = (id: string, n: number): ReleaseTask => ({ ...task(id), components: Array.from({ length: n }, (_, i) => comp(`c${i}`)) });

  it('keeps 2,000 components in order and writes one component without touching the others', async () => {
    const s = new TaskStore(redis, k);
    await s.create(big('rt-big001', 2000));
    expect((await s.get('rt-big001'))!.components.map((c) => c.name)).toEqual(Array.from({ length: 2000 }, (_, i) => `c${i}`));
    // Progress is refused until a run is active, then lands on one field only.
    expect(await s.progress('rt-big001', 1, 7, { ...comp('c7'), status: 'Releasing' })).toBe(false);
    await s.update('rt-big001', (t) => ({ ...t, status: 'Releasing', run: 1 }));
    expect(await s.progress('rt-big001', 1, 7, { ...comp('c7'), status: 'Released' })).toBe(true);
    expect(await s.progress('rt-big001', 2, 8, { ...comp('c8'), status: 'Released' })).toBe(false); // another run's
    const t = (await s.get('rt-big001'))!;
    expect(t.components[7]!.status).toBe('Released');
    expect(t.components.filter((c) => c.status !== 'To release')).toHaveLength(1);
    expect(t.version).toBe(2); // component progress leaves the task's version alone
    expect(await s.runState('rt-big001')).toEqual({ run: 1, status: 'Releasing' });
    expect((await s.head('rt-big001')) as object).not.toHaveProperty('components');
  });

  it('retries a task-level write that raced a component write, so neither is lost', async () => {
    const s = new TaskStore(redis, k);
    await s.create({ ...big('rt-race02', 3), status: 'Releasing', run: 1 });
    let raced = false;
    const r = await s.update('rt-race02', (t) => {
      if (!raced) {
        raced = true;
        // A component finishes between this read and the write.
        void s.progress('rt-race02', 1, 0, { ...comp('c0'), status: 'Released' });
      }
      // Like the end of a run with Best Effort Off: what has not started is not released.
      return { ...t, components: t.components.map((c) => (c.status === 'To release' ? { ...c, status: 'Not released' as const } : c)) };
    });
    expect(r.ok).toBe(true);
    const t = (await s.get('rt-race02'))!;
    expect(t.components.map((c) => c.status)).toEqual(['Released', 'Not released', 'Not released']);
  });

  it('moves a task kept in the old one-JSON layout on first read', async () => {
    const s = new TaskStore(redis, k);
    const old = big('rt-old001', 3);
    await redis.hset(k.legacyTask('rt-old001'), 'v', '1', 'json', JSON.stringify(old));
    await redis.zadd(k.taskIndex, Date.parse(old.createdAt), 'rt-old001');
    expect(await s.runState('rt-old001')).toEqual({ run: 0, status: 'To release' });
    expect((await s.get('rt-old001'))!.components.map((c) => c.name)).toEqual(['c0', 'c1', 'c2']);
    expect(await redis.exists(k.legacyTask('rt-old001'))).toBe(0);
    expect((await s.update('rt-old001', (t) => ({ ...t, parallel: 2 }))).ok).toBe(true);
  });

  it('deletes a task with its components', async () => {
    const s = new TaskStore(redis, k);
    await s.create(big('rt-del001', 5));
    expect(await s.deleteAt('rt-del001', 99)).toBe(false);
    expect(await s.deleteAt('rt-del001', 1)).toBe(true);
    expect(await redis.exists(k.task('rt-del001'), k.taskComponents('rt-del001'))).toBe(0);
    expect((await s.heads()).map((t) => t.id)).not.toContain('rt-del001');
  });
});

describe('component locks', () => {
  it('is all-or-nothing, names the holder, and is idempotent for the holder', async () => {
    const l = new ComponentLocks(redis, k);
    expect(await l.acquire('rt-a', ['prod/web', 'prod/api'])).toEqual({ ok: true });
    expect(await l.acquire('rt-a', ['prod/web', 'prod/api'])).toEqual({ ok: true });
    expect(await l.acquire('rt-b', ['prod/db', 'prod/api'])).toEqual({ ok: false, component: 'prod/api', heldBy: 'rt-a' });
    expect(await l.holder('prod/db')).toBeNull();
    await l.release('rt-b', ['prod/web']); // not the holder: no effect
    expect(await l.holder('prod/web')).toBe('rt-a');
    await l.release('rt-a', ['prod/web', 'prod/api']);
    expect(await l.acquire('rt-b', ['prod/db', 'prod/api'])).toEqual({ ok: true });
  });
});

describe('blue-green release objects', () => {
  it('belong to one job: concurrent claims have one winner, a failed creation frees the claim', async () => {
    const { JobStore } = await import('../../src/store/versioned-store.js');
    const jobs = new JobStore(redis, k);
    const claims = await Promise.all(['a', 'b', 'c', 'd'].map((n) => jobs.reserveWorkload('prod', 'web', n)));
    expect(claims.filter((c) => c === undefined)).toHaveLength(1);
    const winner = ['a', 'b', 'c', 'd'][claims.indexOf(undefined)]!;
    expect(claims.filter((c) => c !== undefined)).toEqual([winner, winner, winner]);
    expect(await jobs.reserveWorkload('prod', 'web', winner)).toBeUndefined(); // the holder again: fine
    // The winner's job was never created: after a minute the claim lapses.
    expect(await jobs.reserveWorkload('prod', 'web', 'late', Date.now() + 61_000)).toBeUndefined();
    await jobs.releaseWorkload('prod', 'web', 'someone-else');
    expect(await jobs.reserveWorkload('prod', 'web', 'other')).toBe('late');
    await jobs.releaseWorkload('prod', 'web', 'late');
    expect(await jobs.reserveWorkload('prod', 'web', 'other')).toBeUndefined();
  });
});

describe('blue-green job versions', () => {
  it('a check sample bumps the version but not what the card controls carry; a status change bumps both', async () => {
    const { JobStore } = await import('../../src/store/versioned-store.js');
    const { jobCardVersion } = await import('../../src/domain/bluegreen-job.js');
    const { JobFactory } = await import('../support/factories.js');
    const jobs = new JobStore(redis, k);
    const job = JobFactory.create({ id: 'stamped', name: 'stamped', status: 'Paused', version: 4 });
    await jobs.create(job);
    const sampled = await jobs.update('stamped', (j) => ({ ...j, checks: { phase: 'preview', state: 'running', startedAt: j.createdAt, readings: [] } }));
    expect(sampled.ok && [sampled.task.version, jobCardVersion(sampled.task)]).toEqual([5, 4]);
    const moved = await jobs.update('stamped', (j) => ({ ...j, status: 'Promoting', run: j.run + 1 }));
    expect(moved.ok && [moved.task.version, jobCardVersion(moved.task)]).toEqual([6, 6]);
  });
});

describe('keys from before hash tags', () => {
  it('move to the current names once, keeping TTLs and never overwriting newer data', async () => {
    const p = uniquePrefix('layout');
    const k2 = keys(p);
    const log = pino({ level: 'silent' });
    await redis.hset(`${p}:bgjob:shop`, 'v', '3', 'json', '{"id":"shop"}');
    await redis.set(`${p}:lock:prod/web`, 'rt-aaaaa1');
    await redis.hset(`${p}:card:rt-aaaaa1`, 'channel', 'C1', 'ts', '1.2');
    await redis.rpush(`${p}:card:rt-aaaaa1:outbox`, 'reply');
    await redis.set(`${p}:card:rt-aaaaa1:outbox-lease`, 'w1', 'PX', 5000);
    await redis.hset(`${p}:sim:env:prod`, 'web', '{}');
    await redis.set(`${p}:sim:op:op-1`, '{}', 'EX', 600);
    await redis.hset(`${p}:sim:bg:prod/shop`, 'serving', 'blue');
    await redis.set(k2.card('bg:newer'), 'new'); // already current: left alone
    await redis.set(`${p}:card:bg:newer`, 'old');

    expect(await moveLegacyKeys(redis, p, k2, log)).toBe(7);
    expect(await redis.hget(k2.bgJob('shop'), 'v')).toBe('3');
    expect(await redis.get(k2.lock('prod/web'))).toBe('rt-aaaaa1');
    expect(await redis.hget(k2.card('rt-aaaaa1'), 'ts')).toBe('1.2');
    expect(await redis.lrange(k2.outbox('rt-aaaaa1'), 0, -1)).toEqual(['reply']);
    expect(await redis.exists(`${p}:card:rt-aaaaa1:outbox-lease`, k2.outboxLease('rt-aaaaa1'))).toBe(0);
    expect(await redis.hget(k2.simEnv('prod'), 'web')).toBe('{}');
    expect(await redis.ttl(k2.simOp('op-1'))).toBeGreaterThan(0);
    expect(await redis.hget(k2.simBg('prod', 'shop'), 'serving')).toBe('blue');
    expect(await redis.get(k2.card('bg:newer'))).toBe('new');
    // Once done, it is not looked for again.
    await redis.set(`${p}:bgjob:late`, 'x');
    expect(await moveLegacyKeys(redis, p, k2, log)).toBe(0);
    await cleanupPrefix(testRedisUrl(), p);
  });
});
