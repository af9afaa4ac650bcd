/**
 * Crash: a worker process is killed with SIGKILL mid-release. Its job's lock lapses, a second
 * worker picks the run up, and every component is released exactly once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { start, type Running } from '../../src/main.js';
import { eventually, startTestBot, type TestBot } from '../support/test-bot.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const LOCK = { JOB_LOCK_MS: '1000', JOB_STALLED_INTERVAL_MS: '500' };

let web: TestBot | undefined;
let child: ChildProcess | undefined;
let second: Running | undefined;
afterEach(async () => {
  child?.kill('SIGKILL');
  await second?.stop();
  await web?.stop();
});

function workerEnv(bot: TestBot): Record<string, string> {
  return {
    SLACK_BOT_TOKEN: 'xoxb-test',
    SLACK_API_URL: bot.config.SLACK_API_URL,
    REDIS_URL: bot.config.REDIS_URL,
    REDIS_PREFIX: bot.config.REDIS_PREFIX,
    ROLE: 'worker',
    PORT: '0',
    SIM_LATENCY_MS: '300',
    CARD_COALESCE_MS: '50',
    ...LOCK,
  };
}

/** A worker in its own process, resolved once it logs that it started. */
function spawnWorker(env: Record<string, string>): Promise<ChildProcess> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('switchyard started')) resolve(proc);
    });
    proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    proc.on('exit', (code) => reject(new Error(`worker exited (${code}) before starting:\n${out}`)));
  });
}

describe('a worker killed mid-release', () => {
  it('is replaced by another worker that finishes the task, each component released once', async () => {
    web = await startTestBot({ ROLE: 'web', ...LOCK }, 'crash');
    child = await spawnWorker(workerEnv(web));

    const names = ['a', 'b', 'c', 'd', 'e', 'f'];
    const id = await web.create(`crashy deploy --env prod ${names.map((n) => `${n}=img:1`).join(' ')} --parallel 2`);
    await web.command(`start ${id}`);
    // Kill it once something is released and something else is in the middle of its step.
    await web.waitForTask(id, (t) => t.components.some((c) => c.status === 'Released') && t.components.some((c) => c.status === 'Releasing'));
    child.kill('SIGKILL');
    await eventually(() => child!.exitCode !== null || child!.signalCode !== null, 5000, 'worker to die');
    const atKill = await web.tasks.get(id);
    expect(atKill!.status).toBe('Releasing');

    second = await start(loadConfig(workerEnv(web)), pino({ level: 'silent' }));
    const done = await web.waitForTask(id, (t) => t.status === 'Released', 20_000);

    expect(done.components.map((c) => c.status)).toEqual(names.map(() => 'Released'));
    expect(done.components.map((c) => c.history.length)).toEqual(names.map(() => 1));
    const applied = await web.platform.appliedCounts();
    expect(applied).toEqual(Object.fromEntries(names.map((n) => [`prod/${n}`, 1])));
    const thread = await eventually(async () => {
      const t = await web!.threadTexts(id);
      return t.some((s) => s.startsWith('Released in')) ? t : undefined;
    }, 5000, 'summary');
    expect(thread.filter((s) => s.startsWith('Released in'))).toEqual([expect.stringMatching(/: 6\/6 components$/)]);
  });
});
