import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedPlatform } from '../../src/platform/simulated/simulated-platform.js';
import { keys } from '../../src/store/redis.js';
import { cleanupPrefix, testRedisUrl, uniquePrefix } from '../support/redis.js';

let redis: Redis;
const prefix = uniquePrefix('sim');
const k = keys(prefix);
beforeAll(() => {
  redis = new Redis(testRedisUrl());
});
afterAll(async () => {
  await cleanupPrefix(testRedisUrl(), prefix);
  redis.disconnect();
});

const platform = (opts: { failComponents?: string[]; latencyMs?: number } = {}) =>
  new SimulatedPlatform(redis, k, { latencyMs: opts.latencyMs ?? 0, failComponents: opts.failComponents ?? [] });

describe('simulated platform', () => {
  it('deploys, upgrades (remembering the previous image) and clones', async () => {
    const p = platform();
    expect(await p.deploy({ opId: 'd1', env: 'e1', name: 'web', image: 'web:1', replicas: 3 })).toMatchObject({ ok: true, component: { image: 'web:1', replicas: 3 } });
    expect(await p.upgrade({ opId: 'u1', env: 'e1', name: 'web', image: 'web:2' })).toMatchObject({ ok: true, previousImage: 'web:1', component: { image: 'web:2', replicas: 3 } });
    expect(await p.clone({ opId: 'c1', fromEnv: 'e1', env: 'e2', name: 'web' })).toMatchObject({ ok: true, component: { env: 'e2', image: 'web:2', replicas: 3 } });
    expect((await p.list('e2')).map((c) => c.name)).toEqual(['web']);
  });

  it('fails with plain reasons', async () => {
    const p = platform({ failComponents: ['flaky'] });
    expect(await p.upgrade({ opId: 'x1', env: 'e3', name: 'nope', image: 'a:1' })).toEqual({ ok: false, error: 'nope does not exist in e3; deploy it first' });
    await p.deploy({ opId: 'x2', env: 'e3', name: 'api', image: 'api:1', replicas: 1 });
    expect(await p.deploy({ opId: 'x3', env: 'e3', name: 'api', image: 'api:1', replicas: 1 })).toEqual({ ok: false, error: 'api already exists in e3 (running api:1); use a Bulk Upgrade' });
    expect(await p.clone({ opId: 'x4', fromEnv: 'nowhere', env: 'e3', name: 'db' })).toEqual({ ok: false, error: 'db does not exist in nowhere, nothing to clone' });
    expect(await p.upgrade({ opId: 'x5', env: 'e3', name: 'api', image: 'api:2-broken' })).toMatchObject({ ok: false, error: expect.stringContaining('never became ready') });
    expect((await p.get('e3', 'api'))!.image).toBe('api:1');
    expect(await p.deploy({ opId: 'x6', env: 'e3', name: 'flaky', image: 'f:1', replicas: 1 })).toMatchObject({ ok: false, error: expect.stringContaining('SIM_FAIL_COMPONENTS') });
  });

  it('answers a repeated opId with the first outcome and applies it once', async () => {
    const p = platform();
    const first = await p.deploy({ opId: 'once', env: 'e4', name: 'web', image: 'web:1', replicas: 1 });
    // Re-delivered after the platform already applied it: a naive deploy would now fail ("already exists").
    const again = await p.deploy({ opId: 'once', env: 'e4', name: 'web', image: 'web:1', replicas: 1 });
    expect(again).toEqual(first);
    expect((await p.appliedCounts())['e4/web']).toBe(1);
  });

  it('commits once when two deliveries of the same step race', async () => {
    const p = platform({ latencyMs: 30 });
    await p.deploy({ opId: 'base', env: 'e5', name: 'api', image: 'api:1', replicas: 1 });
    const results = await Promise.all(
      Array.from({ length: 8 }, () => p.upgrade({ opId: 'race', env: 'e5', name: 'api', image: 'api:2' })),
    );
    expect(new Set(results.map((r) => JSON.stringify(r))).size).toBe(1);
    expect(results[0]).toMatchObject({ ok: true, previousImage: 'api:1' });
    expect((await p.appliedCounts())['e5/api']).toBe(2); // the deploy, then the upgrade once
  });

  it('reads many components of an environment in one HMGET, leaving out the missing ones', async () => {
    const p = platform();
    await redis.hset(k.simEnv('many'), Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [
      `c${i}`, JSON.stringify({ env: 'many', name: `c${i}`, image: `reg/c${i}:1`, replicas: 1, updatedAt: '2030-01-01T00:00:00.000Z' }),
    ])));
    const calls: string[] = [];
    const counting = new Proxy(redis, {
      get(r, key, receiver) {
        if (key === 'hget' || key === 'hmget' || key === 'hgetall') calls.push(key);
        return Reflect.get(r, key, receiver);
      },
    });
    const batched = new SimulatedPlatform(counting, k, { latencyMs: 0, failComponents: [] });
    const names = [...Array.from({ length: 2000 }, (_, i) => `c${i}`), 'nope'];
    const found = await batched.getMany('many', names);
    expect(calls).toEqual(['hmget']);
    expect(found.size).toBe(2000);
    expect(found.get('c1999')).toMatchObject({ image: 'reg/c1999:1' });
    expect(found.has('nope')).toBe(false);
    expect(await p.getMany('many', [])).toEqual(new Map());
  });
});
