/**
 * A private redis-server on a free port of 127.0.0.1: for the sandbox (persistent, under
 * .switchyard/), the tests' global setup and the benchmark (throwaway). Never the machine's 6379.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';

const NOT_FOUND = 'redis-server not found: install it (apt-get install redis-server) or set REDIS_URL';

export interface RedisServer {
  /** redis://127.0.0.1:<port> */
  url: string;
  /** SIGTERM, then SIGKILL after 5 s; resolves once the process is gone. Safe to call twice. */
  stop(): Promise<void>;
  /** Synchronous SIGKILL, for signal handlers that exit right after. */
  kill(): void;
}

export interface RedisServerOptions {
  /** Keep the data in this directory (append-only file) across restarts; throwaway if unset. */
  dataDir?: string;
}

/** Starts redis-server and resolves once it answers PING (rejects after 10 s, or if it exits). */
export async function startRedisServer(opts: RedisServerOptions = {}): Promise<RedisServer> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  const child = await spawnRedis(port, opts.dataDir);
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  try {
    await waitForPing(url, child);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    url,
    kill: () => {
      if (!gone()) child.kill('SIGKILL');
    },
    async stop() {
      if (gone()) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const escalate = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(escalate);
    },
  };
}

/** Finds a free TCP port on 127.0.0.1 by binding port 0 and releasing it. */
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

/** The missing-binary error, without a stack so a runner prints just one line. */
function notFoundError(): Error {
  const err = new Error(NOT_FOUND);
  err.stack = `Error: ${NOT_FOUND}`;
  return err;
}

/** Spawns redis-server; rejects with a clear message when the binary is missing. */
async function spawnRedis(port: number, dataDir?: string): Promise<ChildProcess> {
  const persistence = dataDir ? ['--dir', dataDir, '--appendonly', 'yes'] : ['--appendonly', 'no'];
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence, '--maxmemory-policy', 'noeviction'],
    { stdio: 'ignore' },
  );
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', () => resolve());
    child.once('error', (err: NodeJS.ErrnoException) => reject(err.code === 'ENOENT' ? notFoundError() : err));
  });
  return child;
}

/** Resolves once the server at `url` answers PING, or rejects after `timeoutMs`. */
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
