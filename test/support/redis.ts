import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { inject } from 'vitest';

/** URL of the Redis server provided by the global setup (own redis-server or `REDIS_URL`). */
export function testRedisUrl(): string {
  return inject('redisUrl');
}

/** A key prefix unique to one test, e.g. `sy-test-approvals-3f9a1c2b`. */
export function uniquePrefix(name: string): string {
  const safe = name.replace(/[^A-Za-z0-9_-]+/g, '-');
  return `sy-test-${safe}-${randomBytes(4).toString('hex')}`;
}

/** Deletes every key matching `<prefix>*` using SCAN (never KEYS). */
export async function cleanupPrefix(redisUrl: string, prefix: string): Promise<void> {
  const client = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    const match = `${prefix.replace(/([*?[\]\\])/g, '\\$1')}*`;
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', match, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await client.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}
