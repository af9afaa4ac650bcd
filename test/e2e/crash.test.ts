/**
 * Crash: a worker process is killed with SIGKILL mid-release. Its job's lock lapses, a second
 * worker picks the run up, and every component is released exactly once.
 */
import type { ChildProcess } from 'node:child_process';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { start, type Running } from '../../src/bootstrap.js';
import { keys } from '../../src/store/redis.js';
import { JobStore } from '../../src/store/versioned-store.js';
import { eventually, startTestBot, type TestBot } from '../support/test-bot.js';
import { spawnWorker } from '../support/worker-process.js';

const LOCK = { JOB_LOCK_MS: '1000', JOB_STALLED_INTERVAL_MS: '500' };

let web: TestBot | undefined;
let child: ChildProcess | undefined;
let second: Running | undefined;
afterEach(async () => {
  child?.kill('SIGKILL');
  await second?.stop();
  await web?.stop();
  child = undefined;
  second = undefined;
  web = undefined;
});

function workerEnv(bot: TestBot, latencyMs = 300): Record<string, string> {
  return {
    SLACK_BOT_TOKEN: 'xoxb-test',
    SLACK_API_URL: bot.config.SLACK_API_URL,
    REDIS_URL: bot.config.REDIS_URL,
    ...(bot.config.REDIS_CLUSTER_NODES ? { REDIS_CLUSTER_NODES: bot.config.REDIS_CLUSTER_NODES.map((n) => `${n.host}:${n.port}`).join(',') } : {}),
    REDIS_PREFIX: bot.config.REDIS_PREFIX,
    ROLE: 'worker',
    PORT: '0',
    SIM_LATENCY_MS: String(latencyMs),
    CARD_COALESCE_MS: '50',
    ...LOCK,
  };
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
    expect(thread.filter((s) => s.startsWith('Released in'))).toEqual([expect.stringMatching(/: 6\/6 components · <@U0ALICE>$/)]);
  });
});

describe('a worker killed between the traffic switch and the old version\'s delete', () => {
  it('leaves the job to another worker, which ends it Healthy with one version', async () => {
    web = await startTestBot({ ROLE: 'web', ...LOCK }, 'crash-bg');
    const env = workerEnv(web, 400); // a switch takes 40 ms, a delete 400 ms: the kill lands between
    child = await spawnWorker(env);
    const jobs = new JobStore(web.redis, keys(web.config.REDIS_PREFIX));
    const bg = (text: string) => web!.command(text, { command: '/bluegreen' });
    const status = (s: string) => async () => (await jobs.get('web'))?.status === s;

    await bg('create web --env prod --workload web --image web:1.0');
    await eventually(status('Healthy'), 10_000, 'Healthy');
    await bg('update web web:2.0');
    await eventually(status('Paused'), 10_000, 'Paused');
    await bg('release web');

    // Traffic is on green, blue not yet deleted: kill the worker now.
    await eventually(async () => {
      const obs = await web!.platform.bgInspect('prod', 'web');
      return obs?.serving === 'green' && !!obs.slots.blue;
    }, 10_000, 'switched but not deleted');
    child.kill('SIGKILL');
    await eventually(() => child!.exitCode !== null || child!.signalCode !== null, 5000, 'worker to die');
    expect((await jobs.get('web'))!.status).toBe('Promoting');

    second = await start(loadConfig(env), pino({ level: 'silent' }));
    await eventually(status('Healthy'), 20_000, 'Healthy after the crash');
    const job = (await jobs.get('web'))!;
    expect(Object.keys(job.versions)).toEqual(['green']);
    expect(job.active).toBe('green');
    const obs = await web.platform.bgInspect('prod', 'web');
    expect(obs).toMatchObject({ serving: 'green', slots: { green: { image: 'web:2.0' } } });
    expect(obs!.slots.blue).toBeUndefined();
    expect(await web.platform.blueGreen.switchCounts()).toEqual({ 'prod/web': 2 });
  });
});

describe('a step delivered twice', () => {
  it('applies once: a worker frozen mid-step wakes after another worker re-ran its step, and its late commit changes nothing', async () => {
    web = await startTestBot({ ROLE: 'web', ...LOCK }, 'crash-twice');
    await web.platform.deploy({ opId: 'seed-web', env: 'prod', name: 'web', image: 'web:1', replicas: 1 });
    // Worker A takes 1.2-1.8 s per step: long enough to freeze it inside one.
    child = await spawnWorker(workerEnv(web, 1500));
    const id = await web.create('twice upgrade --env prod web=web:2');
    await web.command(`start ${id}`);
    await web.waitForTask(id, (t) => t.components[0]!.status === 'Releasing');
    child.kill('SIGSTOP');
    const opKey = keys(web.config.REDIS_PREFIX).simOp(`${id}-1-web`);
    expect(await web.redis.exists(opKey)).toBe(0); // frozen before its commit, as this test means

    // A's lock lapses; worker B gets the run again, re-runs the step and finishes the task.
    second = await start(loadConfig(workerEnv(web, 20)), pino({ level: 'silent' }));
    await web.waitForTask(id, (t) => t.status === 'Released', 20_000);
    expect(await web.platform.appliedCounts()).toEqual({ 'prod/web': 2 }); // the seed and B's step

    // A wakes in the middle of the same step and commits it late; then it is asked to stop and
    // finishes what it was doing first, so once it has exited its commit has happened.
    child.kill('SIGCONT');
    child.kill('SIGTERM');
    await eventually(() => child!.exitCode !== null || child!.signalCode !== null, 15_000, 'worker A to finish and exit');
    expect(await web.platform.appliedCounts()).toEqual({ 'prod/web': 2 });
    const task = (await web.tasks.get(id))!;
    expect(task.status).toBe('Released');
    expect(task.components[0]).toMatchObject({ status: 'Released', image: 'web:2' });
  });
});
