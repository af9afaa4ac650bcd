/**
 * The benchmark's Redis: REDIS_URL when set, otherwise a private, non-persistent redis-server on a
 * free port (the approach of test/support/global-setup.ts), never the machine's 6379 by default.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';

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
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  const child = await spawnRedis(port);
  try {
    await waitForPing(url, child);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    url,
    owned: true,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const escalate = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(escalate);
    },
  };
}

/** A REDIS_PREFIX no one else uses, e.g. `sy-bench-ack-latency-3f9a1c2b`. */
export function uniquePrefix(name: string): string {
  return `sy-bench-${name.replace(/[^A-Za-z0-9_-]+/g, '-')}-${randomBytes(4).toString('hex')}`;
}

/** Deletes every key matching `<prefix>*` with SCAN + UNLINK (never KEYS); returns how many. */
export async function deletePrefix(url: string, prefix: string): Promise<number> {
  const client = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true });
  client.on('error', () => {});
  let deleted = 0;
  try {
    await client.connect();
    const match = `${prefix.replace(/([*?[\]\\])/g, '\\$1')}*`;
    let cursor = '0';
    do {
      const [next, found] = await client.scan(cursor, 'MATCH', match, 'COUNT', 1000);
      cursor = next;
      if (found.length > 0) deleted += await client.unlink(...found);
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
  return deleted;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      if (addr === null || typeof addr === 'string') {
        srv.close();
        reject(new Error('could not determine a free port'));
        return;
      }
      srv.close(() => resolve(addr.port));
    });
  });
}

async function spawnRedis(port: number): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction'],
    { stdio: 'ignore' },
  );
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', () => resolve());
    child.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'ENOENT' ? new Error('redis-server not found: install it (apt-get install redis-server) or set REDIS_URL') : err),
    );
  });
  return child;
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

async function waitForPing(url: string, child: ChildProcess, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server exited early with code ${child.exitCode}`);
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => {});
    try {
      await client.connect();
      if ((await client.ping()) === 'PONG') return;
    } catch (err) {
      lastError = err;
    } finally {
      client.disconnect();
    }
    await sleep(50);
  }
  throw new Error(`redis-server at ${url} did not answer PING within ${timeoutMs} ms: ${String(lastError)}`);
}
