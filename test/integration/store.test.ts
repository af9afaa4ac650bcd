import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReleaseTask } from '../../src/domain/release-task.js';
import { ComponentLocks } from '../../src/store/locks.js';
import { keys } from '../../src/store/redis.js';
import { Refusal, TaskStore } from '../../src/store/versioned-store.js';
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
