/**
 * The benchmark's Redis: REDIS_URL when set, otherwise a private, non-persistent redis-server on a
 * free port (src/sandbox/redis-server.ts, shared with the tests), never the machine's 6379 by default.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { QUEUES } from '../../src/jobs/catalogue.js';
import { queuePrefix } from '../../src/jobs/queues.js';
import { startRedisServer } from '../../src/sandbox/redis-server.js';
import { connectRedis, scanKeys, type RedisSettings } from '../../src/store/redis.js';

export interface BenchRedis {
  url: string;
  /** True when this process started the server (and so stops it). */
  owned: boolean;
  stop(): Promise<void>;
  /** Synchronous last resort for signal handlers. */
  kill(): void;
}

export async function benchRedis(env: NodeJS.ProcessEnv = process.env): Promise<BenchRedis> {
  if (env.REDIS_URL) {
    const url = env.REDIS_URL;
    await ping(url);
    return { url, owned: false, stop: async () => undefined, kill: () => undefined };
  }
  const server = await startRedisServer();
  return { url: server.url, owned: true, stop: () => server.stop(), kill: () => server.kill() };
}

/** A REDIS_PREFIX no one else uses, e.g. `sy-bench-ack-latency-3f9a1c2b`. */
export function uniquePrefix(name: string): string {
  return `sy-bench-${name.replace(/[^A-Za-z0-9_-]+/g, '-')}-${randomBytes(4).toString('hex')}`;
}

/**
 * Deletes every key matching `<prefix>*` with SCAN + UNLINK (never KEYS); returns how many. On a
 * Redis Cluster: on every master, key by key, and the queues' own prefixes (`{<prefix>-<queue>}*`) too.
 */
export async function deletePrefix(at: string | RedisSettings, prefix: string): Promise<number> {
  const client = connectRedis(typeof at === 'string' ? { url: at } : at, { name: 'switchyard-bench-cleanup' });
  client.on('error', () => {});
  let deleted = 0;
  try {
    const glob = (s: string) => s.replace(/([*?[\]\\])/g, '\\$1');
    const queues = client.isCluster ? Object.values(QUEUES).map((q) => queuePrefix(prefix, q, true)) : [];
    for (const p of [prefix, ...queues]) {
      const found = await scanKeys(client, `${glob(p)}*`, 1000);
      deleted += (await Promise.all(found.map((key) => client.unlink(key)))).reduce((a, n) => a + n, 0);
    }
  } finally {
    client.disconnect();
  }
  return deleted;
}

async function ping(url: string): Promise<void> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.ping();
  } catch (err) {
    throw new Error(`REDIS_URL ${url.replace(/\/\/[^@/]*@/, '//***@')} does not answer: ${(err as Error).message}`);
  } finally {
    client.disconnect();
  }
}
