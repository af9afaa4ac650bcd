/**
 * The bot on a real Redis Cluster (REDIS_CLUSTER_NODES): three masters started here (or the
 * cluster the global setup provides). Representative flows end to end: a batch task released, a
 * blue-green job updated and released, an approval on a protected environment, a worker killed
 * mid-release; and what makes them work there: each entity's keys in one slot, scripts that never
 * cross slots (the cluster refuses those), scans on every master.
 * The other e2e files run on a cluster too with SWITCHYARD_TEST_CLUSTER=1 (see README).
 */
import type { ChildProcess } from 'node:child_process';
import { Cluster } from 'ioredis';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { start, type Running } from '../../src/bootstrap.js';
import type { ReleaseTask } from '../../src/domain/release-task.js';
import { JobQueues, queuePrefix, runJobId } from '../../src/jobs/queues.js';
import { reconcile } from '../../src/jobs/reconciler.js';
import { BullRunQueue } from '../../src/jobs/run-queue.js';
import { ComponentLocks } from '../../src/store/locks.js';
import { keys, scanKeys } from '../../src/store/redis.js';
import { TaskStore } from '../../src/store/task-store.js';
import { JobStore } from '../../src/store/versioned-store.js';
import { removePolicies, writePolicy } from '../support/policy.js';
import { startRedisCluster, type RedisCluster } from '../support/redis-cluster.js';
import { testClusterNodes } from '../support/redis.js';
import { eventually, startTestBot, type TestBot } from '../support/test-bot.js';
import { spawnWorker } from '../support/worker-process.js';
import { describeNeeding, onPath } from '../support/tools.js';

const LOCK = { JOB_LOCK_MS: '1000', JOB_STALLED_INTERVAL_MS: '500' };

let cluster: RedisCluster | undefined;
let nodes = '';
let bot: TestBot | undefined;
let child: ChildProcess | undefined;
let second: Running | undefined;

const onCluster = (env: Record<string, string>, name: string) => startTestBot({ REDIS_CLUSTER_NODES: nodes, ...env }, name);

/** The cluster's hash slot of `key`. */
async function slot(b: TestBot, key: string): Promise<number> {
  return Number(await b.redis.cluster('KEYSLOT', key));
}

