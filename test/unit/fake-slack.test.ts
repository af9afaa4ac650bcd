import { ErrorCode, WebClient, type WebAPIRateLimitedError } from '@slack/web-api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeSlack, type FakeSlack } from '../support/fake-slack.js';

describe('fake Slack Web API', () => {
  let fake: FakeSlack;
  let client: WebClient;

  beforeAll(async () => {
    fake = await startFakeSlack();
    client = new WebClient('xoxb-test', { slackApiUrl: fake.url, rejectRateLimitedCalls: true, retryConfig: { retries: 0 } });
  });
  beforeEach(() => fake.reset());
  afterAll(async () => fake.close());

  it('records postMessage, update, thread reply and ephemeral with decoded args', async () => {
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: '*Batch 1*' } }];
    const posted = await client.chat.postMessage({ channel: 'C1', text: 'Batch 1', blocks });
    expect(posted.ok).toBe(true);
    expect(posted.ts).toMatch(/^\d{10}\.\d{6}$/);
    expect(posted.message?.text).toBe('Batch 1');

    await client.chat.update({ channel: 'C1', ts: posted.ts!, text: 'Batch 1 done' });
    const reply = await client.chat.postMessage({ channel: 'C1', thread_ts: posted.ts!, text: 'step 1 ok' });
    const eph = await client.chat.postEphemeral({ channel: 'C1', user: 'U1', text: 'only you' });

    expect(reply.ts! > posted.ts!).toBe(true);
    expect(eph.message_ts).toBeTruthy();
    expect(fake.calls.map((c) => c.method)).toEqual(['chat.postMessage', 'chat.update', 'chat.postMessage', 'chat.postEphemeral']);
    expect(fake.calls.every((c) => c.token === 'xoxb-test')).toBe(true);
    expect(fake.callsTo('chat.postMessage')[0]?.args.blocks).toEqual(blocks);

    const [top] = fake.messages('C1');
    expect(fake.messages('C1')).toHaveLength(1);
    expect(top).toMatchObject({ ts: posted.ts, text: 'Batch 1 done' });
    expect(top?.blocks).toBeUndefined();
    expect(fake.thread('C1', posted.ts!).map((m) => m.text)).toEqual(['step 1 ok']);
  });

  it('completes a workflow step once, with outputs or an error, and refuses what Slack would', async () => {
    await expect(client.functions.completeSuccess({ function_execution_id: 'Fx0TEST0001', outputs: { task_id: 'rt-abc123', final_status: 'Released' } })).resolves.toMatchObject({ ok: true });
    await expect(client.functions.completeError({ function_execution_id: 'Fx0TEST0002', error: 'not an operator' })).resolves.toMatchObject({ ok: true });
    expect(fake.completions.map(({ at: _at, ...c }) => c)).toEqual([
      { executionId: 'Fx0TEST0001', outputs: { task_id: 'rt-abc123', final_status: 'Released' } },
      { executionId: 'Fx0TEST0002', error: 'not an operator' },
    ]);
    const refused = async (call: Promise<unknown>) => ((await call.catch((e: unknown) => e)) as { data?: { error?: string } }).data?.error;
    expect(await refused(client.functions.completeSuccess({ function_execution_id: 'Fx0TEST0001', outputs: {} }))).toBe('execution_not_in_running_state');
    expect(await refused(client.functions.completeSuccess({ function_execution_id: 'rt-abc123', outputs: {} }))).toBe('function_execution_not_found');
    expect(await refused(client.functions.completeSuccess({ function_execution_id: 'Fx0TEST0003', outputs: { x: { nested: true } } }))).toBe('parameter_validation_failed');
    expect(await refused(client.functions.completeError({ function_execution_id: 'Fx0TEST0004', error: '' }))).toBe('invalid_arguments');
    expect(fake.completions).toHaveLength(2);
    expect(fake.refusals().map((c) => c.error)).toEqual(['execution_not_in_running_state', 'parameter_validation_failed', 'invalid_arguments']);
  });

  it('surfaces a 429 as a rate-limited error with retry-after', async () => {
    fake.failNext('chat.postMessage', { status: 429, retryAfterSec: 7 });
    const err = await client.chat.postMessage({ channel: 'C1', text: 'x' }).catch((e: unknown) => e);
    expect((err as WebAPIRateLimitedError).code).toBe(ErrorCode.RateLimitedError);
    expect((err as WebAPIRateLimitedError).retryAfter).toBe(7);
    expect(fake.callsTo('chat.postMessage')[0]?.status).toBe(429);

    await expect(client.chat.postMessage({ channel: 'C1', text: 'y' })).resolves.toMatchObject({ ok: true });
  });

  it('answers platform errors, outages and unknown methods', async () => {
    fake.failNext('chat.update', { error: 'message_not_found' });
    await expect(client.chat.update({ channel: 'C1', ts: '1.1', text: 'x' })).rejects.toMatchObject({
      code: ErrorCode.PlatformError,
      data: { error: 'message_not_found' },
    });
    fake.setDown(true);
    await expect(client.auth.test()).rejects.toMatchObject({ code: ErrorCode.HTTPError, statusCode: 503 });
    fake.setDown(false);
    await expect(client.apiCall('nope.nothing')).rejects.toMatchObject({ data: { error: 'unknown_method' } });
    await expect(client.auth.test()).resolves.toMatchObject({ user_id: 'UBOT', bot_id: 'BBOT' });
  });

  it('serves users, usergroups, views and conversations', async () => {
    fake.setUsergroup('S1', ['U1', 'U2']);
    await expect(client.usergroups.users.list({ usergroup: 'S1' })).resolves.toMatchObject({ users: ['U1', 'U2'] });
    const info = await client.users.info({ user: 'U9' });
    expect(info.user).toMatchObject({ id: 'U9', tz: 'UTC', tz_offset: 0, profile: { display_name: expect.any(String) } });
    fake.setUser('U8', { tz: 'Asia/Kolkata' });
    expect((await client.users.info({ user: 'U8' })).user).toMatchObject({ tz: 'Asia/Kolkata', tz_offset: 19_800 });
    fake.setUser('U7', { tz: null });
    expect((await client.users.info({ user: 'U7' })).user?.tz).toBeUndefined();
    const view = await client.views.open({ trigger_id: 't', view: { type: 'modal', title: { type: 'plain_text', text: 'T' }, blocks: [] } });
    expect(view.view?.id).toBeTruthy();
    await expect(client.conversations.info({ channel: 'C1' })).resolves.toMatchObject({ channel: { id: 'C1' } });
  });

  it('records the bytes of files.uploadV2', async () => {
    const csv = 'task,status\ndeploy-api,done\n';
    const res = await client.filesUploadV2({ channel_id: 'C1', filename: 'report.csv', title: 'Report', content: csv });
    expect(res.ok).toBe(true);
    expect(fake.uploads).toHaveLength(1);
    expect(fake.uploads[0]).toMatchObject({ filename: 'report.csv', title: 'Report', channelId: 'C1', completed: true });
    expect(fake.uploads[0]?.bytes.toString('utf8')).toBe(csv);
  });

  it('takes only the bot token: none is not_authed, another is invalid_auth (HTTP 200, as Slack answers)', async () => {
    const other = new WebClient('xoxb-someone-else', { slackApiUrl: fake.url, retryConfig: { retries: 0 } });
    await expect(other.auth.test()).rejects.toMatchObject({ code: ErrorCode.PlatformError, data: { error: 'invalid_auth' } });
    const none = await fetch(`${fake.url}chat.postMessage`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ channel: 'C1', text: 'x' }) });
    expect(none.status).toBe(200);
    expect(await none.json()).toEqual({ ok: false, error: 'not_authed' });
    // The token may come as a form field instead of the header.
    const field = await fetch(`${fake.url}auth.test`, { method: 'POST', body: new URLSearchParams({ token: 'xoxb-test' }) });
    expect(await field.json()).toMatchObject({ ok: true, user_id: 'UBOT' });
    expect(fake.messages('C1')).toEqual([]);
    expect(fake.refusals().map((c) => c.error)).toEqual(['invalid_auth', 'not_authed']);
  });

  it('refuses Block Kit Slack refuses, with the reason and where, and posts nothing', async () => {
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: 'x'.repeat(3001) } }];
    const err = (await client.chat.postMessage({ channel: 'C1', text: 'long', blocks }).catch((e: unknown) => e)) as { code: string; data: Record<string, unknown> };
    expect(err.code).toBe(ErrorCode.PlatformError);
    expect(err.data).toMatchObject({
      error: 'invalid_blocks',
      errors: ['must be less than 3001 characters [json-pointer:/blocks/0/text/text]'],
      response_metadata: { messages: ['[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]'] },
    });
    await expect(client.chat.postMessage({ channel: 'C1', blocks: [{ type: 'divider' }] })).rejects.toMatchObject({ data: { error: 'no_text' } });
    const posted = await client.chat.postMessage({ channel: 'C1', text: 'ok', blocks: [{ type: 'divider' }] });
    const fields = Array.from({ length: 11 }, () => ({ type: 'mrkdwn' as const, text: 'f' }));
    await expect(client.chat.update({ channel: 'C1', ts: posted.ts!, text: 'x', blocks: [{ type: 'section', fields }] })).rejects.toMatchObject({
      data: { error: 'invalid_blocks', errors: ['no more than 10 items allowed [json-pointer:/blocks/0/fields]'] },
    });
    await expect(client.chat.postEphemeral({ channel: 'C1', user: 'U1', text: 'x', blocks: [{ type: 'nope' }] as never })).rejects.toMatchObject({
      data: { error: 'invalid_blocks' },
    });
    expect(fake.messages('C1').map((m) => m.text)).toEqual(['ok']);
    expect(fake.ephemerals).toEqual([]);
    expect(fake.refusals().map((c) => `${c.method} ${c.error}`)).toEqual([
      'chat.postMessage invalid_blocks',
      'chat.postMessage no_text',
      'chat.update invalid_blocks',
      'chat.postEphemeral invalid_blocks',
    ]);
    expect(() => fake.assertNothingRefused()).toThrow(/chat\.update: invalid_blocks \(no more than 10 items allowed/);
  });

  it('refuses a modal Slack refuses as invalid_arguments, the reasons in response_metadata', async () => {
    const blocks = Array.from({ length: 101 }, () => ({ type: 'divider' as const }));
    await expect(client.views.open({ trigger_id: 't', view: { type: 'modal', title: { type: 'plain_text', text: 'T' }, blocks } })).rejects.toMatchObject({
      data: { error: 'invalid_arguments', response_metadata: { messages: ['[ERROR] no more than 100 items allowed [json-pointer:/view/blocks]'] } },
    });
  });

  it('keeps the App Home a user was published, checked as Slack checks a Home (type home, at most 100 blocks)', async () => {
    const blocks = [{ type: 'section' as const, text: { type: 'mrkdwn' as const, text: 'hello' } }];
    const res = await client.views.publish({ user_id: 'U1', view: { type: 'home', blocks } });
    expect(res.view?.id).toMatch(/^V/);
    expect(fake.home('U1')).toMatchObject({ type: 'home', blocks });
    const again = await client.views.publish({ user_id: 'U1', view: { type: 'home', blocks: [] } });
    expect(again.view?.id).toBe(res.view?.id);
    const tooMany = Array.from({ length: 101 }, () => ({ type: 'divider' as const }));
    await expect(client.views.publish({ user_id: 'U1', view: { type: 'home', blocks: tooMany } })).rejects.toMatchObject({ data: { error: 'invalid_arguments' } });
    // A modal is not a Home.
    await expect(client.views.publish({ user_id: 'U1', view: { type: 'modal', title: { type: 'plain_text', text: 'T' }, blocks } } as never)).rejects.toMatchObject({
      data: { error: 'invalid_arguments', response_metadata: { messages: expect.arrayContaining(['[ERROR] must be one of: home [json-pointer:/view/type]']) } },
    });
    expect(fake.home('U1')).toMatchObject({ blocks: [] });
  });

  it('names channels as set, else after their ID', async () => {
    fake.setChannelName('C0PROD', 'production');
    expect((await client.conversations.info({ channel: 'C0PROD' })).channel?.name).toBe('production');
    expect((await client.conversations.info({ channel: 'C0STAGING' })).channel?.name).toBe('staging');
  });

  it('failures made on purpose are not refusals', async () => {
    fake.failNext('chat.postMessage', { error: 'invalid_blocks' });
    await expect(client.chat.postMessage({ channel: 'C1', text: 'x' })).rejects.toMatchObject({ data: { error: 'invalid_blocks' } });
    expect(fake.callsTo('chat.postMessage')[0]).toMatchObject({ error: 'invalid_blocks', injected: true });
    expect(fake.refusals()).toEqual([]);
  });

  it('slowNext answers late, once', async () => {
    fake.slowNext('usergroups.users.list', 300);
    fake.setUsergroup('S1', ['U1']);
    let t0 = Date.now();
    await client.usergroups.users.list({ usergroup: 'S1' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    t0 = Date.now();
    await client.usergroups.users.list({ usergroup: 'S1' });
    expect(Date.now() - t0).toBeLessThan(200);
  });

  it('serves the response_urls it hands out: checked like messages, five posts each', async () => {
    const url = fake.responseUrl({ channel: 'C1', user: 'U1' });
    expect(url.startsWith(fake.url.replace(/api\/$/, 'response/'))).toBe(true);
    const post = (body: unknown, to = url) => fetch(to, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

    const first = await post({ response_type: 'ephemeral', replace_original: false, text: 'done', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'done' } }] });
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ ok: true });
    expect(fake.responses).toMatchObject([{ channel: 'C1', user: 'U1', response_type: 'ephemeral', replace_original: false, text: 'done' }]);
    expect(fake.ephemerals.map((e) => [e.user, e.text])).toEqual([['U1', 'done']]);

    const invalid = await post({ text: 'x', blocks: Array.from({ length: 51 }, () => ({ type: 'divider' })) });
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toMatchObject({ ok: false, error: 'invalid_blocks', errors: ['no more than 50 items allowed [json-pointer:/blocks]'] });
    expect((await post({ blocks: [] })).status).toBe(400); // no text

    await post({ response_type: 'in_channel', text: 'for all' });
    expect(fake.messages('C1').map((m) => m.text)).toEqual(['for all']);
    for (let i = 0; i < 3; i++) expect((await post({ text: `again ${i}` })).status).toBe(200);
    const sixth = await post({ text: 'one too many' });
    expect([sixth.status, await sixth.json()]).toEqual([404, { ok: false, error: 'used_url' }]);
    const unknown = await post({ text: 'x' }, url.replace(/[^/]+$/, 'RNOTOURS'));
    expect([unknown.status, await unknown.json()]).toEqual([404, { ok: false, error: 'expired_url' }]);
    expect(fake.refusals().map((c) => `${c.method} ${c.error}`)).toEqual(['response_url invalid_blocks', 'response_url no_text']);
  });

  it('waitFor times out listing the calls seen', async () => {
    await client.auth.test();
    await expect(fake.waitFor((calls) => calls.some((c) => c.method === 'chat.update'), 100)).rejects.toThrow(/auth\.test/);
  });
});
