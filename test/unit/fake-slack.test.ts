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
    expect(info.user).toMatchObject({ id: 'U9', profile: { display_name: expect.any(String) } });
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

  it('waitFor times out listing the calls seen', async () => {
    await client.auth.test();
    await expect(fake.waitFor((calls) => calls.some((c) => c.method === 'chat.update'), 100)).rejects.toThrow(/auth\.test/);
  });
});
