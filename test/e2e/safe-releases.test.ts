/**
 * End to end: nothing releases that nobody meant. Declared environments (policy file, globs),
 * typos of known ones without a policy file, a plan before every release (refused at create with
 * every reason, No change, the plan on the card and from `/release plan`, drift told at start),
 * and guarded rollbacks (refused over a newer release, --force by an approver). Signed requests
 * in; Redis, the simulated platform, the audit and fake Slack calls checked.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { removePolicies, writePolicy } from '../support/policy.js';
import { eventually, startTestBot, type TestBot } from '../support/test-bot.js';

let bot: TestBot | undefined;
afterEach(async () => {
  await bot?.stop();
  bot = undefined;
});
afterAll(() => removePolicies());

const ack = async (text: string, user = 'U0ALICE') => bot!.ackText(await bot!.command(text, { user }));
const released = (id: string) => bot!.waitForTask(id, (t) => t.status === 'Released');
const threadWith = (id: string, re: RegExp) =>
  eventually(async () => {
    const t = await bot!.threadTexts(id);
    return t.some((s) => re.test(s)) ? t : undefined;
  }, 5000, `thread line ${re}`);

/** Create and release an upgrade or deploy, as `user`; returns the task ID. */
async function release(text: string, user = 'U0ALICE'): Promise<string> {
  const id = await bot!.create(text, user);
  await bot!.command(`start ${id}`, { user });
  await released(id);
  return id;
}

const auditOf = async (target: string) =>
  (await bot!.redis.xrange(`${bot!.config.REDIS_PREFIX}:audit`, '-', '+'))
    .map(([, f]) => Object.fromEntries(Array.from({ length: f.length / 2 }, (_, i) => [f[2 * i], f[2 * i + 1]])) as Record<string, string>)
    .filter((e) => e.target === target);

describe('declared environments', () => {
  const POLICY = `
environments:
  staging: {}
  production: { approvers: [U0CAROL] }
  preview-*: {}
`;

  it('refuses an environment the policy file does not declare, naming the closest, storing nothing', async () => {
    bot = await startTestBot({ SWITCHYARD_CONFIG: writePolicy(POLICY) }, 'declared');
    const text = await ack('create typo-1 deploy --env prodution pay=registry.local/pay:1.0');
    expect(text).toBe('`prodution` is not an environment of the policy file (did you mean `production`?): use one of `staging`, `production`, `preview-*`. Nothing was created.');
    expect(await bot.tasks.list()).toEqual([]);
    expect(bot.fake.callsTo('chat.postMessage')).toEqual([]);

    // A glob declares a family; --from is checked too; /bluegreen as well.
    expect(await ack('create pr-42 deploy --env preview-42 web=web:1.0')).toMatch(/^Created release task \*pr-42\*/);
    expect(await ack('create sync clone --from stagin --env preview-42 web')).toContain('`stagin` is not an environment of the policy file (did you mean `staging`?)');
    const bg = bot.ackText(await bot.command('create shop --env prod --workload shop --image shop:1.0', { command: '/bluegreen' }));
    expect(bg).toContain('`prod` is not an environment of the policy file');
    expect((await bot.tasks.list()).map((t) => t.env)).toEqual(['preview-42']);
  });

  it('without a policy file, refuses a never-seen name two edits from a known one unless --new-env', async () => {
    bot = await startTestBot({}, 'typo');
    await release('first deploy --env staging web=web:1.0');
    const text = await ack('create second upgrade --env stagng web=web:2.0');
    expect(text).toContain('`stagng` has no releases yet and is one letter or two from `staging` (did you mean `staging`?)');
    expect(text).toContain('add `--new-env`');
    expect(await bot.tasks.list()).toHaveLength(1);
    // Far from anything known, or said to be new: accepted.
    expect(await ack('create other deploy --env qa web=web:1.0')).toMatch(/^Created/);
    expect(await ack('create meant deploy --env stagng web=web:1.0 --new-env')).toMatch(/^Created/);
  });
});

