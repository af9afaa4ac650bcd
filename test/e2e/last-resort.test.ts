/**
 * The last resort, in a real process: an unhandled rejection inside a job is logged with the job
 * it came from and the process keeps working; an uncaught exception is logged with its job, the
 * run is handed back to the queue at once (not after its 60 s lock lapses) and the process exits 1.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanupPrefix, testRedisUrl, uniquePrefix } from '../support/redis.js';
import { eventually } from '../support/test-bot.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

let child: ChildProcess | undefined;
let queue: Queue | undefined;
let redis: Redis | undefined;
let prefix = '';
afterEach(async () => {
  child?.kill('SIGKILL');
  await queue?.close();
  redis?.disconnect();
  await cleanupPrefix(testRedisUrl(), prefix);
  child = queue = redis = undefined;
});

interface Worker {
  proc: ChildProcess;
  lines: () => Array<Record<string, unknown>>;
  exit: Promise<number | null>;
}

function startWorker(): Promise<Worker> {
  prefix = uniquePrefix('last-resort');
  const proc = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/misbehaving-worker.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', REDIS_URL: testRedisUrl(), REDIS_PREFIX: prefix },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = proc;
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const lines = () => out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
  const exit = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  return eventually(() => lines().some((l) => l.msg === 'misbehaving worker started') && { proc, lines, exit }, 15_000, 'worker to start');
}

describe('the last resort', () => {
  it('logs an unhandled rejection with the job it came from and keeps working', async () => {
    const w = await startWorker();
    redis = new Redis(testRedisUrl());
    queue = new Queue('releases', { connection: redis, prefix });
    const job = await queue.add('task.run', { taskId: 'reject', run: 1 });
    await eventually(async () => (await job.getState()) === 'completed', 10_000, 'job to complete');
    const logged = await eventually(() => w.lines().find((l) => l.msg === 'unhandled rejection: logged, still serving'), 5000, 'the rejection logged');
    expect(logged.err).toBe('a promise nobody awaited');
    expect(logged.during).toMatchObject({ queue: 'releases', job: 'task.run', id: job.id });
    // Still alive and working: a second job completes too.
    const second = await queue.add('task.run', { taskId: 'reject', run: 2 });
    await eventually(async () => (await second.getState()) === 'completed', 10_000, 'second job to complete');
    expect(w.proc.exitCode).toBeNull();
  });

  it('logs an uncaught exception with its job, hands the run back to the queue and exits 1', async () => {
    const w = await startWorker();
    redis = new Redis(testRedisUrl());
    queue = new Queue('releases', { connection: redis, prefix });
    const job = await queue.add('task.run', { taskId: 'throw', run: 1 });
    expect(await w.exit).toBe(1);
    const fatal = w.lines().find((l) => l.msg === 'uncaught exception: handing back runs and exiting');
    expect(fatal).toMatchObject({ err: 'thrown from a timer', during: { queue: 'releases', job: 'task.run', id: job.id } });
    expect(w.lines().find((l) => l.msg === 'handed back')?.jobs).toEqual([`task.run:${job.id}`]);
    // Back on the queue for another worker now, not when the 60 s lock would have lapsed.
    expect(await job.getState()).toBe('waiting');
  });
});
