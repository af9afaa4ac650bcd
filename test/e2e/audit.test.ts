/**
 * End to end: `/release audit` and `/bluegreen audit`, newest first, as a private list in the ack
 * or as a CSV file uploaded through files.uploadV2 on the fake Slack API.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { removePolicies, writePolicy } from '../support/policy.js';
import { CHANNEL, eventually, startTestBot, type TestBot } from '../support/test-bot.js';

// Everyone operates; production needs U0CAROL's approval, so the audit holds requests, a reject and an approval.
const POLICY = `
environments:
  staging: {}
  production: { approvers: [U0CAROL] }
`;

let bot: TestBot;
beforeEach(async () => {
  bot = await startTestBot({ SWITCHYARD_CONFIG: writePolicy(POLICY) }, 'audit');
});
afterEach(async () => {
  await bot.stop();
});
afterAll(() => removePolicies());

interface Ack {
  text: string;
  blocks?: Array<{ type: string; text?: { text: string } }>;
}

async function audit(text: string, opts: { user?: string; command?: string } = {}): Promise<Ack> {
  const res = await bot.command(`audit ${text}`, { user: opts.user ?? 'U0ZED', command: opts.command ?? '/release' });
  expect(res.status).toBe(200);
  return res.json as Ack;
}

/** The listed entries, one line each, as the ack shows them. */
function lines(ack: Ack): string[] {
  return (ack.blocks ?? []).filter((b) => b.type === 'section').flatMap((b) => b.text!.text.split('\n'));
}

function title(ack: Ack): string | undefined {
  return ack.blocks?.find((b) => b.type === 'header')?.text?.text;
}

/** The action of each listed line ("… · *start* `rt-…` …"). */
function actions(ack: Ack): string[] {
  return lines(ack).map((l) => /· \*([^*]+)\* `/.exec(l)?.[1] ?? `?${l}`);
}

/**
 * A production task with a full history: created by U0ALICE, start asked by U0BOB, rejected by
 * U0CAROL (a reason with a comma and quotes), asked again, approved by U0CAROL, released.
 */
async function releasedWithHistory(): Promise<string> {
  const id = await bot.create('prod-web deploy --env production web=web:1.0');
  expect(bot.ackText(await bot.command(`start ${id}`, { user: 'U0BOB' }))).toContain('Waiting for approval');
  expect(bot.ackText(await bot.command(`reject ${id} --reason 'wrong tag, see "INC-7"'`, { user: 'U0CAROL' }))).toContain('Rejected');
  expect(bot.ackText(await bot.command(`start ${id}`, { user: 'U0BOB' }))).toContain('Waiting for approval');
  expect(bot.ackText(await bot.command(`approve ${id}`, { user: 'U0CAROL' }))).toBe(`${id} is now Releasing.`);
  await bot.waitForTask(id, (t) => t.status === 'Released');
  // The worker writes its audit entry just after the status.
  await eventually(async () => (await audit(id)).text.endsWith(': 7 audit entries'), 5000, 'release-finished in the audit');
  return id;
}

describe('/release audit', () => {
  it('lists who did what to one task, newest first, with from → to', async () => {
    const id = await releasedWithHistory();
    const other = await bot.create('other deploy --env staging api=api:1.0');

    const ack = await audit(id);
    expect(ack.text).toBe(`Audit: ${id}: 7 audit entries`);
    expect(title(ack)).toBe(`Audit: ${id}`);
    expect(actions(ack)).toEqual(['release-finished', 'start', 'approve', 'approval-requested', 'reject', 'approval-requested', 'create']);
    const [finished, started, approved, , rejected, , created] = lines(ack);
    expect(finished).toMatch(new RegExp(` · system · \\*release-finished\\* \`${id}\` in production · Releasing → Released$`));
    expect(started).toMatch(new RegExp(` · <@U0BOB> · \\*start\\* \`${id}\` in production · To release → Releasing — approved by U0CAROL$`));
    expect(approved).toContain(' · <@U0CAROL> · *approve* ');
    expect(rejected).toContain(' · <@U0CAROL> · *reject* ');
    expect(rejected).toContain('— start the release: wrong tag, see "INC-7"');
    expect(created).toMatch(new RegExp(` · <@U0ALICE> · \\*create\\* \`${id}\` in production · — → To release$`));
    expect(lines(ack).join('\n')).not.toContain(other);
  });

  it('filters by environment and --since', async () => {
    // An entry from ten days ago, written before anything else (stream IDs only go up).
    const tenDaysAgo = Date.now() - 10 * 86_400_000;
    await bot.redis.xadd(`${bot.config.REDIS_PREFIX}:audit`, `${tenDaysAgo}-0`,
      'at', new Date(tenDaysAgo).toISOString(), 'actor', 'U0OLD', 'action', 'delete', 'target', 'rt-old000', 'env', 'production', 'from', 'To release');
    const id = await bot.create('prod-web deploy --env production web=web:1.0');
    const staged = await bot.create('stage-web deploy --env staging web=web:1.0');
    await bot.command(`start ${staged}`);
    await bot.waitForTask(staged, (t) => t.status === 'Released');

    const all = await audit('--env production');
    expect(title(all)).toBe('Audit: environment production');
    expect(lines(all).map((l) => /`(rt-[0-9a-z]{6})`/.exec(l)?.[1])).toEqual([id, 'rt-old000']);

    const recent = await audit('--env production --since 7d');
    expect(title(recent)).toMatch(/^Audit: environment production since \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC$/);
    expect(recent.text).toMatch(/: 1 audit entry$/);
    expect(lines(recent)).toHaveLength(1);
    expect(lines(recent)[0]).toContain(`*create* \`${id}\` in production`);
    expect(lines(recent).join('\n')).not.toContain(staged);

    const none = await audit('--env qa');
    expect(none.text).toBe('Audit: environment qa: No audit entries match');
  });

  it('--csv uploads every entry as a file, newest first, and says so in the ack', async () => {
    const id = await releasedWithHistory();
    const ack = await audit(`${id} --csv`, { user: 'U0CAROL' });
    expect(ack.text).toBe('Exporting 7 audit entries as CSV; the file will appear in this channel.');

    const upload = await eventually(() => bot.fake.uploads.find((u) => u.completed), 10_000, 'the CSV upload');
    expect(bot.fake.callsTo('files.getUploadURLExternal')).toHaveLength(1);
    expect(upload.filename).toMatch(/^switchyard-audit-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}\.csv$/);
    expect(upload.title).toBe(`Audit: ${id}`);
    expect(upload.channelId).toBe(CHANNEL);
    expect(upload.initialComment).toBe('<@U0CAROL> here is the export you asked for.');

    const csv = upload.bytes.toString('utf8');
    expect(csv.endsWith('\n')).toBe(true);
    const [header, ...rows] = csv.trimEnd().split('\n');
    expect(header).toBe('time,actor,action,target,env,from,to,detail');
    expect(rows.map((r) => r.split(',')[2])).toEqual(['release-finished', 'start', 'approve', 'approval-requested', 'reject', 'approval-requested', 'create']);
    expect(rows[0]).toMatch(new RegExp(`^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z,system,release-finished,${id},production,Releasing,Released,$`));
    expect(rows[1]).toMatch(new RegExp(`,U0BOB,start,${id},production,To release,Releasing,approved by U0CAROL$`));
    // RFC 4180: a detail with a comma and quotes is quoted, its quotes doubled.
    expect(rows[4]).toMatch(new RegExp(`,U0CAROL,reject,${id},production,,,"start the release: wrong tag, see ""INC-7"""$`));
    expect(rows[6]).toMatch(new RegExp(`,U0ALICE,create,${id},production,,To release,$`));
  });

  it('an unknown task is said to be unknown; a deleted one still has its audit', async () => {
    expect((await audit('rt-zzzzzz')).text).toBe('No release task rt-zzzzzz, and nothing in the audit about it.');
    expect(bot.fake.uploads).toEqual([]);

    const id = await bot.create('gone deploy --env staging web=web:1.0');
    expect(bot.ackText(await bot.command(`delete ${id}`, { user: 'U0BOB' }))).toBe(`Deleted ${id} (gone).`);
    expect(actions(await audit(id))).toEqual(['delete', 'create']);
  });
});

