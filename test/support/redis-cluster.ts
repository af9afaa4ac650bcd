/**
 * A throwaway Redis Cluster for tests: three masters (no replicas), each a `redis-server
 * --cluster-enabled yes` on free ports of 127.0.0.1 with its own directory and cluster config
 * file, no persistence; joined with `redis-cli --cluster create` and ready once every node says
 * `cluster_state:ok`.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';

export interface RedisCluster {
  /** REDIS_CLUSTER_NODES: `127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3`. */
  nodes: string;
  /** Stops every node and removes their directories. Safe to call twice. */
  stop(): Promise<void>;
}

export async function startRedisCluster(masters = 3): Promise<RedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-cluster-'));
  const children: ChildProcess[] = [];
  const stop = async () => {
    await Promise.all(children.map(stopProcess));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const ports: number[] = [];
    for (let i = 0; i < masters; i++) {
      // The cluster bus listens on port + 10000: both must be free.
      const port = await freePortPair(ports);
      ports.push(port);
      const nodeDir = join(dir, String(port));
      mkdirSync(nodeDir);
      children.push(await spawnNode(port, nodeDir));
    }
    await Promise.all(ports.map((p, i) => waitFor(`node ${p} to answer PING`, () => ask(p, (c) => c.ping()).then((r) => r === 'PONG'), children[i]!)));
    const addresses = ports.map((p) => `127.0.0.1:${p}`);
    await promisify(execFile)('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'], { timeout: 30_000 }).catch((err: Error & { stdout?: string; stderr?: string }) => {
      throw new Error(`redis-cli --cluster create failed: ${err.message}\n${err.stdout ?? ''}${err.stderr ?? ''}`);
    });
    await Promise.all(ports.map((p, i) => waitFor(`node ${p}: cluster_state:ok`, async () => (await ask(p, (c) => c.cluster('INFO'))).includes('cluster_state:ok'), children[i]!)));
    return { nodes: addresses.join(','), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

function spawnNode(port: number, dir: string): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    [
      '--port', String(port), '--bind', '127.0.0.1', '--dir', dir,
      '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '5000',
      '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction',
    ],
    { stdio: 'ignore' },
  );
  return new Promise((resolve, reject) => {
    child.once('spawn', () => resolve(child));
    child.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'ENOENT' ? new Error('redis-server not found: install it (apt-get install redis-server)') : err));
  });
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const escalate = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(escalate);
}

/** One command on one node, with a fresh connection that does not retry. */
async function ask<T>(port: number, command: (c: Redis) => Promise<T>): Promise<T> {
  const c = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  c.on('error', () => {});
  try {
    await c.connect();
    return await command(c);
  } finally {
    c.disconnect();
  }
}

async function waitFor(what: string, check: () => Promise<boolean>, child: ChildProcess, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server exited (${child.exitCode}) while waiting for ${what}`);
    try {
      if (await check()) return;
    } catch (err) {
      last = err;
    }
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

/** A port p such that p and p + 10000 are free on 127.0.0.1 (and not in `taken`). */
async function freePortPair(taken: number[]): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 35_000);
    if (taken.some((t) => Math.abs(t - port) === 10_000 || t === port)) continue;
    if ((await bindable(port)) && (await bindable(port + 10_000))) return port;
  }
  throw new Error('no free port pair (p, p + 10000) found for a cluster node');
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}
