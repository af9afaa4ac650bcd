/**
 * End to end: who did what, as the card, `/release show`, `/bluegreen history`, Redis and the
 * audit tell it. Released By is the task's creator (the manual's definition) whoever starts or
 * rolls back; a blue-green Release is credited to whoever clicked it; Delete is on a Released card.
 */
import type { Button, KnownBlock } from '@slack/types';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/store/audit-log.js';
import { keys } from '../../src/store/redis.js';
import { blockActionsBody, postSigned } from '../support/slack-signing.js';
import { SECRET, eventually, startTestBot, type TestBot } from '../support/test-bot.js';
import type { FakeMessage } from '../support/fake-slack.js';

let bot: TestBot | undefined;
afterEach(async () => {
  await bot?.stop();
  bot = undefined;
});

function cardButtons(msg: FakeMessage | undefined): Button[] {
  const blocks = (msg?.blocks ?? []) as KnownBlock[];
  return blocks.flatMap((b) => (b.type === 'actions' ? (b.elements as Button[]) : []));
}

/** The card's who/when context line ("Created … by …"). */
function whoLine(msg: FakeMessage | undefined): string {
  const line = JSON.stringify(msg?.blocks ?? []).match(/"text":"(Created [^"]*)"/)?.[1];
  return line ?? '';
}

/** The card of `ref` (a task ID, or `bg:<job>`) once `ok` holds for it. */
function cardWhen(b: TestBot, ref: string, ok: (m: FakeMessage) => boolean, what: string): Promise<FakeMessage> {
  return eventually(async () => {
    const at = await b.cards.get(ref);
    const msg = at && b.fake.messages(at.channel).find((m) => m.ts === at.ts);
    return msg && ok(msg) ? msg : undefined;
  }, 5000, what);
}

describe('release tasks', () => {
  it('a rollback leaves Released By with the creator and says who started and who rolled back', async () => {
    bot = await startTestBot({}, 'who-task');
    const base = await bot.create('base deploy --env prod web=web:1.0');
    await bot.command(`start ${base}`);
    await bot.waitForTask(base, (t) => t.status === 'Released');

    const id = await bot.create('bump upgrade --env prod web=web:2.0', 'U0ALICE');
    await bot.click(id, 'release.start', { user: 'U0BOB' });
    await bot.waitForTask(id, (t) => t.status === 'Released');
    await bot.click(id, 'release.rollback', { user: 'U0CAROL' });
    const done = await bot.waitForTask(id, (t) => t.status === 'Rolled back');
    expect([done.createdBy, done.startedBy, done.rolledBackBy, done.releasedBy]).toEqual(['U0ALICE', 'U0BOB', 'U0CAROL', undefined]);

    const card = await cardWhen(bot, id, (m) => whoLine(m).includes('Rolled back by'), 'card says who rolled back');
    const who = / · Released by <@U0ALICE> <!date\^\d+\^[^>]+> · Started by <@U0BOB> · Rolled back by <@U0CAROL>/;
    expect(whoLine(card)).toMatch(who);
    const show = await bot.command(`show ${id}`, { user: 'U0DAVE' });
    expect(JSON.stringify(show.json)).toMatch(who);
  });

  it('a Released card has Delete, and clicking it deletes the task', async () => {
    bot = await startTestBot({}, 'who-delete');
    const id = await bot.create('web deploy --env prod web=web:1.0');
    await bot.command(`start ${id}`);
    await bot.waitForTask(id, (t) => t.status === 'Released');
    const card = await cardWhen(bot, id, (m) => (m.text ?? '').includes('Released'), 'card Released');
    const del = cardButtons(card).find((b) => b.action_id === 'release.delete');
    expect(del).toBeDefined();
    expect(del?.confirm?.text.text).toContain('what runs in prod stays as it is');

    // The value the card carries, as Slack sends it back. The card's ref goes with the task.
    const at = (await bot.cards.get(id))!;
    const ack = await bot.click(id, 'release.delete', { user: 'U0BOB', value: del!.value! });
    expect(ack.status).toBe(200);
    await eventually(async () => (await bot!.tasks.get(id)) === undefined, 5000, 'task deleted');
    const closed = await eventually(() => {
      const m = bot!.fake.messages(at.channel).find((x) => x.ts === at.ts);
      return m?.text?.includes('was deleted by') ? m : undefined;
    }, 5000, 'card says deleted');
    expect(closed.text).toBe(`~Release task web (\`${id}\`)~ was deleted by <@U0BOB>.`);
    expect(await bot.platform.get('prod', 'web')).toMatchObject({ image: 'web:1.0' }); // what runs stays
  });
});

describe('blue-green jobs', () => {
  it('history credits a Release to whoever clicked it, as the audit does', async () => {
    bot = await startTestBot({}, 'who-bg');
    const b = bot;
    const bg = (text: string, user: string) => b.command(text, { command: '/bluegreen', user });
    await bg('create web --env prod --workload web --image web:1.0 --replicas 2', 'U0ALICE');
    await b.jobUntil('web', 'Healthy');
    await bg('update web web:2.0', 'U0BOB');
    await b.jobUntil('web', 'Paused');

    const card = await cardWhen(b, 'bg:web', (m) => cardButtons(m).some((x) => x.action_id === 'bluegreen.release'), 'Release on the card');
    const release = cardButtons(card).find((x) => x.action_id === 'bluegreen.release')!;
    const at = (await b.cards.get('bg:web'))!;
    const body = blockActionsBody({ user_id: 'U0CAROL', channel_id: at.channel, message_ts: at.ts, action_id: 'bluegreen.release', value: release.value! });
    expect((await postSigned(`${b.url}/slack/events`, body, { secret: SECRET })).status).toBe(200);

    const job = await b.jobUntil('web', 'Healthy');
    const rev2 = job.history.find((h) => h.revision === 2);
    expect(rev2).toMatchObject({ outcome: 'released', by: 'U0CAROL' });
    const audit = await new AuditLog(b.redis, keys(b.config.REDIS_PREFIX)).recent({ target: 'web' });
    expect(audit.find((e) => e.action === 'release')?.actor).toBe(rev2!.by);

    const history = JSON.stringify((await bg('history web', 'U0DAVE')).json);
    expect(history).toMatch(/\*rev 2\* · `web:2\.0` · released · [^"]*? · by <@U0CAROL>/);
  });
});