describe('/bluegreen audit', () => {
  const bg = (text: string, user = 'U0ALICE') => bot.command(text, { command: '/bluegreen', user });

  it("lists a job's operations and the workers' events, newest first", async () => {
    await bg('create web --env staging --workload web --image web:1.0');
    await bot.jobUntil('web', 'Healthy');
    await bg('update web web:2.0', 'U0BOB');
    await bot.jobUntil('web', 'Paused');
    await bg('release web');
    await bot.jobUntil('web', 'Healthy');
    const task = await bot.create('unrelated deploy --env staging api=api:1.0');

    const ack = await audit('web', { command: '/bluegreen' });
    expect(title(ack)).toBe('Audit: blue-green job web');
    expect(actions(ack)).toEqual(['promoted', 'release', 'ready', 'update', 'ready', 'create']);
    const [promoted, released, , updated, , created] = lines(ack);
    expect(promoted).toContain(' · system · *promoted* `web` in staging · Promoting → Healthy');
    expect(released).toContain(' · <@U0ALICE> · *release* `web` in staging · Paused → Promoting — rev 2 web:2.0');
    expect(updated).toContain(' · <@U0BOB> · *update* `web` in staging · Healthy → Progressing — rev 2 web:2.0');
    expect(created).toContain(' · <@U0ALICE> · *create* `web` in staging · — → Progressing');
    expect(lines(ack).join('\n')).not.toContain(task);

    const csvAck = await audit('web --csv', { command: '/bluegreen' });
    expect(csvAck.text).toBe('Exporting 6 audit entries as CSV; the file will appear in this channel.');
    const upload = await eventually(() => bot.fake.uploads.find((u) => u.completed), 10_000, 'the CSV upload');
    expect(upload.bytes.toString('utf8').split('\n')[1]).toMatch(/,system,promoted,web,staging,Promoting,Healthy,$/);

    expect((await audit('nope', { command: '/bluegreen' })).text).toBe('No blue-green job nope, and nothing in the audit about it.');
  });
});
