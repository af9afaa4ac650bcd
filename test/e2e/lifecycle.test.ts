/**
 * End to end: suspend and resume mid-release, and rollback of a Bulk Upgrade.
 */
import type { ReleaseTask } from '../../src/domain/release-task.js';
import { afterEach, describe, expect, it } from 'vitest';
import { keys } from '../../src/store/redis.js';
import { eventually, startTestBot, type TestBot } from '../support/test-bot.js';

let bot: TestBot | undefined;
afterEach(async () => {
  await bot?.stop();
  bot = undefined;
});

async function summary(b: TestBot, id: string, prefix: string): Promise<string[]> {
  return eventually(async () => {
    const t = await b.threadTexts(id);
    return t.some((s) => s.startsWith(prefix)) ? t : undefined;
  }, 5000, `thread line "${prefix}"`);
}

describe('suspend and resume', () => {
  it('lets components in flight finish, starts no new one, and resumes with the rest', async () => {
    // A step takes 640-960 ms: the first ones are still in flight when Suspend lands.
    bot = await startTestBot({ SIM_LATENCY_MS: '800' }, 'suspend');
    const names = ['c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7', 'c8'];
    const id = await bot.create(`many deploy --env stage ${names.map((n) => `${n}=img:1`).join(' ')} --parallel 2`);
    await bot.command(`start ${id}`);
    await bot.waitForTask(id, (t) => t.components.some((c) => c.status === 'Releasing'));

    const ack = await bot.click(id, 'release.suspend', { user: 'U0CAROL' });
    expect(ack.status).toBe(200);
    // The click is acked first; the status change follows. What had started by then, read with the
    // status in one read: the steps in flight keep it Suspending for a few hundred ms.
    const suspending = await bot.waitForTask(id, (t) => t.status === 'Suspending' || t.status === 'Suspended');
    const states = (t: ReleaseTask) => t.components.map((c) => `${c.name}:${c.status}`).join(' ');
    expect(suspending.status, states(suspending)).toBe('Suspending');
    const started = suspending.components.filter((c) => c.status !== 'To release').map((c) => c.name);

    const suspended = await bot.waitForTask(id, (t) => t.status === 'Suspended');
    // Nothing started after Suspending: every released component had started by then.
    const after = suspended.components.filter((c) => c.status !== 'To release').map((c) => c.name);
    expect(after, `at Suspending: ${states(suspending)}; at Suspended: ${states(suspended)}`).toEqual(started);
    const released = suspended.components.filter((c) => c.status === 'Released').length;
    const waiting = suspended.components.filter((c) => c.status === 'To release').length;
    expect(suspended.components.some((c) => c.status === 'Releasing')).toBe(false);
    expect(released).toBeGreaterThanOrEqual(1);
    expect(waiting).toBeGreaterThanOrEqual(1);
    expect(released + waiting).toBe(names.length);
    // Locks are let go while Suspended (just after the status is written).
    await eventually(async () => (await bot!.redis.get(keys(bot!.config.REDIS_PREFIX).lock('stage/c8'))) === null, 5000, 'the lock let go');

    const thread = await summary(bot, id, 'Suspended after');
    expect(thread).toContainEqual(expect.stringMatching(/^Suspending requested by <@U0CAROL>/));
    expect(thread.at(-1)).toMatch(new RegExp(`^Suspended after (\\d+s|under 1 s) of releasing: ${released}/8 released, ${waiting} to release\\. Resume to continue\\. · <@U0ALICE>$`));
    await eventually(async () => JSON.stringify((await bot!.card(id))?.blocks).includes('release.resume'), 5000, 'Resume button');

    await bot.click(id, 'release.resume');
    const done = await bot.waitForTask(id, (t) => t.status === 'Released');
    expect(done.run).toBe(2);
    const counts = await bot.platform.appliedCounts();
    expect(Object.values(counts)).toEqual(names.map(() => 1));
    expect(await summary(bot, id, 'Releasing resumed')).toContainEqual(`Releasing resumed by <@U0ALICE>: ${waiting} component${waiting === 1 ? '' : 's'} left`);
  });
});

