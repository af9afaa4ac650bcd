/**
 * End to end: choosing many components without typing each one. `--all`, name patterns and
 * `--tag` on /release create and /release plan, resolved against what runs in the simulated
 * platform; a choice of nothing refused with nothing stored; a plan of 2,000 components read in
 * one batched read. Signed requests in; the ack, the card, Redis and the platform checked.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RunningComponent } from '../../src/platform/port.js';
import { SimulatedPlatform } from '../../src/platform/simulated/simulated-platform.js';
import { keys } from '../../src/store/redis.js';
import { texts } from '../support/blocks.js';
import { eventually, startTestBot, type TestBot } from '../support/test-bot.js';

let bot: TestBot | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  await bot?.stop();
  bot = undefined;
});

const DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`;
const ack = async (text: string) => bot!.ackText(await bot!.command(text));

/** Components running in `env` (name → image), written straight into the simulated platform's hash in one HSET. */
async function seed(env: string, images: Record<string, string>): Promise<void> {
  const k = keys(bot!.config.REDIS_PREFIX);
  const at = '2030-01-01T00:00:00.000Z';
  const rows = Object.entries(images).map(([name, image]): [string, string] => [name, JSON.stringify({ env, name, image, replicas: 2, updatedAt: at } satisfies RunningComponent)]);
  await bot!.redis.hset(k.simEnv(env), Object.fromEntries(rows));
  await bot!.redis.sadd(k.simEnvs, env);
}

const PROD = { api: 'registry.local/api:1.3', db: 'registry.local/db:1.4', 'web-1': 'registry.local:5000/web:1.3', 'web-2': `registry.local:5000/web@${DIGEST}` };
const idOf = (text: string) => /`(rt-[0-9a-z]{6})`/.exec(text)?.[1];
const plans = async (id: string) => (await bot!.tasks.get(id))!.components.map((c) => [c.name, c.status, c.plan]);

