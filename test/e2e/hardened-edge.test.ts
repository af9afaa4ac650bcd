/**
 * The Slack edge refuses what Slack would not send, before any listener sees it, and no request
 * takes the process down: wrong shape 400, wrong content type 415, over 1 MB 413 (without reading
 * the rest), a timestamp more than 5 minutes from now either way 401, a replay 200 and not acted on.
 * Real HTTP, real signatures, the bot's own Redis.
 */
import { request } from 'node:http';
import { Queue } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { queuePrefix } from '../../src/jobs/queues.js';
import { scanKeys } from '../../src/store/redis.js';
import { signSlackRequest, slashCommandBody } from '../support/slack-signing.js';
import { CHANNEL, SECRET, startTestBot, type TestBot } from '../support/test-bot.js';

let bot: TestBot | undefined;
afterEach(async () => {
  await bot?.stop();
  bot = undefined;
});

const FORM = 'application/x-www-form-urlencoded';
const nowSec = () => Math.floor(Date.now() / 1000);

interface Sent {
  status: number;
  body: string;
}

/** POST `body` signed with our secret (at `timestampSec`) and the given content type. */
async function send(b: TestBot, body: string | Buffer, o: { type?: string; timestampSec?: number; headers?: Record<string, string> } = {}): Promise<Sent> {
  const signed = signSlackRequest(SECRET, body.toString(), o.timestampSec ?? nowSec());
  const res = await fetch(`${b.url}/slack/events`, {
    method: 'POST',
    headers: { 'content-type': o.type ?? FORM, ...signed, ...o.headers },
    body,
  });
  return { status: res.status, body: await res.text() };
}

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const command = (text: string) => slashCommandBody({ command: '/release', text, user_id: 'U0ALICE', channel_id: CHANNEL });

/** Everything a request could have left behind: tasks, jobs, audit entries, queued work. */
async function stored(b: TestBot): Promise<{ tasks: number; jobs: number; audit: number; queued: number }> {
  const p = b.config.REDIS_PREFIX;
  let queued = 0;
  for (const name of ['releases', 'slack'] as const) {
    const q = new Queue(name, { connection: b.redis, prefix: queuePrefix(p, name, b.redis.isCluster) });
    queued += Object.values(await q.getJobCounts()).reduce((a, n) => a + n, 0);
    await q.close();
  }
  return { tasks: await b.redis.zcard(`${p}:tasks`), jobs: await b.redis.zcard(`${p}:bgjobs`), audit: await b.redis.xlen(`${p}:audit`), queued };
}
const NOTHING = { tasks: 0, jobs: 0, audit: 0, queued: 0 };

async function healthy(b: TestBot): Promise<number> {
  return (await fetch(`${b.url}/healthz`)).status;
}

describe('a signed body that is not what Slack sends', () => {
  it('gets 400 for payload=null, a JSON null, an unparsable or non-object payload and a view_submission without a view, and the bot keeps serving', async () => {
    const b = (bot = await startTestBot({}, 'edge-shape'));
    const cases: Array<[string, string, string]> = [
      ['payload=null', form({ payload: 'null' }), FORM],
      ['JSON null', 'null', 'application/json'],
      ['JSON array', '[1,2]', 'application/json'],
      ['unparsable payload', form({ payload: '{"type":' }), FORM],
      ['payload not an object', form({ payload: '"block_actions"' }), FORM],
      ['view_submission without view', form({ payload: JSON.stringify({ type: 'view_submission', user: { id: 'U0ALICE' } }) }), FORM],
      ['block_actions without actions', form({ payload: JSON.stringify({ type: 'block_actions', user: { id: 'U0ALICE' } }) }), FORM],
      ['unknown interaction type', form({ payload: JSON.stringify({ type: 'nonsense', user: { id: 'U0ALICE' } }) }), FORM],
      ['command without user', form({ command: '/release', text: 'list', channel_id: CHANNEL }), FORM],
      ['empty form', '', FORM],
    ];
    for (const [what, body, type] of cases) {
      const res = await send(b, body, { type });
      expect({ what, status: res.status }).toEqual({ what, status: 400 });
    }
    expect(await healthy(b)).toBe(200);
    expect(await stored(b)).toEqual(NOTHING);
    // And a well-formed command right after is served as usual.
    const list = await send(b, command('list'));
    expect(list.status).toBe(200);
    expect(list.body).toContain('ephemeral');
  });
});

describe('content types', () => {
  it('gets 415 for a slash command sent as JSON and for text/plain, and runs nothing', async () => {
    const b = (bot = await startTestBot({}, 'edge-type'));
    const asJson = JSON.stringify({ command: '/release', text: 'create web deploy --env prod web=nginx:1', user_id: 'U0ALICE', channel_id: CHANNEL });
    expect((await send(b, asJson, { type: 'application/json' })).status).toBe(415);
    expect((await send(b, command('create web deploy --env prod web=nginx:1'), { type: 'text/plain' })).status).toBe(415);
    expect(await stored(b)).toEqual(NOTHING);
  });

  it('answers the Events API URL check with its challenge', async () => {
    const b = (bot = await startTestBot({}, 'edge-challenge'));
    const res = await send(b, JSON.stringify({ type: 'url_verification', token: 't', challenge: 'abc123' }), { type: 'application/json' });
    expect(res).toEqual({ status: 200, body: '{"challenge":"abc123"}' });
  });
});