describe('rollback', () => {
  it('returns every upgraded component to the version it had before', async () => {
    bot = await startTestBot({}, 'rollback');
    const base = await bot.create('base deploy --env prod web=web:1.0 api=api:1.0 db=db:1.0');
    await bot.command(`start ${base}`);
    await bot.waitForTask(base, (t) => t.status === 'Released');

    const up = await bot.create('bump upgrade --env prod web=web:2.0 api=api:2.0-broken --best-effort');
    await bot.command(`start ${up}`);
    await bot.waitForTask(up, (t) => t.status === 'Release failed');
    expect((await bot.platform.get('prod', 'web'))!.image).toBe('web:2.0');

    // Release failed upgrades can be rolled back; only what was upgraded moves.
    const ack = await bot.click(up, 'release.rollback', { user: 'U0DAVE' });
    expect(ack.status).toBe(200);
    const t = await bot.waitForTask(up, (x) => x.status === 'Rolled back');
    expect(t.components.map((c) => [c.name, c.status, c.image])).toEqual([
      ['web', 'Rolled back', 'web:1.0'],
      ['api', 'Not released', 'api:2.0-broken'], // its release failed: it still runs api:1.0, nothing to roll back
    ]);
    expect(t.components[0]!.history.map((h) => [h.action, h.status, h.previousImage, h.image])).toEqual([
      ['release', 'Released', 'web:1.0', 'web:2.0'],
      ['rollback', 'Rolled back', 'web:2.0', 'web:1.0'],
    ]);
    expect((await bot.platform.list('prod')).map((c) => [c.name, c.image])).toEqual([
      ['api', 'api:1.0'],
      ['db', 'db:1.0'],
      ['web', 'web:1.0'],
    ]);
    const thread = await summary(bot, up, 'Rolled back in');
    expect(thread).toContainEqual('Rolling back started by <@U0DAVE>: 1 component returns to its previous version');
    expect(thread.at(-1)).toMatch(/^Rolled back in .*: 1 component back on its previous version; 1 component never released, nothing to roll back · <@U0DAVE>$/);
    // Rolled back is the end of the road: Delete is the only button left, and a second rollback is refused.
    const card = await eventually(async () => {
      const c = await bot!.card(up);
      return c?.text?.includes('Rolled back') ? c : undefined;
    }, 5000, 'card Rolled back');
    expect(JSON.stringify(card.blocks).match(/"action_id":"[^"]+"/g)).toEqual(['"action_id":"release.delete"']);
    const again = await bot.command(`rollback ${up}`);
    expect(bot.ackText(again)).toContain(`${up} is Rolled back`);
  });

  it('ends Rollback failed naming the components that could not go back', async () => {
    bot = await startTestBot({}, 'rollback-fail');
    const base = await bot.create('base deploy --env prod web=web:1.0 api=api:1.0');
    await bot.command(`start ${base}`);
    await bot.waitForTask(base, (t) => t.status === 'Released');
    const up = await bot.create('bump upgrade --env prod web=web:2.0 api=api:2.0');
    await bot.command(`start ${up}`);
    await bot.waitForTask(up, (t) => t.status === 'Released');
    // Simulate the old version having gone bad meanwhile: its image tag now ends in -broken.
    const t0 = await bot.tasks.get(up);
    await bot.tasks.update(up, (t) => ({
      ...t,
      components: t.components.map((c) => (c.name === 'api' ? { ...c, previousImage: 'api:1.0-broken' } : c)),
    }));
    expect(t0!.status).toBe('Released');
    await bot.command(`rollback ${up}`);
    const t = await bot.waitForTask(up, (x) => x.status === 'Rollback failed');
    expect(t.components.map((c) => [c.name, c.status])).toEqual([
      ['web', 'Rolled back'],
      ['api', 'Rollback failed'],
    ]);
    const thread = await summary(bot, up, 'Rollback failed');
    expect(thread.at(-1)).toMatch(/^Rollback failed after .*: `api` could not return to its previous version · <@U0ALICE>$/);
  });
});
