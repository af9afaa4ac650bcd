/**
 * The HTTP API's Redis state: Idempotency-Key claims (racing copies do the work once; the same
 * key on another request is told apart) and the per-token rate limit's windows.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdempotencyKeys } from '../../src/store/idempotency.js';
import { RateLimiter } from '../../src/store/rate-limit.js';
import { keys } from '../../src/store/redis.js';
import { cleanupPrefix, testRedisUrl, uniquePrefix } from '../support/redis.js';

let redis: Redis;
const prefix = uniquePrefix('api-store');
beforeAll(() => {
  redis = new Redis(testRedisUrl());
});
afterAll(async () => {
  await cleanupPrefix(testRedisUrl(), prefix);
  redis.disconnect();
});

describe('Idempotency-Key claims', () => {
  it('lets one of ten racing copies claim the key; the others see it in progress, then the answer', async () => {
    const keysOf = new IdempotencyKeys(redis, keys(prefix));
    const claims = await Promise.all(Array.from({ length: 10 }, () => keysOf.claim('gha', 'build-1', 'POST /api/v1/tasks {}')));
    expect(claims.filter((c) => c.kind === 'claimed')).toHaveLength(1);
    expect(claims.filter((c) => c.kind === 'in-progress')).toHaveLength(9);
    await keysOf.answer('gha', 'build-1', 'POST /api/v1/tasks {}', { status: 201, body: { id: 'rt-aaaaaa' } });
    expect(await keysOf.claim('gha', 'build-1', 'POST /api/v1/tasks {}')).toEqual({ kind: 'answered', answer: { status: 201, body: { id: 'rt-aaaaaa' } } });
    expect(await keysOf.claim('gha', 'build-1', 'POST /api/v1/tasks {"other":1}')).toEqual({ kind: 'mismatch' });
    // Keys are per token, and kept 24 h.
    expect(await keysOf.claim('other-token', 'build-1', 'POST /api/v1/tasks {}')).toEqual({ kind: 'claimed' });
    const ttl = await redis.ttl((await redis.keys(`${prefix}:api:idem:gha:*`))[0]!);
    expect(ttl).toBeGreaterThan(24 * 3600 - 10);
  });
  it('frees a key whose work failed on our side', async () => {
    const keysOf = new IdempotencyKeys(redis, keys(prefix));
    expect((await keysOf.claim('gha', 'build-2', 'f')).kind).toBe('claimed');
    await keysOf.release('gha', 'build-2');
    expect((await keysOf.claim('gha', 'build-2', 'f')).kind).toBe('claimed');
  });
});

describe('the rate limit', () => {
  it('allows the limit per token per minute, then says how long to wait; a new minute starts afresh', async () => {
    let now = Date.UTC(2026, 11, 4, 12, 0, 10);
    const limiter = new RateLimiter(redis, keys(prefix), () => now);
    const verdicts = [];
    for (let i = 0; i < 4; i++) verdicts.push(await limiter.take('gha', 3));
    expect(verdicts.slice(0, 3)).toEqual([{ ok: true, remaining: 2 }, { ok: true, remaining: 1 }, { ok: true, remaining: 0 }]);
    expect(verdicts[3]).toEqual({ ok: false, retryAfterS: 50 });
    expect((await limiter.take('other', 3)).ok).toBe(true);
    now += 50_000;
    expect(await limiter.take('gha', 3)).toEqual({ ok: true, remaining: 2 });
  });
});