describe('choosing components', () => {
  it('upgrade --all --tag: every component gets its current repository with the new tag (digests too); the plan is on the card; it releases', async () => {
    bot = await startTestBot({}, 'sel-all');
    await seed('prod', PROD);
    const text = await ack('create r-1.4 upgrade --env prod --all --tag 1.4');
    expect(text).toMatch(/^Created release task \*r-1\.4\* \(`rt-[0-9a-z]{6}`\): Bulk Upgrade of 4 components to prod \(chosen by `--all` in prod; `--tag 1\.4` on each current image\) \(1 already at the target: no change\)\./);
    const id = idOf(text)!;
    const was = (image: string) => ({ image, replicas: 2 });
    expect(await plans(id)).toEqual([
      ['api', 'To release', { was: was('registry.local/api:1.3'), target: 'registry.local/api:1.4' }],
      ['db', 'No change', { was: was('registry.local/db:1.4'), target: 'registry.local/db:1.4', unchanged: true }],
      ['web-1', 'To release', { was: was('registry.local:5000/web:1.3'), target: 'registry.local:5000/web:1.4' }],
      ['web-2', 'To release', { was: was(`registry.local:5000/web@${DIGEST}`), target: 'registry.local:5000/web:1.4' }],
    ]);
    const card = await eventually(async () => {
      const c = await bot!.card(id);
      return c && texts(c.blocks).join('\n').includes('registry.local/api:1.3 (2 replicas) -&gt; registry.local/api:1.4') ? c : undefined;
    }, 5000, 'the plan on the card');
    expect(texts(card.blocks).join('\n')).toContain(`registry.local:5000/web@${DIGEST} (2 replicas) -&gt; registry.local:5000/web:1.4`);

    await bot.command(`start ${id}`);
    const done = await bot.waitForTask(id, (t) => t.status === 'Released');
    expect(done.components.map((c) => [c.name, c.status])).toEqual([['api', 'Released'], ['db', 'No change'], ['web-1', 'Released'], ['web-2', 'Released']]);
    expect((await bot.platform.list('prod')).map((c) => [c.name, c.image])).toEqual([
      ['api', 'registry.local/api:1.4'], ['db', 'registry.local/db:1.4'], ['web-1', 'registry.local:5000/web:1.4'], ['web-2', 'registry.local:5000/web:1.4'],
    ]);
  });

  it("a pattern ('web-*', as Slack sends the quotes) chooses only its matches; /release plan shows them and stores nothing", async () => {
    bot = await startTestBot({}, 'sel-glob');
    await seed('prod', { ...PROD, 'webhook': 'registry.local/webhook:1' });
    const res = await bot.command("plan r-web upgrade --env prod 'web-*' --tag 1.4");
    expect(bot.ackText(res)).toBe('Plan for r-web: Bulk Upgrade in prod, 2 of 2 components change');
    const shown = texts((res.json as { blocks: unknown }).blocks).join('\n');
    expect(shown).toContain('Components chosen by `web-*` in prod; `--tag 1.4` on each current image.');
    expect(shown).toContain('`web-1` registry.local:5000/web:1.3 (2 replicas) -&gt; registry.local:5000/web:1.4');
    expect(shown).not.toContain('webhook');
    expect(await bot.tasks.list()).toEqual([]);

    const id = idOf(await ack("create r-web upgrade --env prod 'web-*' --tag 1.4"))!;
    expect((await bot.tasks.get(id))!.components.map((c) => c.name)).toEqual(['web-1', 'web-2']);
    // Names and patterns together: a named component comes first, and a pattern that also matches it does not add it twice.
    const mixed = idOf(await ack("create r-mix upgrade --env prod web-2 'web-?' api --tag 2.0"))!;
    expect((await bot.tasks.get(mixed))!.components.map((c) => [c.name, c.image])).toEqual([
      ['web-2', 'registry.local:5000/web:2.0'], ['api', 'registry.local/api:2.0'], ['web-1', 'registry.local:5000/web:2.0'],
    ]);
  });

  it('clone --all copies every component of --from; names and patterns mix', async () => {
    bot = await startTestBot({}, 'sel-clone');
    await seed('staging', { api: 'api:2.0', web: 'web:2.0', worker: 'worker:2.0' });
    await seed('prod', { web: 'web:2.0' });
    const text = await ack('create c1 clone --from staging --env prod --all');
    expect(text).toMatch(/Bulk Clone of 3 components to prod \(chosen by `--all` in staging \(`--from`\)\) \(1 already at the target: no change\)/);
    expect(await plans(idOf(text)!)).toEqual([
      ['api', 'To release', { target: 'api:2.0' }],
      ['web', 'No change', { was: { image: 'web:2.0', replicas: 2 }, target: 'web:2.0', unchanged: true }],
      ['worker', 'To release', { target: 'worker:2.0' }],
    ]);
    const some = idOf(await ack("create c2 clone --from staging --env qa worker 'a*'"))!;
    expect((await bot.tasks.get(some))!.components.map((c) => c.name)).toEqual(['worker', 'api']);
  });

  it('refuses a choice of nothing, naming the environment and what it has; nothing is stored', async () => {
    bot = await startTestBot({}, 'sel-none');
    await seed('prod', PROD);
    expect(await ack("create r upgrade --env prod 'wbe-*' --tag 1.4")).toBe(
      'Cannot create r: the plan cannot succeed.\n• `wbe-*` matches no component: prod has `api`, `db`, `web-1`, `web-2`\nNothing was created.',
    );
    expect(await ack('create c clone --from empty --env prod --all')).toBe(
      'Cannot create c: the plan cannot succeed.\n• `--all` chooses nothing: empty (`--from`) has no components\nNothing was created.',
    );
    // A named component that does not exist is a plan reason as before, next to the chosen ones.
    expect(await ack("create r upgrade --env prod 'web-*' nosuch --tag 1.4")).toContain('• `nosuch` does not exist in prod: deploy it first');
    // The grammar's refusals come in the ack with the usage.
    expect(await ack("create r deploy --env prod 'web-*'")).toContain('deploy creates new ones');
    expect(await ack('create r upgrade --env prod --all')).toContain('say which image with --tag <tag>');
    expect(await bot.tasks.list()).toEqual([]);
    expect(bot.fake.callsTo('chat.postMessage')).toEqual([]);
  });

  it('plans and creates 2,000 components from --all, reading the environment in one batched read', async () => {
    bot = await startTestBot({}, 'sel-2000');
    const big = Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`svc-${String(i).padStart(4, '0')}`, `registry.local/svc-${i}:1.0`]));
    await seed('big', big);
    const reads = {
      list: vi.spyOn(SimulatedPlatform.prototype, 'list'),
      get: vi.spyOn(SimulatedPlatform.prototype, 'get'),
      getMany: vi.spyOn(SimulatedPlatform.prototype, 'getMany'),
    };

    const res = await bot.command('plan big upgrade --env big --all --tag 2.0');
    expect(bot.ackText(res)).toBe('Plan for big: Bulk Upgrade in big, 2,000 of 2,000 components change');
    const shown = texts((res.json as { blocks: unknown }).blocks).join('\n');
    expect(shown).toContain('`svc-0000` registry.local/svc-0:1.0 (2 replicas) -&gt; registry.local/svc-0:2.0');
    expect(shown).toMatch(/…and \d+ more/);
    // One HGETALL of the environment: no component read one by one, nothing read twice.
    expect(reads.list.mock.calls).toEqual([['big']]);
    expect(reads.get).not.toHaveBeenCalled();
    expect(reads.getMany).not.toHaveBeenCalled();

    const text = await ack('create big upgrade --env big --all --tag 2.0');
    expect(text).toMatch(/^Created release task \*big\* \(`rt-[0-9a-z]{6}`\): Bulk Upgrade of 2,000 components to big/);
    const task = (await bot.tasks.get(idOf(text)!))!;
    expect(task.components).toHaveLength(2000);
    expect(task.components.at(-1)).toMatchObject({ name: 'svc-1999', image: 'registry.local/svc-1999:2.0', plan: { target: 'registry.local/svc-1999:2.0' } });
    await eventually(() => bot!.card(task.id), 10_000, 'the card of the 2,000-component task');

    // One past the limit is refused before anything is stored.
    await seed('big', { 'svc-2000': 'registry.local/svc-2000:1.0' });
    expect(await ack('create bigger upgrade --env big --all --tag 2.0')).toContain('`--all` chose 2001 components of big: a task takes at most 2000');
    expect(await bot.tasks.list()).toHaveLength(1);
  });
});