describe('a plan before every release', () => {
  it('refuses a plan that cannot succeed with every reason at once, storing nothing', async () => {
    bot = await startTestBot({}, 'plan-refused');
    await release('base deploy --env staging web=web:1.0');
    const text = await ack('create web-3 upgrade --env staging nosuch=registry.local/nosuch:1.0 other=other:1.0 web=web:2.0');
    expect(text).toBe(
      'Cannot create web-3: the plan cannot succeed.\n' +
        '• `nosuch` does not exist in staging: deploy it first\n' +
        '• `other` does not exist in staging: deploy it first\nNothing was created.',
    );
    expect(await ack('create again deploy --env staging web=web:1.0')).toContain('`web` already exists in staging (running web:1.0): upgrade it instead');
    expect(await ack('create copy clone --from staging --env qa web api --new-env')).toContain('`api` does not exist in staging: nothing to clone');
    expect(await bot.tasks.list()).toHaveLength(1);
  });

  it('shows the plan from /release plan (nothing stored) and on the card; No change is skipped, not failed', async () => {
    bot = await startTestBot({}, 'plan');
    await release('base deploy --env staging web=web:1.0 api=api:1.0');
    const res = await bot.command('plan up upgrade --env staging web=web:1.0 api=api:2.0');
    const blocks = JSON.stringify((res.json as { blocks?: unknown }).blocks);
    expect(bot.ackText(res)).toBe('Plan for up: Bulk Upgrade in staging, 1 of 2 components change');
    expect(blocks).toContain('api:1.0 (1 replica) -&gt; api:2.0');
    expect(blocks).toContain('web:1.0 (no change)');
    expect(await bot.tasks.list()).toHaveLength(1);

    const id = await bot.create('up upgrade --env staging web=web:1.0 api=api:2.0');
    const created = (await bot.tasks.get(id))!;
    expect(created.components.map((c) => [c.name, c.status, c.plan])).toEqual([
      ['web', 'No change', { was: { image: 'web:1.0', replicas: 1 }, target: 'web:1.0', unchanged: true }],
      ['api', 'To release', { was: { image: 'api:1.0', replicas: 1 }, target: 'api:2.0' }],
    ]);
    const card = await eventually(async () => {
      const c = await bot!.card(id);
      return c && JSON.stringify(c.blocks).includes('api:1.0 (1 replica) -&gt; api:2.0') ? c : undefined;
    }, 5000, 'the plan on the card');
    expect(JSON.stringify(card.blocks)).toContain('No change');

    await bot.command(`start ${id}`);
    const done = await released(id);
    expect(done.components.map((c) => c.status)).toEqual(['No change', 'Released']);
    expect(await bot.platform.appliedCounts()).toEqual({ 'staging/web': 1, 'staging/api': 2 });
    expect(await threadWith(id, /^Released in/)).toContainEqual(expect.stringMatching(/^Released in .*: 1\/2 components \(1 no change\) · <@U0ALICE>$/));
  });

  it('names in the thread, before the run, what changed since the plan; a No change that changed is released after all', async () => {
    bot = await startTestBot({}, 'drift');
    await release('base deploy --env staging web=web:1.0 api=api:1.0');
    const id = await bot.create('up upgrade --env staging web=web:2.0 api=api:1.0');
    expect((await bot.tasks.get(id))!.components.map((c) => c.status)).toEqual(['To release', 'No change']);
    // Someone changes both outside this task between create and start.
    await bot.platform.upgrade({ opId: 'outside-web', env: 'staging', name: 'web', image: 'web:1.5' });
    await bot.platform.upgrade({ opId: 'outside-api', env: 'staging', name: 'api', image: 'api:0.9' });
    await bot.command(`start ${id}`);
    const done = await released(id);
    const thread = await threadWith(id, /^Released in/);
    expect(thread).toContain(
      'Changed since the plan (2): `web` runs web:1.5 (the plan had web:1.0); `api` runs api:0.9 now, no longer api:1.0: it is released after all.',
    );
    expect(thread.findIndex((t) => t.startsWith('Changed since'))).toBeLessThan(thread.findIndex((t) => t.startsWith('Released in')));
    expect(done.components.map((c) => [c.name, c.status, c.image])).toEqual([['web', 'Released', 'web:2.0'], ['api', 'Released', 'api:1.0']]);
    expect(await bot.platform.get('staging', 'api')).toMatchObject({ image: 'api:1.0' });
  });

  it('names a clone source that moved since the plan', async () => {
    bot = await startTestBot({}, 'drift-clone');
    await release('src deploy --env staging web=web:1.4');
    const id = await bot.create('sync clone --from staging --env qa web --new-env');
    await bot.platform.upgrade({ opId: 'outside', env: 'staging', name: 'web', image: 'web:1.5' });
    await bot.command(`start ${id}`);
    await released(id);
    const thread = await threadWith(id, /^Changed since the plan/);
    expect(thread).toContainEqual(
      'Changed since the plan (1): `web` in staging runs web:1.5 (the plan cloned web:1.4): the clone copies what runs there when it starts.',
    );
  });
});