describeNeeding('redis-cli', onPath('redis-cli') ? undefined : 'not on PATH (apt-get install redis-tools)', 'the bot on a Redis Cluster', () => {
  beforeAll(async () => {
    nodes = testClusterNodes() ?? '';
    if (!nodes) {
      cluster = await startRedisCluster();
      nodes = cluster.nodes;
    }
  }, 60_000);
  afterAll(async () => {
    removePolicies();
    await cluster?.stop();
  });
  afterEach(async () => {
    child?.kill('SIGKILL');
    await second?.stop();
    await bot?.stop();
    [child, second, bot] = [undefined, undefined, undefined];
  });

  it('releases a batch task: each entity\'s keys in one slot, the keys spread over the masters', async () => {
    bot = await onCluster({}, 'cluster-flow');
    expect(bot.redis).toBeInstanceOf(Cluster);
    const id = await bot.create('web-stack deploy --env staging web=registry.local/web:1.0x2 api=registry.local/api:1.0');
    await eventually(() => bot!.card(id), 5000, 'card');
    expect((await bot.click(id, 'release.start', { user: 'U0BOB' })).status).toBe(200);
    const done = await bot.waitForTask(id, (t) => t.status === 'Released');
    expect(done.components.map((c) => [c.name, c.status, c.history.length])).toEqual([
      ['web', 'Released', 1],
      ['api', 'Released', 1],
    ]);
    expect((await bot.platform.list('staging')).map((c) => [c.name, c.image])).toEqual([
      ['api', 'registry.local/api:1.0'],
      ['web', 'registry.local/web:1.0'],
    ]);
    const thread = await eventually(async () => {
      const t = await bot!.threadTexts(id);
      return t.some((s) => s.startsWith('Released in')) ? t : undefined;
    }, 5000, 'thread summary');
    expect(thread[0]).toMatch(/^Releasing started by <@U0BOB>/);
    expect(bot.fake.callsTo('chat.postMessage').filter((c) => !c.args.thread_ts)).toHaveLength(1);
    const audit = await bot.redis.xrange(`${bot.config.REDIS_PREFIX}:audit`, '-', '+');
    expect(audit.map(([, f]) => f[f.indexOf('action') + 1])).toEqual(['create', 'start', 'release-finished']);

    const k = keys(bot.config.REDIS_PREFIX);
    const taskSlot = await slot(bot, k.task(id));
    for (const key of [k.taskComponents(id), k.card(id), k.outbox(id), k.outboxLease(id)]) expect(await slot(bot, key)).toBe(taskSlot);
    expect(await slot(bot, k.lock('staging/web'))).toBe(await slot(bot, k.lock('staging/api')));
    expect(await slot(bot, k.simEnv('staging'))).toBe(await slot(bot, k.simApplied));
    // The queues have prefixes of their own, so each queue is one slot and they are apart.
    expect(queuePrefix(bot.config.REDIS_PREFIX, 'releases', true)).toBe(`{${bot.config.REDIS_PREFIX}-releases}`);
    const withKeys = await Promise.all(
      (bot.redis as Cluster).nodes('master').map(async (node) => (await node.dbsize()) > 0),
    );
    expect(withKeys.filter(Boolean).length).toBeGreaterThan(1);
    // Readiness pings the cluster.
    const ready = await fetch(`${bot.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ready: true, redis: true });
  });

  it('takes a blue-green job through create, update and release', async () => {
    bot = await onCluster({}, 'cluster-bg');
    const bg = (text: string) => bot!.command(text, { command: '/bluegreen' });
    expect(bot.ackText(await bg('create shop --env prod --workload shop --image shop:1.0'))).toContain('Created blue-green job *shop*');
    await bot.jobUntil('shop', 'Healthy');
    await bg('update shop shop:2.0');
    const paused = await bot.jobUntil('shop', 'Paused');
    expect(paused.versions.green).toMatchObject({ image: 'shop:2.0' });
    await bg('release shop');
    const healthy = await bot.jobUntil('shop', 'Healthy');
    expect(healthy.active).toBe('green');
    expect(Object.keys(healthy.versions)).toEqual(['green']);
    expect(await bot.platform.bgInspect('prod', 'shop')).toMatchObject({ serving: 'green', slots: { green: { image: 'shop:2.0' } } });
    expect((await bot.jobs.list()).map((j) => j.name)).toEqual(['shop']);
    const k = keys(bot.config.REDIS_PREFIX);
    expect(await slot(bot, k.card('bg:shop'))).toBe(await slot(bot, k.bgJob('shop')));

    // A second job may not take the same release object (the claim and the job are in different slots).
    expect(bot.ackText(await bg('create shop2 --env prod --workload shop --image shop:1.0'))).toBe('prod/shop already belongs to blue-green job shop.');
    expect(await bot.jobs.get('shop2')).toBeUndefined();
  });

  it('waits for approval on a protected environment, and runs once an approver in a user group approves', async () => {
    const policy = writePolicy(`
environments:
  production:
    approvers: [U0CAROL, S0RELMGRS]
`);
    bot = await onCluster({ SWITCHYARD_CONFIG: policy }, 'cluster-approval');
    bot.fake.setUsergroup('S0RELMGRS', ['U0DAVE']);
    const id = await bot.create('prod-web deploy --env production web=web:1.0');
    expect(bot.ackText(await bot.command(`start ${id}`))).toContain('Waiting for approval');
    expect((await bot.tasks.get(id))!.approval).toMatchObject({ action: 'start', requestedBy: 'U0ALICE' });
    await bot.click(id, 'release.approve', { user: 'U0BOB' });
    await bot.fake.waitFor((calls) => calls.some((c) => c.method === 'chat.postEphemeral' && String(c.args.text).includes('not an approver')));
    await bot.click(id, 'release.approve', { user: 'U0DAVE' });
    const done = await bot.waitForTask(id, (t) => t.status === 'Released');
    expect(done.approval).toBeUndefined();
    expect(await bot.platform.get('production', 'web')).toMatchObject({ image: 'web:1.0' });
    expect(await bot.redis.ttl(`${bot.config.REDIS_PREFIX}:usergroup:S0RELMGRS`)).toBeGreaterThan(0);
  });

  it('finishes a release whose worker was killed: another worker resumes it, each component applied once', async () => {
    bot = await onCluster({ ROLE: 'web', ...LOCK }, 'cluster-crash');
    const env = {
      SLACK_BOT_TOKEN: 'xoxb-test',
      SLACK_API_URL: bot.config.SLACK_API_URL,
      REDIS_CLUSTER_NODES: nodes,
      REDIS_PREFIX: bot.config.REDIS_PREFIX,
      ROLE: 'worker',
      PORT: '0',
      SIM_LATENCY_MS: '300',
      CARD_COALESCE_MS: '50',
      ...LOCK,
    };
    child = await spawnWorker(env);
    const names = ['a', 'b', 'c', 'd', 'e', 'f'];
    const id = await bot.create(`crashy deploy --env prod ${names.map((n) => `${n}=img:1`).join(' ')} --parallel 2`);
    await bot.command(`start ${id}`);
    await bot.waitForTask(id, (t) => t.components.some((c) => c.status === 'Released') && t.components.some((c) => c.status === 'Releasing'));
    child.kill('SIGKILL');
    await eventually(() => child!.exitCode !== null || child!.signalCode !== null, 5000, 'worker to die');
    expect((await bot.tasks.get(id))!.status).toBe('Releasing');

    second = await start(loadConfig({ ...env, SIM_LATENCY_MS: '20' }), pino({ level: 'silent' }));
    const done = await bot.waitForTask(id, (t) => t.status === 'Released', 20_000);
    expect(done.components.map((c) => c.history.length)).toEqual(names.map(() => 1));
    expect(await bot.platform.appliedCounts()).toEqual(Object.fromEntries(names.map((n) => [`prod/${n}`, 1])));
  });

  it('keeps scripts inside one slot, and repairs what a crash left behind on every master', async () => {
    bot = await onCluster({ ROLE: 'web' }, 'cluster-store');
    const k = keys(bot.config.REDIS_PREFIX);
    // A script across slots is refused (by the client, else by the cluster): what every store script avoids.
    await expect(bot.redis.eval("return redis.call('GET', KEYS[2])", 2, k.task('rt-aaaaa1'), k.task('rt-bbbbb2'))).rejects.toThrow(/CROSSSLOT|same slot/);

    const locks = new ComponentLocks(bot.redis, k);
    expect(await locks.acquire('rt-one', ['prod/web', 'prod/api'])).toEqual({ ok: true });
    expect(await locks.acquire('rt-two', ['prod/db', 'prod/api'])).toEqual({ ok: false, component: 'prod/api', heldBy: 'rt-one' });
    await expect(locks.acquire('rt-two', ['prod/db', 'qa/db'])).rejects.toThrow(/one environment at a time/);
    await locks.release('rt-one', ['prod/web', 'prod/api', 'qa/web']);
    expect(await locks.holder('prod/web')).toBeNull();

    const jobs = new JobStore(bot.redis, k);
    const claims = await Promise.all(['a', 'b', 'c'].map((n) => jobs.reserveWorkload('prod', 'web', n)));
    expect(claims.filter((c) => c === undefined)).toHaveLength(1);
    const winner = ['a', 'b', 'c'][claims.indexOf(undefined)]!;
    expect(await jobs.reserveWorkload('prod', 'web', 'late', Date.now() + 61_000)).toBeUndefined(); // the winner never created its job
    expect(await jobs.reserveWorkload('prod', 'web', winner)).toBe('late');

    // A busy task with no run queued and locks of idle tasks in many environments (so on several
    // masters): one reconciler pass queues the run and lets go of the orphaned locks.
    const tasks = new TaskStore(bot.redis, k);
    const now = new Date().toISOString();
    const task = (id: string, status: ReleaseTask['status'], env: string): ReleaseTask => ({
      id, name: id, status, operation: 'Bulk Deploy', bestEffort: false, parallel: 1, env,
      components: [{ name: 'c', image: 'a:1', status: 'To release', history: [] }],
      createdAt: now, createdBy: 'U1', run: 1, version: 1, stateVersion: 1, channel: 'C1',
    });
    await tasks.create(task('rt-stuck1', 'Releasing', 'prod'));
    await locks.acquire('rt-stuck1', ['prod/c']);
    const envs = ['e1', 'e2', 'e3', 'e4', 'e5', 'e6', 'e7', 'e8'];
    for (const [i, env] of envs.entries()) {
      await tasks.create(task(`rt-idle0${i}`, 'To release', env));
      await locks.acquire(`rt-idle0${i}`, [`${env}/c`]);
    }
    expect(new Set(await Promise.all(envs.map((e) => slot(bot!, k.lock(`${e}/c`))))).size).toBeGreaterThan(1);
    expect((await tasks.list()).map((t) => t.id).sort()).toEqual(['rt-idle00', 'rt-idle01', 'rt-idle02', 'rt-idle03', 'rt-idle04', 'rt-idle05', 'rt-idle06', 'rt-idle07', 'rt-stuck1']);

    const queues = new JobQueues(bot.redis, bot.config.REDIS_PREFIX);
    try {
      const d = { redis: bot.redis, keys: k, tasks, jobs, locks, runs: new BullRunQueue(queues), log: pino({ level: 'silent' }) };
      expect(await reconcile(d, 20)).toEqual({ runs: 1, schedules: 0, locks: envs.length });
      expect(await queues.byName.releases.getJob(runJobId.task('rt-stuck1', 1))).toBeDefined();
      expect(await scanKeys(bot.redis, k.lockPattern)).toEqual([k.lock('prod/c')]);
    } finally {
      await queues.close();
    }

    // A job and the index are in different slots: created index first, deleted entity first.
    const job = (name: string) => ({
      id: name, name, status: 'Healthy' as const, releaseType: 'Blue-Green' as const, env: 'prod', workload: name, replicas: 1,
      versions: {}, active: 'blue' as const, stable: 'blue' as const, history: [], nextRevision: 2, createdAt: now, createdBy: 'U1', updatedAt: now, run: 1, version: 1, channel: 'C1',
    });
    expect(await jobs.create(job('api'))).toBe(true);
    expect(await jobs.create(job('api'))).toBe(false);
    expect((await jobs.list()).map((j) => j.name)).toEqual(['api']);
    expect(await jobs.deleteAt('api', 1)).toBe(true);
    expect(await jobs.list()).toEqual([]);
    expect(await bot.redis.zscore(k.bgJobIndex, 'api')).toBeNull();
  });
});
