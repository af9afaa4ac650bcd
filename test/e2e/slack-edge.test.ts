/**
 * End to end at the Slack edge: request signing, malformed commands, help, refused transitions
 * (by command and by click), double clicks, the read-only views, delete, component locks, and a
 * restarted bot editing the card it posted before the restart.
 */
import { Queue, type JobType } from 'bullmq';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { RELEASE_HELP } from '../../src/commands/release-grammar.js';
import { start } from '../../src/bootstrap.js';
import { queuePrefix } from '../../src/jobs/queues.js';
import { keys, scanKeys } from '../../src/store/redis.js';
import { cleanupPrefix, testRedisUrl } from '../support/redis.js';
import { blockActionsBody, postSigned, slashCommandBody, type PostSignedResult } from '../support/slack-signing.js';
import { CHANNEL, SECRET, cardPosted, eventually, slackIdle, startTestBot, type TestBot } from '../support/test-bot.js';

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

let bot: TestBot | undefined;
afterEach(async () => {
  await bot?.stop();
  bot = undefined;
});

async function boot(env: Record<string, string> = {}, name = 'edge'): Promise<TestBot> {
  bot = await startTestBot(env, name);
  return bot;
}

const ALL_JOB_TYPES: JobType[] = ['active', 'waiting', 'delayed', 'prioritized', 'waiting-children', 'completed', 'failed'];

/** Runs `fn` with a BullMQ view of one of the bot's queues. */
async function withQueue<T>(b: TestBot, name: 'releases' | 'slack', fn: (q: Queue) => Promise<T>): Promise<T> {
  const q = new Queue(name, { connection: b.redis, prefix: queuePrefix(b.config.REDIS_PREFIX, name, b.redis.isCluster) });
  try {
    return await fn(q);
  } finally {
    await q.close();
  }
}

/** Every job count of a queue, summed over all states. */
async function totalJobs(b: TestBot, name: 'releases' | 'slack'): Promise<number> {
  const counts = await withQueue(b, name, (q) => q.getJobCounts());
  return Object.values(counts).reduce((a, n) => a + n, 0);
}

/** IDs of every job (any state) on a queue. */
async function jobIds(b: TestBot, name: 'releases' | 'slack'): Promise<string[]> {
  const jobs = await withQueue(b, name, (q) => q.getJobs(ALL_JOB_TYPES));
  return jobs.map((j) => j.id ?? '').sort();
}

/** Task keys under the bot's prefix (SCAN, never KEYS). */
async function taskKeys(b: TestBot): Promise<string[]> {
  return scanKeys(b.redis, keys(b.config.REDIS_PREFIX).task('*'));
}

/** `action` field of every audit entry, oldest first (optionally only for one task). */
async function auditActions(b: TestBot, target?: string): Promise<string[]> {
  const rows = await b.redis.xrange(`${b.config.REDIS_PREFIX}:audit`, '-', '+');
  return rows
    .map(([, f]) => ({ action: f[f.indexOf('action') + 1] ?? '', target: f[f.indexOf('target') + 1] ?? '' }))
    .filter((e) => !target || e.target === target)
    .map((e) => e.action);
}

/** Slack Web API methods called, other than auth.test at start. */
function slackCallsBesidesAuth(b: TestBot): string[] {
  return b.fake.calls.filter((c) => c.method !== 'auth.test').map((c) => c.method);
}

/** Text plus blocks of an ack, as one string to search. */
function ackAll(b: TestBot, res: PostSignedResult): string {
  const body = res.json as { blocks?: unknown[] } | undefined;
  return `${b.ackText(res)}\n${JSON.stringify(body?.blocks ?? [])}`;
}

function ackType(res: PostSignedResult): string | undefined {
  return (res.json as { response_type?: string } | undefined)?.response_type;
}

/** Ephemeral texts the bot sent to `user`. */
function ephemeralsTo(b: TestBot, user: string): string[] {
  return b.fake
    .callsTo('chat.postEphemeral')
    .filter((c) => c.args.user === user && c.status === 200)
    .map((c) => String(c.args.text ?? ''));
}

/** A `/release` command signed with any secret / timestamp, to any bot URL. */
function signedCommand(url: string, text: string, opts: { secret?: string; timestampSec?: number; user?: string } = {}) {
  return postSigned(
    `${url}/slack/events`,
    slashCommandBody({ command: '/release', text, user_id: opts.user ?? 'U0ALICE', channel_id: CHANNEL }),
    { secret: opts.secret ?? SECRET, ...(opts.timestampSec !== undefined ? { timestampSec: opts.timestampSec } : {}) },
  );
}

