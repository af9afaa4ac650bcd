/**
 * End to end: scheduled starts (`/release start <id> --at <time>`). The card shows the schedule
 * and Cancel; a BullMQ delayed job fires it through the same gate as a click (approvals, freeze
 * windows), also after the bot restarts; Cancel and a start by hand drop it; a bare time is read
 * in the user's Slack time zone. Signed requests in, real Redis and BullMQ, the fake Slack checked.
 */
import { Queue } from 'bullmq';
import { pino } from 'pino';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { start, type Running } from '../../src/bootstrap.js';
import { JobQueues, queuePrefix } from '../../src/jobs/queues.js';
import { BullRunQueue } from '../../src/jobs/run-queue.js';
import { slackDate } from '../../src/text.js';
import type { FakeMessage } from '../support/fake-slack.js';
import { removePolicies, writePolicy } from '../support/policy.js';
import { eventually, sleep, startTestBot, type TestBot } from '../support/test-bot.js';

let bot: TestBot | undefined;
let restarted: Running | undefined;
afterEach(async () => {
  await restarted?.stop();
  await bot?.stop();
  bot = restarted = undefined;
});
afterAll(() => removePolicies());

const b = () => bot!;
const ack = async (text: string, user = 'U0ALICE') => b().ackText(await b().command(text, { user }));
const inSeconds = (s: number) => new Date(Date.now() + s * 1000).toISOString();
const DATE_TOKEN = /<!date\^\d+\^\{date_short_pretty\} \{time\}\|[^>]+>/;

function buttonIds(m: FakeMessage | undefined): string[] {
  return ((m?.blocks ?? []) as Array<{ type: string; elements?: Array<{ action_id?: string }> }>)
    .filter((block) => block.type === 'actions')
    .flatMap((block) => (block.elements ?? []).map((e) => e.action_id ?? ''));
}

function cardWhen(id: string, ok: (m: FakeMessage) => boolean, what: string): Promise<FakeMessage> {
  return eventually(async () => {
    const m = await b().card(id);
    return m && ok(m) ? m : undefined;
  }, 10_000, what);
}

function threadWith(id: string, match: RegExp, timeoutMs = 15_000): Promise<string> {
  return eventually(async () => (await b().threadTexts(id)).find((s) => match.test(s)), timeoutMs, `thread reply ${String(match)}`);
}

const scheduledCard = (m: FakeMessage) => JSON.stringify(m.blocks).includes('Scheduled for') && buttonIds(m).includes('release.cancel-schedule');

