/**
 * End to end: blue-green jobs through signed commands and card clicks, the simulated platform's
 * slots and service checked in Redis, the card and thread checked on the fake Slack API.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JobStore } from '../../src/store/versioned-store.js';
import { keys } from '../../src/store/redis.js';
import { CHANNEL, eventually, startTestBot, type TestBot } from '../support/test-bot.js';
import { blockActionsBody, postSigned, staticSelectBody } from '../support/slack-signing.js';

let bot: TestBot;
let jobs: JobStore;
beforeEach(async () => {
  bot = await startTestBot({}, 'bluegreen');
  jobs = new JobStore(bot.redis, keys(bot.config.REDIS_PREFIX));
});
afterEach(async () => {
  await bot.stop();
});

const bg = (text: string, user = 'U0ALICE') => bot.command(text, { command: '/bluegreen', user });

async function thread(name: string, startsWith: string): Promise<string[]> {
  return eventually(async () => {
    const ref = await bot.cards.get(`bg:${name}`);
    const texts = ref ? bot.fake.thread(ref.channel, ref.ts).map((m) => m.text ?? '') : [];
    return texts.some((t) => t.startsWith(startsWith)) ? texts : undefined;
  }, 5000, `thread line "${startsWith}"`);
}

/** Click a control on the job's card as Slack sends it: a button, or a select option. */
async function click(name: string, actionId: string, value: string, opts: { user?: string; select?: boolean } = {}) {
  const ref = await bot.cards.get(`bg:${name}`);
  const p = { user_id: opts.user ?? 'U0ALICE', channel_id: ref?.channel ?? CHANNEL, message_ts: ref?.ts ?? '0', action_id: actionId, value };
  // A static_select sends selected_option instead of value.
  return postSigned(`${bot.url}/slack/events`, opts.select ? staticSelectBody(p) : blockActionsBody(p), { secret: 'test-signing-secret' });
}

async function serving(name: string) {
  const j = (await jobs.get(name))!;
  const obs = await bot.platform.bgInspect(j.env, j.workload);
  return { serving: obs?.serving, slots: Object.fromEntries(Object.entries(obs?.slots ?? {}).map(([s, v]) => [s, v.image])) };
}

async function createHealthy(name = 'web') {
  const res = await bg(`create ${name} --env prod --workload ${name} --image ${name}:1.0 --replicas 2`);
  expect(bot.ackText(res)).toContain(`Created blue-green job *${name}*`);
  return bot.jobUntil(name, 'Healthy');
}

