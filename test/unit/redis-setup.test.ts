import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupPrefix, testRedisUrl, uniquePrefix } from '../support/redis.js';

describe('test redis', () => {
  const url = testRedisUrl();
  const prefix = uniquePrefix('redis-setup');
  const redis = new Redis(url);

  afterAll(async () => {
    await cleanupPrefix(url, prefix);
    redis.disconnect();
  });

  it('stores and reads keys under a unique prefix', async () => {
    await redis.set(`${prefix}:k`, 'v');
    expect(await redis.get(`${prefix}:k`)).toBe('v');
  });

  it('cleanupPrefix removes only keys under the prefix', async () => {
    const other = uniquePrefix('redis-setup-other');
    await redis.set(`${other}:a`, '1');
    await redis.set(`${prefix}:b`, '2');
    await cleanupPrefix(url, other);
    expect(await redis.exists(`${other}:a`)).toBe(0);
    expect(await redis.exists(`${prefix}:b`)).toBe(1);
  });

  it.skipIf(Boolean(process.env.REDIS_URL))('runs its own server with noeviction', async () => {
    expect(url).not.toBe('redis://127.0.0.1:6379');
    expect(await redis.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
  });
});