describe('a scheduled start', () => {
  it('is acknowledged, shown on the card with Cancel, listed as Scheduled, and fires: the task is Released', async () => {
    bot = await startTestBot({}, 'sched');
    const id = await b().create('nightly deploy --env staging web=web:1.0 api=api:1.0');
    const at = inSeconds(3);

    const reply = await ack(`start ${id} --at ${at}`);
    expect(reply).toMatch(new RegExp(`^Scheduled: ${id} starts <!date\\^${Math.floor(Date.parse(at) / 1000)}\\^`));
    expect(reply).toContain(`Cancel it on the card or with \`/release cancel ${id}\``);
    const task = (await b().tasks.get(id))!;
    expect(task.status).toBe('To release');
    expect(task.schedule).toEqual({ at, by: 'U0ALICE', jobId: expect.stringMatching(new RegExp(`^sched-${id}-`)) });

    const card = await cardWhen(id, scheduledCard, 'Scheduled for and Cancel on the card');
    expect(JSON.stringify(card.blocks)).toContain(`Scheduled for <!date^${Math.floor(Date.parse(at) / 1000)}^{date_short_pretty} at {time}|`);
    expect(JSON.stringify(card.blocks)).toContain('by <@U0ALICE>');
    expect(buttonIds(card)).toEqual(['release.start', 'release.cancel-schedule', 'release.delete']);
    const listed = await b().command('list --status Scheduled');
    expect(JSON.stringify(listed.json)).toContain(id);
    expect(JSON.stringify((await b().command('list --status Released')).json)).not.toContain(id);

    const done = await b().waitForTask(id, (t) => t.status === 'Released', 20_000);
    expect(done.schedule).toBeUndefined();
    expect(done.startedBy).toBe('U0ALICE');
    await threadWith(id, new RegExp(`^Scheduled by <@U0ALICE> for ${DATE_TOKEN.source}$`));
    await threadWith(id, new RegExp(`^Releasing started by <@U0ALICE> as scheduled for ${DATE_TOKEN.source}: 2 components, 4 at a time$`));
    expect(JSON.stringify((await b().command('list --status Scheduled')).json)).not.toContain(id);
  });

  it('survives a restart: the bot stops after scheduling, a new one on the same Redis starts it', async () => {
    bot = await startTestBot({}, 'sched-restart');
    const id = await b().create('restart deploy --env staging web=web:1.0');
    const at = inSeconds(3);
    expect(await ack(`start ${id} --at ${at}`)).toMatch(/^Scheduled: /);
    await b().running.stop();
    // Nothing runs while the bot is down, even past the time.
    await sleep(Math.max(0, Date.parse(at) - Date.now()) + 1000);
    expect((await b().tasks.get(id))!.status).toBe('To release');

    restarted = await start(b().config, pino({ level: 'silent' }));
    await b().waitForTask(id, (t) => t.status === 'Released', 20_000);
    await threadWith(id, /^Releasing started by <@U0ALICE> as scheduled for /);
  });

  it('is refused at its time by a freeze window that began meanwhile; the thread says why, to the requester', async () => {
    const freezeFrom = new Date(Date.now() + 2000).toISOString();
    const freezeTo = new Date(Date.now() + 3_600_000).toISOString();
    const window = `${freezeFrom}/${freezeTo}`;
    bot = await startTestBot({ SWITCHYARD_CONFIG: writePolicy(`environments:\n  production:\n    freeze: ["${window}"]\n  staging: {}\n`) }, 'sched-freeze');
    const id = await b().create('frozen deploy --env production web=web:1.0');
    const at = new Date(Math.max(Date.parse(freezeFrom), Date.now()) + 2000).toISOString();

    expect(await ack(`start ${id} --at ${at}`)).toContain(`Note: production is frozen then (${window}), so the start will be refused unless the window changes.`);
    const why = await threadWith(id, /The scheduled start at .* did not run/);
    expect(why).toMatch(new RegExp(`^<@U0ALICE> The scheduled start at ${DATE_TOKEN.source} did not run: production is frozen \\(${window.replace(/[.+]/g, '\\$&')}\\): no releases until ${slackDate(freezeTo).replace(/[.+^{}|]/g, '\\$&')}\\.`));
    const task = (await b().tasks.get(id))!;
    expect(task.status).toBe('To release');
    expect(task.schedule).toBeUndefined();
    expect(await b().platform.list('production')).toEqual([]);
    await cardWhen(id, (m) => !JSON.stringify(m.blocks).includes('Scheduled for') && buttonIds(m).includes('release.start'), 'the schedule gone from the card');
  });

  it('is dropped by Cancel on the card and never fires; its delayed job is removed', async () => {
    bot = await startTestBot({}, 'sched-cancel');
    const id = await b().create('cancelled deploy --env staging web=web:1.0');
    // Time enough for the card to be posted and clicked first.
    const at = inSeconds(6);
    expect(await ack(`start ${id} --at ${at}`)).toMatch(/^Scheduled: /);
    const jobId = (await b().tasks.get(id))!.schedule!.jobId;
    await cardWhen(id, scheduledCard, 'Cancel on the card');

    const clicked = await b().click(id, 'release.cancel-schedule');
    expect(clicked.status).toBe(200);
    await threadWith(id, new RegExp(`^The start scheduled for ${DATE_TOKEN.source} was cancelled by <@U0ALICE>$`));
    expect((await b().tasks.get(id))!.schedule).toBeUndefined();
    await cardWhen(id, (m) => !buttonIds(m).includes('release.cancel-schedule') && !JSON.stringify(m.blocks).includes('Scheduled for'), 'Cancel gone');
    const q = new Queue('releases', { connection: b().redis, prefix: queuePrefix(b().config.REDIS_PREFIX, 'releases', b().redis.isCluster) });
    try {
      expect(await q.getJob(jobId)).toBeUndefined();
    } finally {
      await q.close();
    }

    await sleep(Math.max(0, Date.parse(at) - Date.now()) + 1500);
    const task = (await b().tasks.get(id))!;
    expect(task).toMatchObject({ status: 'To release', run: 0 });
    expect((await b().threadTexts(id)).some((s) => s.startsWith('Releasing started'))).toBe(false);
    expect(await ack(`cancel ${id}`)).toBe(`${id} has no scheduled start.`);
  });

  it('is replaced by a start by hand, in the same write; the job that fires later finds nothing to do', async () => {
    bot = await startTestBot({}, 'sched-by-hand');
    const id = await b().create('byhand deploy --env staging web=web:1.0');
    const at = inSeconds(4);
    expect(await ack(`start ${id} --at ${at}`, 'U0BOB')).toMatch(/^Scheduled: /);
    expect(await ack(`start ${id}`)).toBe(`${id} is now Releasing.`);
    expect((await b().tasks.get(id))!.schedule).toBeUndefined();
    await threadWith(id, new RegExp(`^Releasing started by <@U0ALICE>: 1 component, 4 at a time\\. This replaces the start scheduled for ${DATE_TOKEN.source} by <@U0BOB>$`));
    await b().waitForTask(id, (t) => t.status === 'Released');
    await sleep(Math.max(0, Date.parse(at) - Date.now()) + 1500);
    expect((await b().tasks.get(id))!).toMatchObject({ status: 'Released', run: 1 });
    expect((await b().threadTexts(id)).filter((s) => /did not run|as scheduled/.test(s))).toEqual([]);
  });

  it('on an environment with approvers, asks for approval at its time; an approval starts it', async () => {
    bot = await startTestBot({ SWITCHYARD_CONFIG: writePolicy('environments:\n  production:\n    approvers: [U0CAROL]\n') }, 'sched-approval');
    const id = await b().create('gated deploy --env production web=web:1.0');
    expect(await ack(`start ${id} --at ${inSeconds(3)}`)).toContain('Then the card asks the production approvers to approve it.');
    // Until then nothing waits for approval.
    expect((await b().tasks.get(id))!.approval).toBeUndefined();

    const waiting = await b().waitForTask(id, (t) => !!t.approval && !t.schedule, 15_000);
    expect(waiting).toMatchObject({ status: 'To release', approval: { action: 'start', requestedBy: 'U0ALICE', approvals: [] } });
    await cardWhen(id, (m) => buttonIds(m).some((a) => /approve/.test(a)), 'Approve on the card');
    await threadWith(id, /^Approval requested by <@U0ALICE> to start the release/);
    expect(await ack(`approve ${id}`, 'U0CAROL')).toBe(`${id} is now Releasing.`);
    await b().waitForTask(id, (t) => t.status === 'Released');
  });
});