describe('guarded rollback', () => {
  it('refuses to roll back over a newer release, naming it; --force by an approver goes ahead and is audited', async () => {
    const POLICY = `
environments:
  staging: {}
  production: { approvers: [U0CAROL, U0DAVE] }
`;
    bot = await startTestBot({ SWITCHYARD_CONFIG: writePolicy(POLICY) }, 'guard');
    // Production needs an approval for every start: U0CAROL approves U0ALICE's.
    const approved = async (text: string) => {
      const id = await bot!.create(text);
      await bot!.command(`start ${id}`);
      await bot!.command(`approve ${id}`, { user: 'U0CAROL' });
      await released(id);
      return id;
    };
    await approved('base deploy --env production c1=c1:1.0');
    const a = await approved('task-a upgrade --env production c1=c1:2.0');
    const b = await approved('task-b upgrade --env production c1=c1:3.0');

    const refused = await ack(`rollback ${a}`);
    expect(refused).toContain(`Cannot roll back ${a}: 1 component changed since it released them`);
    expect(refused).toContain(`\`c1\` runs c1:3.0 (put there by ${b}, task-b), not c1:2.0`);
    expect(refused).toContain(`Roll back the newer task first (\`/release rollback ${b}\`), or put the previous images back anyway: \`/release rollback ${a} --force\``);
    expect(await bot.platform.get('production', 'c1')).toMatchObject({ image: 'c1:3.0' });
    expect((await bot.tasks.get(a))!.status).toBe('Released');

    // Only an approver may force on production (even where nothing conflicts yet); the forced
    // rollback still needs its approval, and the approvers see that it is forced.
    expect(await ack(`rollback ${b} --force`)).toBe('Only an approver for production can roll back with --force.');
    expect(await ack(`rollback ${a} --force`)).toBe('Only an approver for production can roll back with --force.');
    expect(await ack(`rollback ${a} --force`, 'U0CAROL')).toBe(
      // U0CAROL asked, so only U0DAVE is asked (distinct approvers).
      'Waiting for approval: to roll back with --force, task-a needs 1 approval from <@U0DAVE>. They can use Approve on the card.',
    );
    await bot.command(`approve ${a}`, { user: 'U0DAVE' });
    const back = await bot.waitForTask(a, (t) => t.status === 'Rolled back');
    expect(back.rollbackForced).toBe(true);
    expect(await bot.platform.get('production', 'c1')).toMatchObject({ image: 'c1:1.0' });
    const entry = (await auditOf(a)).find((e) => e.action === 'rollback')!;
    expect(entry).toMatchObject({ actor: 'U0CAROL', from: 'Released', to: 'Rolling back' });
    expect(entry.detail).toContain(`forced over: \`c1\` runs c1:3.0 (put there by ${b}, task-b), not c1:2.0`);
  });

  it('rolls back the newer task first, then the older one, without force', async () => {
    bot = await startTestBot({}, 'guard-order');
    await release('base deploy --env staging c1=c1:1.0');
    const a = await release('task-a upgrade --env staging c1=c1:2.0');
    const b = await release('task-b upgrade --env staging c1=c1:3.0');
    await bot.command(`rollback ${b}`);
    await bot.waitForTask(b, (t) => t.status === 'Rolled back');
    expect(await ack(`rollback ${a}`)).toBe(`${a} is now Rolling back.`);
    await bot.waitForTask(a, (t) => t.status === 'Rolled back');
    expect(await bot.platform.get('staging', 'c1')).toMatchObject({ image: 'c1:1.0' });
  });

  it('blue-green: refuses a rollback when what serves was changed outside the bot; --force goes ahead', async () => {
    bot = await startTestBot({}, 'guard-bg');
    const bg = async (text: string) => bot!.ackText(await bot!.command(text, { command: '/bluegreen' }));
    await bg('create shop --env staging --workload shop --image shop:1.0');
    await bot.jobUntil('shop', 'Healthy');
    await bg('update shop shop:2.0');
    await bot.jobUntil('shop', 'Paused');
    await bg('release shop');
    const job = await bot.jobUntil('shop', 'Healthy');
    expect(job.active).toBe('green');

    // Someone switches the traffic by hand to an image the job never released.
    await bot.platform.bgDeploySlot({ opId: 'by-hand', env: 'staging', workload: 'shop', slot: 'blue', image: 'shop:9.9', replicas: 1 });
    await bot.platform.bgSwitch({ env: 'staging', workload: 'shop', slot: 'blue' });

    const refused = await bg('rollback shop 1');
    expect(refused).toBe(
      'Cannot roll back shop: staging/shop: blue serves shop:9.9, not rev 2 (shop:2.0) that this job released; it was changed outside the bot, ' +
        'and a rollback would replace it. Nothing was changed. Look at what serves first, or roll back anyway: `/bluegreen rollback shop <revision> --force`.',
    );
    expect((await bot.jobs.get('shop'))!.status).toBe('Healthy');
    expect(await bg('rollback shop 1 --force')).toBe('shop is now Progressing.');
    const entry = (await auditOf('shop')).find((e) => e.action === 'rollback')!;
    expect(entry.detail).toContain('forced over: staging/shop: blue serves shop:9.9');
  });
});