async function released(b: TestBot, id: string) {
  await b.command(`start ${id}`);
  return b.waitForTask(id, (t) => t.status === 'Released');
}

// ---------------------------------------------------------------------------------------------
// Request signing
// ---------------------------------------------------------------------------------------------

describe('request signing', () => {
  it('refuses a forged signature and a stale timestamp with 401, storing, queueing and calling nothing', async () => {
    const b = await boot({}, 'edge-sig');
    const text = 'create web-stack deploy --env prod web=nginx:1.27 api=api:1.0';

    const forged = await signedCommand(b.url, text, { secret: 'not-the-signing-secret' });
    expect(forged.status).toBe(401);
    const stale = await signedCommand(b.url, text, { timestampSec: Math.floor(Date.now() / 1000) - 6 * 60 });
    expect(stale.status).toBe(401);

    // Refused at the edge (slack/edge/receiver.ts) before any listener ran: the 401 is the last
    // thing either request did, so there is nothing to wait for before looking.
    expect(await taskKeys(b)).toEqual([]);
    expect(await b.redis.zcard(`${b.config.REDIS_PREFIX}:tasks`)).toBe(0);
    expect(await totalJobs(b, 'releases')).toBe(0);
    expect(await totalJobs(b, 'slack')).toBe(0);
    expect(await auditActions(b)).toEqual([]);
    expect(slackCallsBesidesAuth(b)).toEqual([]);
  });

  it('refuses a forged button click with 401 and leaves the task alone', async () => {
    const b = await boot({}, 'edge-sig-click');
    const id = await b.create('web deploy --env prod web=nginx:1.27');
    const ref = await cardPosted(b, id);
    await slackIdle(b);
    const before = (await b.tasks.get(id))!;
    const callsBefore = b.fake.calls.length;

    const body = blockActionsBody({
      user_id: 'U0MALLORY',
      channel_id: ref.channel,
      message_ts: ref.ts,
      action_id: 'release.start',
      value: `start ${id} @v${before.version}`,
    });
    const forged = await postSigned(`${b.url}/slack/events`, body, { secret: 'not-the-signing-secret' });
    expect(forged.status).toBe(401);
    const stale = await postSigned(`${b.url}/slack/events`, body, { secret: SECRET, timestampSec: Math.floor(Date.now() / 1000) - 360 });
    expect(stale.status).toBe(401);

    // Refused at the edge before any listener ran (a click's work would only start after its ack).
    const after = (await b.tasks.get(id))!;
    expect(after.status).toBe('To release');
    expect(after.version).toBe(before.version);
    expect(after.run).toBe(0);
    expect(await totalJobs(b, 'releases')).toBe(0);
    expect(await auditActions(b, id)).toEqual(['create']);
    expect(b.fake.calls.slice(callsBefore).map((c) => c.method)).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Malformed commands and help
// ---------------------------------------------------------------------------------------------

describe('malformed commands and help', () => {
  it.each([
    ['create x deploy --env prod web=nginx', /has no tag/, true],
    // An unknown subcommand gets its suggestion, not every form of every subcommand.
    ['frobnicate', /^Unknown subcommand `frobnicate`\. Use one of help, create, .*; `\/release help` shows how\.$/, false],
    ['start not-an-id', /`not-an-id` is not a task ID/, true],
  ])('"%s" is answered privately with the problem (and the usage: %s); nothing happens', async (text, problem, usage) => {
    const b = await boot({}, 'edge-bad');
    const res = await b.command(text);
    expect(res.status).toBe(200);
    expect(ackType(res)).toBe('ephemeral');
    const said = b.ackText(res);
    expect(said).toMatch(problem);
    expect(said.includes('Usage:')).toBe(usage);

    // A command's work is queued before its ack; anything queued has run once the queues are idle.
    await slackIdle(b);
    expect(await taskKeys(b)).toEqual([]);
    expect(await totalJobs(b, 'releases')).toBe(0);
    expect(await totalJobs(b, 'slack')).toBe(0);
    expect(slackCallsBesidesAuth(b)).toEqual([]);
  });

  it('answers `help` and empty text with the help text, privately', async () => {
    const b = await boot({}, 'edge-help');
    for (const text of ['help', '']) {
      const res = await b.command(text);
      expect(res.status).toBe(200);
      expect(ackType(res)).toBe('ephemeral');
      expect(b.ackText(res)).toBe(RELEASE_HELP);
    }
    expect(await taskKeys(b)).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Refused transitions
// ---------------------------------------------------------------------------------------------

describe('refused transitions', () => {
  it('refuses to suspend a task that is To release', async () => {
    const b = await boot({}, 'edge-suspend');
    const id = await b.create('web deploy --env prod web=nginx:1.27');
    const before = (await b.tasks.get(id))!;
    const res = await b.command(`suspend ${id}`);
    expect(res.status).toBe(200);
    expect(b.ackText(res)).toBe(`${id} is To release; it can be suspended only when Releasing (start it first)`);
    const after = (await b.tasks.get(id))!;
    expect([after.status, after.version]).toEqual(['To release', before.version]);
    expect(await totalJobs(b, 'releases')).toBe(0);
  });

  it('refuses to roll back a Released Bulk Deploy task', async () => {
    const b = await boot({}, 'edge-rollback');
    const id = await b.create('web deploy --env prod web=nginx:1.27');
    const done = await released(b, id);
    const res = await b.command(`rollback ${id}`);
    expect(b.ackText(res)).toContain('only Bulk Upgrade tasks can be rolled back');
    const after = (await b.tasks.get(id))!;
    expect([after.status, after.version, after.run]).toEqual(['Released', done.version, 1]);
    expect(await jobIds(b, 'releases')).toEqual([`run-${id}-1`]);
    await eventually(async () => (await auditActions(b, id)).length === 3, 5000, 'the run\'s audit entry');
    expect(await auditActions(b, id)).toEqual(['create', 'start', 'release-finished']);
  });

  it('starts a task once when `start` is sent twice', async () => {
    const b = await boot({ SIM_LATENCY_MS: '300' }, 'edge-start2');
    const id = await b.create('web deploy --env prod web=nginx:1.27 api=api:1.0');
    const first = await b.command(`start ${id}`);
    expect(b.ackText(first)).toBe(`${id} is now Releasing.`);
    const second = await b.command(`start ${id}`);
    expect(b.ackText(second)).toMatch(new RegExp(`^${id} is (Releasing|Released); it can be started only when To release`));

    const done = await b.waitForTask(id, (t) => t.status === 'Released');
    expect(done.run).toBe(1);
    expect(await jobIds(b, 'releases')).toEqual([`run-${id}-1`]);
    await eventually(async () => (await auditActions(b, id)).length === 3, 5000, 'the run\'s audit entry');
    expect(await auditActions(b, id)).toEqual(['create', 'start', 'release-finished']);
    expect(await b.platform.appliedCounts()).toEqual({ 'prod/web': 1, 'prod/api': 1 });
  });

  it('answers a refused click with 200 and tells the clicker why, privately', async () => {
    const b = await boot({ SIM_LATENCY_MS: '500' }, 'edge-click-refused');
    const id = await b.create('web deploy --env prod web=nginx:1.27');
    await cardPosted(b, id);
    await b.command(`start ${id}`);
    const releasing = await b.waitForTask(id, (t) => t.status === 'Releasing');

    // A Release the card no longer carries (an edited value, at the card's current version): the
    // state machine refuses it even so.
    const whileReleasing = await b.click(id, 'release.start', { user: 'U0BOB', value: `start ${id} @v${releasing.stateVersion}` });
    expect(whileReleasing.status).toBe(200);
    await eventually(() => ephemeralsTo(b, 'U0BOB').length === 1, 5000, 'ephemeral to U0BOB');
    const [toBob] = ephemeralsTo(b, 'U0BOB');
    expect(toBob).toContain(`${id} is Releasing; it can be started only when To release`);
    expect(b.fake.callsTo('chat.postEphemeral').find((c) => c.args.user === 'U0BOB')!.args.channel).toBe(CHANNEL);
    const mid = (await b.tasks.get(id))!;
    expect([mid.run, mid.startedBy]).toEqual([releasing.run, 'U0ALICE']);

    const done = await b.waitForTask(id, (t) => t.status === 'Released');
    const whenReleased = await b.click(id, 'release.start', { user: 'U0CAROL', value: `start ${id} @v${done.stateVersion}` });
    expect(whenReleased.status).toBe(200);
    await eventually(() => ephemeralsTo(b, 'U0CAROL').length === 1, 5000, 'ephemeral to U0CAROL');
    expect(ephemeralsTo(b, 'U0CAROL')[0]).toBe(`${id} is Released; it can be started only when To release (nothing is left to release)`);
    const after = (await b.tasks.get(id))!;
    expect([after.status, after.version, after.run]).toEqual(['Released', done.version, 1]);
    expect(await jobIds(b, 'releases')).toEqual([`run-${id}-1`]);
  });

  it('runs a task once when two people click Release at the same moment', async () => {
    const b = await boot({ SIM_LATENCY_MS: '100' }, 'edge-double');
    const id = await b.create('web deploy --env prod web=nginx:1.27 api=api:1.0');
    await cardPosted(b, id);
    await slackIdle(b);

    const [a, c] = await Promise.all([b.click(id, 'release.start', { user: 'U0ALICE' }), b.click(id, 'release.start', { user: 'U0BOB' })]);
    expect([a.status, c.status]).toEqual([200, 200]);

    const done = await b.waitForTask(id, (t) => t.status === 'Released');
    expect(done.run).toBe(1);
    expect(['U0ALICE', 'U0BOB']).toContain(done.startedBy);
    expect((await auditActions(b, id)).filter((x) => x === 'start')).toHaveLength(1);
    expect(await jobIds(b, 'releases')).toEqual([`run-${id}-1`]);
    expect(await b.platform.appliedCounts()).toEqual({ 'prod/web': 1, 'prod/api': 1 });

    // The loser, and only the loser, is told privately.
    const loser = done.startedBy === 'U0ALICE' ? 'U0BOB' : 'U0ALICE';
    await eventually(() => b.fake.callsTo('chat.postEphemeral').length >= 1, 5000, 'one ephemeral refusal');
    await slackIdle(b);
    const ephemerals = b.fake.callsTo('chat.postEphemeral');
    expect(ephemerals).toHaveLength(1);
    expect(ephemerals[0]!.args.user).toBe(loser);
    expect(String(ephemerals[0]!.args.text)).toMatch(new RegExp(`${id} is (Releasing|Released); it can be started only when To release`));
    const thread = await b.threadTexts(id);
    expect(thread.filter((t) => t.startsWith('Releasing started by'))).toHaveLength(1);
  });
});

// ---------------------------------------------------------------------------------------------
// Views
// ---------------------------------------------------------------------------------------------

describe('show, list and components', () => {
  it('shows a task with its Release Info and Release History', async () => {
    const b = await boot({}, 'edge-show');
    const id = await b.create('web-stack deploy --env staging web=web:1.0x2 api=api:1.0');
    await released(b, id);
    const res = await b.command(`show ${id}`);
    expect(res.status).toBe(200);
    expect(ackType(res)).toBe('ephemeral');
    const all = ackAll(b, res);
    expect(b.ackText(res)).toContain(id);
    expect(all).toContain('Release Info');
    expect(all).toContain('Release History');
    expect(all).toContain('web:1.0');
  });

  it('lists tasks, filtered by status and environment', async () => {
    const b = await boot({}, 'edge-list');
    const stagingReleased = await b.create('s1 deploy --env staging web=web:1.0');
    await released(b, stagingReleased);
    const stagingWaiting = await b.create('s2 deploy --env staging api=api:1.0');
    const prodReleased = await b.create('p1 deploy --env prod web=web:1.0');
    await released(b, prodReleased);

    const everything = ackAll(b, await b.command('list'));
    for (const id of [stagingReleased, stagingWaiting, prodReleased]) expect(everything).toContain(id);

    const filtered = await b.command('list --status "released" --env staging');
    expect(filtered.status).toBe(200);
    const text = ackAll(b, filtered);
    expect(text).toContain(stagingReleased);
    expect(text).not.toContain(stagingWaiting);
    expect(text).not.toContain(prodReleased);

    const none = await b.command('list --status "Rolled back"');
    expect(ackAll(b, none)).toContain('No release tasks match');
  });

  it('lists the components deployed to an environment', async () => {
    const b = await boot({}, 'edge-components');
    const id = await b.create('stack deploy --env staging web=web:1.0x3 api=api:2.1');
    await released(b, id);
    await b.create('other deploy --env staging db=db:9.0'); // never started: not deployed

    const res = await b.command('components staging');
    expect(res.status).toBe(200);
    const text = ackAll(b, res);
    expect(b.ackText(res)).toBe('2 components in staging');
    expect(text).toContain('web:1.0');
    expect(text).toContain('3 replicas');
    expect(text).toContain('api:2.1');
    expect(text).not.toContain('db:9.0');
    expect(b.ackText(await b.command('components qa'))).toContain('No components in qa');
  });

  it('says so for an unknown task ID', async () => {
    const b = await boot({}, 'edge-unknown');
    for (const text of ['show rt-zzzzzz', 'start rt-zzzzzz', 'delete rt-zzzzzz']) {
      const res = await b.command(text);
      expect(res.status).toBe(200);
      expect(b.ackText(res)).toMatch(/^No release task rt-zzzzzz\b/);
    }
    expect(await taskKeys(b)).toEqual([]);
    expect(await totalJobs(b, 'releases')).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------
// Delete
// ---------------------------------------------------------------------------------------------

describe('delete', () => {
  it('removes a To release task, strikes its card through and says who in the thread', async () => {
    const b = await boot({}, 'edge-delete');
    const id = await b.create('doomed deploy --env prod web=nginx:1.27');
    const ref = await cardPosted(b, id);

    const res = await b.command(`delete ${id}`, { user: 'U0BOB' });
    expect(res.status).toBe(200);
    expect(b.ackText(res)).toBe(`Deleted ${id} (doomed).`);
    expect(await b.tasks.get(id)).toBeUndefined();
    expect(await taskKeys(b)).toEqual([]);
    expect(await b.redis.zscore(`${b.config.REDIS_PREFIX}:tasks`, id)).toBeNull();

    const card = await eventually(() => {
      const m = b.fake.messages(ref.channel).find((x) => x.ts === ref.ts);
      return m?.text?.includes('was deleted by') ? m : undefined;
    }, 5000, 'card says deleted');
    expect(card.text).toBe(`~Release task doomed (\`${id}\`)~ was deleted by <@U0BOB>.`);
    expect(JSON.stringify(card.blocks)).not.toContain('release.start');
    await eventually(() => b.fake.thread(ref.channel, ref.ts).some((m) => m.text === 'Deleted by <@U0BOB>'), 5000, 'Deleted by in thread');
    expect(await auditActions(b, id)).toEqual(['create', 'delete']);
    expect(b.fake.callsTo('chat.postMessage').filter((c) => !c.args.thread_ts)).toHaveLength(1);
  });

  it('refuses to delete a task that is Releasing', async () => {
    const b = await boot({ SIM_LATENCY_MS: '500' }, 'edge-delete-busy');
    const id = await b.create('busy deploy --env prod web=nginx:1.27');
    await b.command(`start ${id}`);
    await b.waitForTask(id, (t) => t.status === 'Releasing');
    const res = await b.command(`delete ${id}`);
    expect(b.ackText(res)).toMatch(new RegExp(`^${id} is Releasing; it can be deleted only when .*\\(suspend it first, or wait for it to finish\\)$`));
    expect((await b.tasks.get(id))!.status).toBe('Releasing');
    await b.waitForTask(id, (t) => t.status === 'Released');
    // The run's audit entry is written just after its status.
    await eventually(async () => (await auditActions(b, id)).length === 3, 5000, 'the run\'s audit entry');
    expect(await auditActions(b, id)).toEqual(['create', 'start', 'release-finished']);
  });
});

// ---------------------------------------------------------------------------------------------
// Component locks
// ---------------------------------------------------------------------------------------------

describe('component locks', () => {
  it('refuses to start a task whose component another task is releasing, until that task is done', async () => {
    const b = await boot({ SIM_LATENCY_MS: '500' }, 'edge-locks');
    // api runs in prod already (an upgrade of a missing component is refused at create).
    await b.platform.deploy({ opId: 'seed-api', env: 'prod', name: 'api', image: 'api:1.0', replicas: 1 });
    const a = await b.create('a-upgrade upgrade --env prod api=api:1.5');
    const upgrade = await b.create('b-upgrade upgrade --env prod api=api:2.0');
    const elsewhere = await b.create('c-staging deploy --env staging api=api:1.0');

    expect(b.ackText(await b.command(`start ${a}`))).toBe(`${a} is now Releasing.`);
    const refused = await b.command(`start ${upgrade}`);
    const said = b.ackText(refused);
    expect(said).toContain(a);
    expect(said).toContain('`prod/api`');
    expect(said).toBe(`Cannot start ${upgrade}: component \`prod/api\` belongs to ${a} (a-upgrade, Releasing). Wait for it to finish, or suspend it.`);
    const waiting = (await b.tasks.get(upgrade))!;
    expect([waiting.status, waiting.run]).toEqual(['To release', 0]);
    expect(await b.redis.get(keys(b.config.REDIS_PREFIX).lock('prod/api'))).toBe(a);

    // The same component name in another environment is a different component.
    expect((await b.tasks.get(a))!.status).toBe('Releasing');
    expect(b.ackText(await b.command(`start ${elsewhere}`))).toBe(`${elsewhere} is now Releasing.`);

    // Started the moment the card says Released: the worker lets the lock go just after that write,
    // and a start in between waits for it. Held here on purpose to make that moment last 300 ms.
    await b.waitForTask(a, (t) => t.status === 'Released');
    const lockKey = keys(b.config.REDIS_PREFIX).lock('prod/api');
    await b.redis.set(lockKey, a);
    setTimeout(() => void b.redis.del(lockKey), 300);
    expect(b.ackText(await b.command(`start ${upgrade}`))).toBe(`${upgrade} is now Releasing.`);
    expect(await b.redis.get(keys(b.config.REDIS_PREFIX).lock('prod/api'))).toBe(upgrade);
    const done = await b.waitForTask(upgrade, (t) => t.status === 'Released');
    expect(done.components[0]).toMatchObject({ name: 'api', image: 'api:2.0', previousImage: 'api:1.5' });
    await b.waitForTask(elsewhere, (t) => t.status === 'Released');
    expect(await jobIds(b, 'releases')).toEqual([`run-${a}-1`, `run-${upgrade}-1`, `run-${elsewhere}-1`].sort());
  });
});

// ---------------------------------------------------------------------------------------------
// Restart
// ---------------------------------------------------------------------------------------------

describe('restart', () => {
  it('keeps the card reference in Redis, so a restarted bot edits the same card', async () => {
    const b = await boot({}, 'edge-restart');
    const id = await b.create('survivor deploy --env prod web=nginx:1.27 api=api:1.0');
    const ref = await cardPosted(b, id);
    const posted = b.fake.callsTo('chat.postMessage').filter((c) => !c.args.thread_ts);
    expect(posted).toHaveLength(1);
    expect(await b.redis.hgetall(keys(b.config.REDIS_PREFIX).card(id))).toMatchObject({ channel: CHANNEL, ts: ref.ts });
    await slackIdle(b);

    // startTestBot always makes a fresh prefix and a fresh fake Slack, so restart by hand:
    // same config (prefix, Redis, fake Slack URL), new process state.
    await b.running.stop();
    const restarted = await start(b.config, pino({ level: 'silent' }));
    const prefix = b.config.REDIS_PREFIX;
    b.stop = async () => {
      await restarted.stop();
      await b.fake.close();
      await cleanupPrefix(testRedisUrl(), prefix);
      b.redis.disconnect();
    };
    const url = `http://127.0.0.1:${restarted.port}`;
    const callsBefore = b.fake.calls.length;

    const ack = await signedCommand(url, `start ${id}`, { user: 'U0BOB' });
    expect(ack.status).toBe(200);
    expect((ack.json as { text: string }).text).toBe(`${id} is now Releasing.`);
    await b.waitForTask(id, (t) => t.status === 'Released');
    await eventually(async () => (await b.card(id))?.text?.includes('Released 2/2'), 5000, 'card shows Released');
    await eventually(async () => (await b.threadTexts(id)).some((t) => t.startsWith('Released in')), 5000, 'thread summary');

    const after = b.fake.calls.slice(callsBefore);
    const updates = after.filter((c) => c.method === 'chat.update');
    expect(updates.length).toBeGreaterThan(0);
    expect(updates.every((c) => c.args.ts === ref.ts && c.args.channel === CHANNEL)).toBe(true);
    const posts = after.filter((c) => c.method === 'chat.postMessage');
    expect(posts.every((c) => c.args.thread_ts === ref.ts)).toBe(true);
    expect(b.fake.messages(CHANNEL)).toHaveLength(1);
  });
});
