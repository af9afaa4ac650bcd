import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KnownEnvironments } from '../../src/store/known-environments.js';
import { keys } from '../../src/store/redis.js';
import { cleanupPrefix, testRedisUrl, uniquePrefix } from '../support/redis.js';

let redis: Redis;
const prefix = uniquePrefix('envs');
beforeAll(() => {
  redis = new Redis(testRedisUrl());
});
afterAll(async () => {
  await cleanupPrefix(testRedisUrl(), prefix);
  redis.disconnect();
});

describe('known environments', () => {
  it('folds in what is stored once, then answers from the set alone', async () => {
    const known = new KnownEnvironments(redis, keys(prefix));
    await known.add(['qa']); // a create that came before the first check
    let backfills = 0;
    const backfill = async () => {
      backfills++;
      return ['staging', 'prod'];
    };
    expect((await known.all(backfill)).sort()).toEqual(['prod', 'qa', 'staging']);
    await known.add(['preview-1', 'qa']);
    await known.add([]);
    expect((await known.all(backfill)).sort()).toEqual(['preview-1', 'prod', 'qa', 'staging']);
    expect((await new KnownEnvironments(redis, keys(prefix)).all(backfill)).sort()).toEqual(['preview-1', 'prod', 'qa', 'staging']);
    expect(backfills).toBe(1);
  });

  it('an empty store still marks the backfill as done', async () => {
    const known = new KnownEnvironments(redis, keys(`${prefix}-empty`));
    let backfills = 0;
    const backfill = async () => (backfills++, []);
    expect(await known.all(backfill)).toEqual([]);
    expect(await known.all(backfill)).toEqual([]);
    expect(backfills).toBe(1);
    await cleanupPrefix(testRedisUrl(), `${prefix}-empty`);
  });
});
