/**
 * End to end: signed slash commands and button clicks in, fake Slack Web API calls out, Redis
 * state checked. Deploy, then upgrade with best effort On and one broken image; best effort Off.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { keys } from '../../src/store/redis.js';
import { CHANNEL, eventually, startTestBot, type TestBot } from '../support/test-bot.js';

let bot: TestBot;
beforeEach(async () => {
  bot = await startTestBot({}, 'flow');
});
afterEach(async () => {
  await bot.stop();
});

function buttonIds(blocks: unknown[] | undefined): string[] {
  return (blocks ?? []).flatMap((b) => {
    const block = b as { type: string; elements?: Array<{ action_id?: string }> };
    return block.type === 'actions' ? (block.elements ?? []).map((e) => e.action_id ?? '') : [];
  });
}

describe('batch release tasks from Slack', () => {
  it('creates a task, posts its card, releases it from a button click, and reports in the thread', async () => {
    const res = await bot.command('create web-stack deploy --env staging web=registry.local/web:1.0x2 api=registry.local/api:1.0 --desc "first deploy"');
    expect(res.status).toBe(200);
    expect((res.json as { response_type: string }).response_type).toBe('ephemeral');
    const id = /`(rt-[0-9a-z]{6})`/.exec(bot.ackText(res))![1]!;

    const stored = await bot.tasks.get(id);
    expect(stored).toMatchObject({ status: 'To release', operation: 'Bulk Deploy', env: 'staging', createdBy: 'U0ALICE', channel: CHANNEL });
    expect(stored!.components.map((c) => [c.name, c.image, c.replicas])).toEqual([
      ['web', 'registry.local/web:1.0', 2],
      ['api', 'registry.local/api:1.0', 1],
    ]);

    await bot.fake.waitFor((calls) => calls.some((c) => c.method === 'chat.postMessage'));
    const card = await eventually(() => bot.card(id), 5000, 'card');
    expect(card.text).toContain(id);
    expect(buttonIds(card.blocks)).toEqual(['release.start', 'release.delete']);

    const click = await bot.click(id, 'release.start', { user: 'U0BOB' });
    expect(click.status).toBe(200);
    const done = await bot.waitForTask(id, (t) => t.status === 'Released');
    expect(done.startedBy).toBe('U0BOB');
    expect(done.components.every((c) => c.status === 'Released' && c.history.length === 1)).toBe(true);

    expect((await bot.platform.list('staging')).map((c) => [c.name, c.image, c.replicas])).toEqual([
      ['api', 'registry.local/api:1.0', 1],
      ['web', 'registry.local/web:1.0', 2],
    ]);
    await eventually(async () => (await bot.card(id))?.text?.includes('Released'), 5000, 'card shows Released');
    const thread = await eventually(async () => {
      const t = await bot.threadTexts(id);
      return t.some((x) => x.startsWith('Released in')) ? t : undefined;
    }, 5000, 'thread summary');
    expect(thread[0]).toMatch(/^Releasing started by <@U0BOB>/);
    expect(thread.at(-1)).toMatch(/^Released in .*: 2\/2 components · <@U0BOB>$/);
    // Only one card was ever posted: every change after it is an edit.
    expect(bot.fake.callsTo('chat.postMessage').filter((c) => !c.args.thread_ts)).toHaveLength(1);
    expect(bot.fake.callsTo('chat.update').length).toBeGreaterThan(0);

    // The audit stream recorded who did what.
    const audit = await bot.redis.xrange(`${bot.config.REDIS_PREFIX}:audit`, '-', '+');
    const actions = audit.map(([, f]) => f[f.indexOf('action') + 1]);
    expect(actions).toEqual(['create', 'start', 'release-finished']);
  });

  it('upgrade with Best Effort On: a broken image fails alone, the others are released', async () => {
    const deploy = await bot.create('base deploy --env prod web=web:1.0 api=api:1.0 worker=worker:1.0');
    await bot.command(`start ${deploy}`);
    await bot.waitForTask(deploy, (t) => t.status === 'Released');

    const up = await bot.create('bump upgrade --env prod web=web:2.0 api=api:2.0-broken worker=worker:2.0 --best-effort');
    const ack = await bot.command(`start ${up}`);
    expect(bot.ackText(ack)).toContain('Releasing');
    const t = await bot.waitForTask(up, (x) => x.status === 'Release failed');
    expect(t.components.map((c) => [c.name, c.status])).toEqual([
      ['web', 'Released'],
      ['api', 'Release failed'],
      ['worker', 'Released'],
    ]);
    expect(t.components[0]!.previousImage).toBe('web:1.0');
    expect(t.components[1]!.error).toMatch(/never became ready/);
    expect((await bot.platform.get('prod', 'api'))!.image).toBe('api:1.0');
    expect((await bot.platform.get('prod', 'web'))!.image).toBe('web:2.0');

    const thread = await eventually(async () => {
      const x = await bot.threadTexts(up);
      return x.some((s) => s.startsWith('Release failed')) ? x : undefined;
    }, 5000, 'failure summary');
    expect(thread.filter((s) => s.includes('failed:'))).toContainEqual(expect.stringMatching(/^`api` failed: api:2.0-broken never became ready/));
    // Successes are not posted one by one.
    expect(thread.some((s) => s.includes('`web`'))).toBe(false);
    expect(thread.at(-1)).toMatch(/Release failed after .*: 2\/3 released; failed: `api`/);
    const card = await bot.card(up);
    await eventually(async () => buttonIds((await bot.card(up))?.blocks).includes('release.retry'), 5000, 'retry button');
    expect(card).toBeDefined();
    expect(buttonIds((await bot.card(up))!.blocks)).toEqual(['release.retry', 'release.rollback', 'release.delete']);
  });

  it('Best Effort Off: the first failure stops components not yet started', async () => {
    await bot.stop();
    bot = await startTestBot({ SIM_FAIL_COMPONENTS: 'c2' }, 'flow-off');
    const id = await bot.create('strict deploy --env qa c1=img:1 c2=img:1 c3=img:1 c4=img:1 c5=img:1 --parallel 1');
    await bot.command(`start ${id}`);
    const t = await bot.waitForTask(id, (x) => x.status === 'Release failed');
    expect(t.components.map((c) => c.status)).toEqual(['Released', 'Release failed', 'Not released', 'Not released', 'Not released']);
    expect((await bot.platform.list('qa')).map((c) => c.name)).toEqual(['c1']);
    const thread = await eventually(async () => {
      const x = await bot.threadTexts(id);
      return x.some((s) => s.startsWith('Release failed')) ? x : undefined;
    }, 5000, 'summary');
    expect(thread.at(-1)).toContain('3 not released (Best Effort Policy Off)');
  });

  it('retry re-runs only the failed components', async () => {
    const base = await bot.create('base deploy --env prod a=img:1 b=img:1 c=img:1');
    await bot.command(`start ${base}`);
    await bot.waitForTask(base, (x) => x.status === 'Released');

    // c is removed from prod outside the bot after the plan: its upgrade fails, a and b go through.
    const up = await bot.create('up upgrade --env prod a=img:2 b=img:2 c=img:2 --best-effort');
    await bot.redis.hdel(keys(bot.config.REDIS_PREFIX).simEnv('prod'), 'c');
    await bot.command(`start ${up}`);
    const failed = await bot.waitForTask(up, (x) => x.status === 'Release failed');
    expect(failed.components.find((c) => c.name === 'c')!.error).toBe('c does not exist in prod; deploy it first');

    const fix = await bot.create('fix deploy --env prod c=img:1');
    await bot.command(`start ${fix}`);
    await bot.waitForTask(fix, (x) => x.status === 'Released');

    const ack = await bot.click(up, 'release.retry');
    expect(ack.status).toBe(200);
    const done = await bot.waitForTask(up, (x) => x.status === 'Released');
    expect(done.components.map((c) => [c.name, c.history.length])).toEqual([
      ['a', 1],
      ['b', 1],
      ['c', 2],
    ]);
    // c: base's deploy, the fix's deploy after it was removed, the retried upgrade.
    expect(await bot.platform.appliedCounts()).toEqual({ 'prod/a': 2, 'prod/b': 2, 'prod/c': 3 });
    const thread = await eventually(async () => {
      const x = await bot.threadTexts(up);
      return x.some((s) => s.startsWith('Released in')) ? x : undefined;
    }, 5000, 'summary');
    expect(thread).toContainEqual(expect.stringMatching(/^Retry started by <@U0ALICE>: 1 failed or not released component/));
  });
});