describe('blue-green jobs', () => {
  it('create -> update -> Paused -> Release -> Healthy with the new version Active and Stable', async () => {
    const created = await createHealthy();
    expect(created.versions.blue).toMatchObject({ revision: 1, image: 'web:1.0', replicas: 2 });
    expect(await serving('web')).toEqual({ serving: 'blue', slots: { blue: 'web:1.0' } });

    await bg('update web web:2.0', 'U0BOB');
    const paused = await bot.jobUntil('web', 'Paused');
    expect(paused.versions.green).toMatchObject({ revision: 2, image: 'web:2.0' });
    expect(paused.active).toBe('blue');
    expect(await serving('web')).toEqual({ serving: 'blue', slots: { blue: 'web:1.0', green: 'web:2.0' } });
    const card = await eventually(async () => {
      const ref = await bot.cards.get('bg:web');
      const msg = ref && bot.fake.messages(ref.channel).find((m) => m.ts === ref.ts);
      return msg?.text?.includes('Paused') ? msg : undefined;
    }, 5000, 'card Paused');
    expect(JSON.stringify(card.blocks)).toContain('bluegreen.release');
    expect(JSON.stringify(card.blocks)).toContain('bluegreen.terminate');

    const ack = await click('web', 'bluegreen.release', `release web @v${paused.version}`, { user: 'U0CAROL' });
    expect(ack.status).toBe(200);
    const healthy = await bot.jobUntil('web', 'Healthy');
    expect(healthy.active).toBe('green');
    expect(healthy.stable).toBe('green');
    expect(Object.keys(healthy.versions)).toEqual(['green']);
    expect(healthy.history.map((h) => [h.revision, h.image, h.outcome, h.by])).toEqual([
      [1, 'web:1.0', 'released', 'U0ALICE'],
      [2, 'web:2.0', 'released', 'U0CAROL'], // whoever clicked Release, not U0BOB who updated
    ]);
    expect(await serving('web')).toEqual({ serving: 'green', slots: { green: 'web:2.0' } });
    const lines = await thread('web', 'Released in');
    expect(lines).toContainEqual('Release by <@U0CAROL>: traffic moves to green (rev 2, web:2.0)');
    expect(lines.at(-1)).toMatch(/^Released in .*: green \(rev 2, web:2.0\) is Active and Stable; blue deleted · <@U0CAROL>$/);
  });

  it('update -> Terminate leaves the old version Active', async () => {
    await createHealthy();
    await bg('update web web:2.0');
    const paused = await bot.jobUntil('web', 'Paused');
    await click('web', 'bluegreen.terminate', `terminate web @v${paused.version}`);
    const healthy = await bot.jobUntil('web', 'Healthy');
    expect(healthy.active).toBe('blue');
    expect(healthy.history.at(-1)).toMatchObject({ revision: 2, outcome: 'terminated' });
    expect(await serving('web')).toEqual({ serving: 'blue', slots: { blue: 'web:1.0' } });
    expect(await thread('web', 'Terminated')).toContainEqual('Terminated: rev 2 (web:2.0) deleted; blue (rev 1, web:1.0) still serves · <@U0ALICE>');
  });

  it('rollback to revision 1 from the card select -> Paused -> Release', async () => {
    await createHealthy();
    await bg('update web web:2.0');
    await bot.jobUntil('web', 'Paused');
    await bg('release web');
    const v2 = await bot.jobUntil('web', 'Healthy');
    expect(v2.active).toBe('green');

    await click('web', 'bluegreen.rollback', `rollback web 1 @v${v2.version}`, { select: true });
    const paused = await bot.jobUntil('web', 'Paused');
    expect(paused.pending).toMatchObject({ revision: 3, image: 'web:1.0', rollbackOf: 1, slot: 'blue' });
    await bg('release web');
    const done = await bot.jobUntil('web', 'Healthy');
    expect(done.active).toBe('blue');
    expect(done.history.at(-1)).toMatchObject({ revision: 3, image: 'web:1.0', outcome: 'released', rollbackOf: 1 });
    expect(await serving('web')).toEqual({ serving: 'blue', slots: { blue: 'web:1.0' } });
    const history = await bg('history web');
    expect(JSON.stringify(history.json)).toContain('rev 3');
  });

  it('a broken image -> Degraded, the old version serving -> Terminate -> Healthy', async () => {
    await createHealthy();
    await bg('update web web:2.0-broken');
    const degraded = await bot.jobUntil('web', 'Degraded');
    expect(degraded.degradedReason).toMatch(/never became ready/);
    expect((await serving('web')).serving).toBe('blue');
    expect(await thread('web', 'Degraded')).toContainEqual(expect.stringMatching(/^Degraded: web:2.0-broken \(rev 2\) never became ready/));
    const refused = await bg('release web');
    expect(bot.ackText(refused)).toContain('web is Degraded; it can be released only when Paused');
    await click('web', 'bluegreen.terminate', `terminate web @v${degraded.version}`);
    const healthy = await bot.jobUntil('web', 'Healthy');
    expect(healthy.history.at(-1)).toMatchObject({ revision: 2, outcome: 'failed' });
    expect(await serving('web')).toEqual({ serving: 'blue', slots: { blue: 'web:1.0' } });
  });

  it('refuses a click from a stale card privately and refreshes the card', async () => {
    await createHealthy();
    await bg('update web web:2.0');
    const first = await bot.jobUntil('web', 'Paused');
    await bg('terminate web');
    await bot.jobUntil('web', 'Healthy');
    await bg('update web web:3.0');
    await bot.jobUntil('web', 'Paused');
    const updatesBefore = bot.fake.callsTo('chat.update').length;

    // Release on the card as it was for web:2.0: it must not release web:3.0.
    await click('web', 'bluegreen.release', `release web @v${first.version}`, { user: 'U0BOB' });
    await bot.fake.waitFor((calls) => calls.some((c) => c.method === 'chat.postEphemeral'));
    const eph = bot.fake.callsTo('chat.postEphemeral')[0]!.args;
    expect(eph.user).toBe('U0BOB');
    expect(String(eph.text)).toContain('That card was out of date: web is Paused now');
    expect((await jobs.get('web'))!.status).toBe('Paused');
    await bot.fake.waitFor(() => bot.fake.callsTo('chat.update').length > updatesBefore);
  });

  it('a double click makes one swap', async () => {
    await createHealthy();
    await bg('update web web:2.0');
    const paused = await bot.jobUntil('web', 'Paused');
    const value = `release web @v${paused.version}`;
    await Promise.all([click('web', 'bluegreen.release', value), click('web', 'bluegreen.release', value, { user: 'U0BOB' })]);
    await bot.jobUntil('web', 'Healthy');
    expect(await bot.platform.blueGreen.switchCounts()).toEqual({ 'prod/web': 2 }); // the first version, then one swap
    const audit = await bot.redis.xrange(`${bot.config.REDIS_PREFIX}:audit`, '-', '+');
    expect(audit.filter(([, f]) => f[f.indexOf('action') + 1] === 'release')).toHaveLength(1);
    await bot.fake.waitFor((calls) => calls.some((c) => c.method === 'chat.postEphemeral'));
  });

  it('one operation at a time, and clear answers for unknown jobs and revisions', async () => {
    await bot.stop();
    bot = await startTestBot({ SIM_LATENCY_MS: '300' }, 'bluegreen-busy');
    jobs = new JobStore(bot.redis, keys(bot.config.REDIS_PREFIX));
    await bg('create api --env prod --workload api --image api:1.0');
    await bot.jobUntil('api', 'Healthy');
    await bg('update api api:2.0');
    const busy = await bg('update api api:3.0');
    expect(bot.ackText(busy)).toContain('api is Progressing; it can be updated only when Healthy');
    expect(bot.ackText(await bg('release nope'))).toContain('No blue-green job nope');
    await bot.jobUntil('api', 'Paused');
    await bg('release api');
    await bot.jobUntil('api', 'Healthy');
    expect(bot.ackText(await bg('rollback api 7'))).toContain('api has no released revision 7 to roll back to; choose one of 1');
    const dup = await bg('create api2 --env prod --workload api --image api:1.0');
    expect(bot.ackText(dup)).toContain('prod/api already belongs to blue-green job api');
  });

  it('a first version that never becomes ready leaves nothing behind', async () => {
    await bg('create bad --env prod --workload bad --image bad:1.0-broken');
    await eventually(async () => !(await jobs.get('bad')), 10_000, 'job removed');
    expect(await bot.platform.bgInspect('prod', 'bad')).toBeUndefined();
    const ref = await eventually(() => bot.fake.callsTo('chat.update').find((c) => String(c.args.text).includes('could not be created')), 5000, 'card closed');
    expect(String(ref.args.text)).toContain('never became ready');
  });
});
