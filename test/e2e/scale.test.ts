/**
 * End to end at scale: many components in one task. Failures are grouped in the thread, a run's
 * Slack calls stay a handful, and each component is written on its own (nothing of a finished
 * component is lost to a concurrent step).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { keys } from '../../src/store/redis.js';
import { eventually, startTestBot, type TestBot } from '../support/test-bot.js';

let bot: TestBot | undefined;
afterEach(async () => {
  await bot?.stop();
  bot = undefined;
});

describe('a task of many components', () => {
  it('groups failures into few thread replies that name or count every failed component once', async () => {
    bot = await startTestBot({ SIM_LATENCY_MS: '100' }, 'scale-failures');
    const b = bot;
    const names = Array.from({ length: 30 }, (_, i) => `svc-${i}`);
    const deploy = await b.create(`base deploy --env prod --parallel 32 ${names.map((n) => `${n}=registry.local/${n}:1.0`).join(' ')}`);
    await b.command(`start ${deploy}`);
    await b.waitForTask(deploy, (t) => t.status === 'Released', 20_000);

    // Every third one is broken; all 30 run at once, so their failures land together.
    const broken = names.filter((_, i) => i % 3 === 0);
    const images = names.map((n) => `${n}=registry.local/${n}:2.0${broken.includes(n) ? '-broken' : ''}`);
    const up = await b.create(`bump upgrade --env prod --best-effort --parallel 32 ${images.join(' ')}`);
    await b.command(`start ${up}`);
    const done = await b.waitForTask(up, (t) => t.status === 'Release failed', 20_000);
    expect(done.components.filter((c) => c.status === 'Release failed').map((c) => c.name)).toEqual(broken);
    expect(done.components.filter((c) => c.status === 'Released')).toHaveLength(20);
    // Each component's history has exactly this run's entry: no step was written twice or lost.
    expect(done.components.every((c) => c.history.filter((h) => h.run === done.run).length === 1)).toBe(true);

    const thread = await eventually(async () => {
      const t = await b.threadTexts(up);
      return t.some((x) => x.startsWith('Release failed after')) ? t : undefined;
    }, 10_000, 'thread summary');
    const replies = thread.filter((t) => / failed(:| \()/.test(t) && !t.startsWith('Release failed after'));
    expect(replies.length).toBeGreaterThan(0);
    expect(replies.length).toBeLessThan(broken.length);
    let counted = 0;
    const named: string[] = [];
    for (const r of replies) {
      named.push(...[...r.matchAll(/`(svc-\d+)`/g)].map((m) => m[1]!));
      counted += Number(/ and (\d+) more$/.exec(r)?.[1] ?? 0);
    }
    expect(new Set(named).size).toBe(named.length);
    expect(named.every((n) => broken.includes(n))).toBe(true);
    expect(named.length + counted).toBe(broken.length);
    expect(thread.at(-1)).toMatch(/^Release failed after .*: 20\/30 released; failed: /);
  });

  it('releases 2,000 components chosen with --all --tag: each once, the card within limits, at most 40 Slack calls', async () => {
    // Production coalescing: one card edit per second at most.
    bot = await startTestBot({ SIM_LATENCY_MS: '5', CARD_COALESCE_MS: '1000' }, 'scale-2000');
    const b = bot;
    const names = Array.from({ length: 2000 }, (_, i) => `svc-${String(i).padStart(4, '0')}`);
    for (let i = 0; i < names.length; i += 200) {
      await Promise.all(names.slice(i, i + 200).map((n) => b.platform.deploy({ opId: `seed-${n}`, env: 'big', name: n, image: `registry.local/${n}:1.0`, replicas: 1 })));
    }
    const from = b.fake.calls.length;
    const id = await b.create('everything upgrade --env big --all --tag 2.0 --parallel 32 --best-effort');
    await eventually(() => b.card(id), 10_000, 'card');
    expect((await b.click(id, 'release.start')).status).toBe(200);
    const done = await b.waitForTask(id, (t) => t.status === 'Released', 60_000);
    expect(done.components.every((c) => c.status === 'Released' && c.image === `registry.local/${c.name}:2.0` && c.history.length === 1)).toBe(true);
    expect((await b.platform.list('big')).every((c) => c.image.endsWith(':2.0'))).toBe(true);
    // Each component applied once: one opId per component in this run.
    expect(await b.redis.hget(keys(b.config.REDIS_PREFIX).simApplied, 'big/svc-1999')).toBe('2');

    const thread = await eventually(async () => {
      const t = await b.threadTexts(id);
      return t.some((x) => x.startsWith('Released in')) ? t : undefined;
    }, 15_000, 'thread summary');
    expect(thread.at(-1)).toMatch(/^Released in .*: 2000\/2000 components · <@U0ALICE>$/);
    await eventually(async () => (await b.card(id))?.text?.includes('Released 2000/2000'), 10_000, 'card shows Released');
    const calls = b.fake.calls.slice(from);
    expect(calls.length).toBeLessThanOrEqual(40);
    expect(calls.filter((c) => c.method === 'chat.postMessage' && !c.args.thread_ts)).toHaveLength(1);
  });
});