describe('scheduling, refused and in time zones', () => {
  it('refuses what cannot be scheduled, in words; nothing is stored', async () => {
    bot = await startTestBot({ SWITCHYARD_CONFIG: writePolicy('operators: [U0ALICE]\nenvironments:\n  production:\n    approvers: [U0CAROL]\n  staging: {}\n') }, 'sched-refused');
    const id = await b().create('refused deploy --env staging web=web:1.0');
    expect(await ack(`start ${id} --at 2020-01-01T00:00Z`)).toBe(`Cannot schedule ${id}: 2020-01-01T00:00:00.000Z is in the past: a start can only be scheduled for later.`);
    const far = new Date(Date.now() + 31 * 24 * 3600_000).toISOString();
    expect(await ack(`start ${id} --at ${far}`)).toMatch(/^Cannot schedule rt-\w+: .* is more than 30 days ahead/);
    expect(await ack(`start ${id} --at ${inSeconds(60)}`, 'U0BOB')).toMatch(/^You are not an operator/);
    expect(await ack(`suspend ${id} --at 22:00`)).toMatch(/^`--at` schedules a start only/);
    expect(await ack(`start rt-zzzzzz --at ${inSeconds(60)}`)).toMatch(/^No release task rt-zzzzzz/);

    // A task waiting for approval, or already released, cannot be scheduled.
    const gated = await b().create('gated deploy --env production web=web:1.0');
    expect(await ack(`start ${gated}`)).toContain('Waiting for approval');
    expect(await ack(`start ${gated} --at ${inSeconds(60)}`)).toBe(`${gated} is awaiting approval to start the release: approve or reject that first.`);
    expect(await ack(`start ${id}`)).toBe(`${id} is now Releasing.`);
    await b().waitForTask(id, (t) => t.status === 'Released');
    expect(await ack(`start ${id} --at ${inSeconds(60)}`)).toBe(`${id} is Released: only a task that is To release can be scheduled to start.`);
    expect((await b().tasks.get(gated))!.schedule).toBeUndefined();
    expect((await b().tasks.get(id))!.schedule).toBeUndefined();
  });

  it('does not run when it fires long after its time (the bot was down): the thread says so', async () => {
    bot = await startTestBot({}, 'sched-late');
    const id = await b().create('late deploy --env staging web=web:1.0');
    // As the reconciler finds it after an outage: a schedule 20 minutes past, its job queued now.
    const at = new Date(Date.now() - 20 * 60_000);
    const queues = new JobQueues(b().redis, b().config.REDIS_PREFIX);
    try {
      const runs = new BullRunQueue(queues);
      const schedule = { at: at.toISOString(), by: 'U0BOB', jobId: runs.scheduledStartId(id, at) };
      await b().tasks.update(id, (t) => ({ ...t, schedule }));
      await runs.scheduleStart(id, schedule);
    } finally {
      await queues.close();
    }
    const why = await threadWith(id, /did not run/);
    expect(why).toMatch(new RegExp(`^<@U0BOB> The scheduled start at ${DATE_TOKEN.source} did not run: it is 20m( \\d+s)? late \\(the bot was not running then\\)\\. Schedule it again, or start it now\\.$`));
    expect((await b().tasks.get(id))!).toMatchObject({ status: 'To release', run: 0 });
    expect((await b().tasks.get(id))!.schedule).toBeUndefined();
  });

  it('reads a bare time in the Slack time zone from users.info, and says when it falls back to UTC', async () => {
    bot = await startTestBot({}, 'sched-zone');
    b().fake.setUser('U0ALICE', { tz: 'Asia/Kolkata' });
    b().fake.setUser('U0BOB', { tz: null });
    const id = await b().create('zoned deploy --env staging web=web:1.0');
    // Two minutes from now on a Kolkata clock (UTC+05:30, no daylight saving).
    const IST = 5.5 * 3600_000;
    const wall = new Date(Math.floor((Date.now() + IST + 120_000) / 60_000) * 60_000);
    const hhmm = wall.toISOString().slice(11, 16);
    const day = wall.toISOString().slice(0, 10) === new Date(Date.now() + IST).toISOString().slice(0, 10) ? 'today' : 'tomorrow';

    expect(await ack(`start ${id} --at ${hhmm}`)).toContain(`(${hhmm} ${day}, Asia/Kolkata)`);
    expect((await b().tasks.get(id))!.schedule!.at).toBe(new Date(wall.getTime() - IST).toISOString());

    // Bob's profile has no zone: UTC, and the reply says so. Scheduling again replaces Alice's time.
    const utc = new Date(Math.floor((Date.now() + 180_000) / 60_000) * 60_000);
    const utcDay = utc.toISOString().slice(0, 10) === new Date().toISOString().slice(0, 10) ? 'today' : 'tomorrow';
    expect(await ack(`start ${id} --at ${utc.toISOString().slice(11, 16)}`, 'U0BOB')).toContain(`(${utc.toISOString().slice(11, 16)} ${utcDay}, UTC: your Slack time zone could not be read)`);
    expect((await b().tasks.get(id))!.schedule).toMatchObject({ at: utc.toISOString(), by: 'U0BOB' });
    await threadWith(id, new RegExp(`^Scheduled by <@U0BOB> for ${DATE_TOKEN.source} \\(instead of ${DATE_TOKEN.source}\\)$`));
    // users.info is asked once per person per cache period.
    await ack(`start ${id} --at ${hhmm}`);
    expect(b().fake.callsTo('users.info').filter((c) => c.args.user === 'U0ALICE')).toHaveLength(1);
    expect(await ack(`cancel ${id}`)).toMatch(new RegExp(`^Cancelled: ${id} will not start at ${DATE_TOKEN.source}; it stays To release\\.$`));
  });
});