describe('timestamps', () => {
  it('gets 401 for a signature made 10 minutes in the future or the past, and accepts one 4 minutes off', async () => {
    const b = (bot = await startTestBot({}, 'edge-time'));
    const create = command('create web deploy --env prod web=nginx:1');
    expect((await send(b, create, { timestampSec: nowSec() + 10 * 60 })).status).toBe(401);
    expect((await send(b, create, { timestampSec: nowSec() - 10 * 60 })).status).toBe(401);
    expect(await stored(b)).toEqual(NOTHING);
    const near = await send(b, create, { timestampSec: nowSec() + 4 * 60 });
    expect(near.status).toBe(200);
    expect(near.body).toMatch(/rt-[0-9a-z]{6}/);
  });
});

/** Sends the headers and `first` bytes of a body declared `declared` bytes long, and resolves with the answer, never sending the rest. */
function sendPartial(b: TestBot, headers: Record<string, string>, declared: number, first: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${b.url}/slack/events`, { method: 'POST', headers: { ...headers, 'content-length': String(declared) } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
      req.destroy();
    });
    req.on('error', reject);
    req.write(first);
    setTimeout(() => reject(new Error('no answer while the body was still coming: the server waited for it')), 5000).unref();
  });
}

/** Streams `size` bytes without a declared length (chunked), signed over the whole body. */
function sendChunked(b: TestBot, body: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const signed = signSlackRequest(SECRET, body.toString(), nowSec());
    const req = request(`${b.url}/slack/events`, { method: 'POST', headers: { 'content-type': FORM, ...signed } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => {}); // the server may close while we are still writing: that is the point
    for (let at = 0; at < body.length; at += 64 * 1024) req.write(body.subarray(at, at + 64 * 1024));
    req.end();
    setTimeout(() => reject(new Error('no answer')), 5000).unref();
  });
}

describe('body size', () => {
  const big = Buffer.from(command(`list ${'x'.repeat(1_150_000)}`));

  it('gets 413 for a signed body over 1 MB, declared or streamed, and 401 for an unsigned one, without reading the rest', async () => {
    const b = (bot = await startTestBot({}, 'edge-size'));
    const signed = signSlackRequest(SECRET, big.toString(), nowSec());
    expect(await sendPartial(b, { 'content-type': FORM, ...signed }, big.length, big.subarray(0, 1024))).toBe(413);
    expect(await sendPartial(b, { 'content-type': FORM }, big.length, big.subarray(0, 1024))).toBe(401);
    expect(await sendChunked(b, big)).toBe(413);
    expect(await healthy(b)).toBe(200);
    expect(await stored(b)).toEqual(NOTHING);
  });
});

describe('replays', () => {
  it('acknowledges the same signed request sent twice with an empty 200 and acts on it once', async () => {
    const b = (bot = await startTestBot({}, 'edge-replay'));
    const body = command('create web deploy --env prod web=nginx:1');
    const ts = nowSec();
    const first = await send(b, body, { timestampSec: ts });
    expect(first.status).toBe(200);
    expect(first.body).toMatch(/rt-[0-9a-z]{6}/);
    const again = await send(b, body, { timestampSec: ts });
    expect(again).toEqual({ status: 200, body: '' });
    expect((await stored(b)).tasks).toBe(1);
    // The memory is in Redis under the bot's prefix, with the 10-minute window as its TTL.
    const [seen] = await scanKeys(b.redis, `${b.config.REDIS_PREFIX}:slack:seen:*`);
    expect(await b.redis.ttl(seen!)).toBeGreaterThan(590);
  });

  it('remembers a replay across web replicas sharing one Redis', async () => {
    const b = (bot = await startTestBot({}, 'edge-replicas'));
    const other = await startTestBot({ REDIS_PREFIX: b.config.REDIS_PREFIX, ROLE: 'web' }, 'edge-replicas-2');
    try {
      const body = command('create web deploy --env prod web=nginx:1');
      const ts = nowSec();
      expect((await send(b, body, { timestampSec: ts })).body).toMatch(/rt-/);
      expect(await send(other, body, { timestampSec: ts })).toEqual({ status: 200, body: '' });
      expect((await stored(b)).tasks).toBe(1);
    } finally {
      await other.running.stop();
      await other.fake.close();
      other.redis.disconnect();
    }
  });

  it('remembers an Events API request by its event_id, so Slack\'s retry (new signature) is the same request', async () => {
    const b = (bot = await startTestBot({}, 'edge-retry'));
    const event = { type: 'event_callback', event_id: 'Ev0TEST1', team_id: 'T0TEST', event: { type: 'app_mention', text: 'hi' } };
    expect((await send(b, JSON.stringify(event), { type: 'application/json' })).status).toBe(200);
    const retry = await send(b, JSON.stringify({ ...event, retried: true }), { type: 'application/json', headers: { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' } });
    expect(retry).toEqual({ status: 200, body: '' });
    expect(await scanKeys(b.redis, `${b.config.REDIS_PREFIX}:slack:seen:*`)).toEqual([`${b.config.REDIS_PREFIX}:slack:seen:event:Ev0TEST1`]);
  });
});

describe('other paths and methods', () => {
  it('answers 405 for GET on the Slack endpoint and 404 for an unknown path', async () => {
    const b = (bot = await startTestBot({}, 'edge-paths'));
    expect((await fetch(`${b.url}/slack/events`)).status).toBe(405);
    expect((await fetch(`${b.url}/nope`, { method: 'POST' })).status).toBe(404);
  });
});
