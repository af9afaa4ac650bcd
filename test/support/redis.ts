import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { QUEUES } from '../../src/jobs/catalogue.js';
import { queuePrefix } from '../../src/jobs/queues.js';
import { connectRedis, scanKeys, type RedisSettings } from '../../src/store/redis.js';

/** URL of the Redis server provided by the global setup (own redis-server or `REDIS_URL`). */
export function testRedisUrl(): string {
  return inject('redisUrl');
}

/**
 * REDIS_CLUSTER_NODES of the Redis Cluster the global setup provides (`REDIS_CLUSTER_NODES`, or
 * one it started for `SWITCHYARD_TEST_CLUSTER=1`), or undefined: then the test bot runs on one Redis.
 */
export function testClusterNodes(): string | undefined {
  return inject('redisClusterNodes') || undefined;
}

/** A key prefix unique to one test, e.g. `sy-test-approvals-3f9a1c2b`. */
export function uniquePrefix(name: string): string {
  const safe = name.replace(/[^A-Za-z0-9_-]+/g, '-');
  return `sy-test-${safe}-${randomBytes(4).toString('hex')}`;
}

/**
 * Deletes every key of `prefix` using SCAN (never KEYS): `<prefix>*`, and the queues' own
 * prefixes on a cluster (`{<prefix>-<queue>}*`). On a cluster, on every master, key by key.
 */
export async function cleanupPrefix(at: string | RedisSettings, prefix: string): Promise<void> {
  const client = connectRedis(typeof at === 'string' ? { url: at } : at, { name: 'switchyard-test-cleanup' });
  try {
    const glob = (s: string) => s.replace(/([*?[\]\\])/g, '\\$1');
    const queues = client.isCluster ? Object.values(QUEUES).map((q) => queuePrefix(prefix, q, true)) : [];
    const patterns = [prefix, ...queues].map((p) => `${glob(p)}*`);
    for (const pattern of patterns) {
      const found = await scanKeys(client, pattern);
      await Promise.all(found.map((key) => client.unlink(key)));
    }
  } finally {
    client.disconnect();
  }
}
