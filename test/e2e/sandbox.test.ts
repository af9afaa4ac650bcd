/**
 * The sandbox without a browser: its page's endpoints drive the real bot through signed requests,
 * and what the bot posts comes back as server-sent events.
 */
import { networkInterfaces } from 'node:os';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox.js';
import { cleanupPrefix, testRedisUrl, uniquePrefix } from '../support/redis.js';
import { eventually } from '../support/test-bot.js';

let box: Sandbox | undefined;
let prefix = '';
afterEach(async () => {
  await box?.stop();
  box = undefined;
  await cleanupPrefix(testRedisUrl(), prefix);
});

async function post(path: string, body: unknown) {
  const res = await fetch(`${box!.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return (await res.json()) as Record<string, any>;
}

async function state() {
  return (await (await fetch(`${box!.url}/sandbox/state`)).json()) as Record<string, any>;
}

/** Collects server-sent events until aborted. */
function listen(url: string) {
  const events: Array<{ event: string; data: any }> = [];
  const abort = new AbortController();
  void (async () => {
    const res = await fetch(url, { signal: abort.signal });
    const reader = res.body!.getReader();
    let buf = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buf += new TextDecoder().decode(value);
      let i: number;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const frame = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const event = /^event: (.*)$/m.exec(frame)?.[1];
        const data = /^data: (.*)$/m.exec(frame)?.[1];
        if (event && data) events.push({ event, data: JSON.parse(data) });
      }
    }
  })().catch(() => {});
  return { events, stop: () => abort.abort() };
}

describe('the sandbox', () => {
  it('serves the page, plays Slack for the bot, and streams the card as it changes', async () => {
    prefix = uniquePrefix('sandbox');
    box = await startSandbox({ PORT: '0', REDIS_URL: testRedisUrl(), REDIS_PREFIX: prefix, SIM_LATENCY_MS: '30', CARD_COALESCE_MS: '50', LOG_LEVEL: 'silent' }, pino({ level: 'silent' }));
    const page = await fetch(`${box.url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('sandbox');
    const s0 = await state();
    expect(s0.users.map((u: { id: string }) => u.id)).toEqual(['U0ALICE', 'U0BOB', 'U0CAROL']);

    const sse = listen(`${box.url}/sandbox/events`);
    const created = await post('/sandbox/command', { user: 'U0ALICE', text: '/release create demo deploy --env staging web=web:1.0' });
    expect(created.ok).toBe(true);
    expect(created.ephemeral.text).toContain('Created release task *demo*');
    const card = await eventually(async () => (await state()).messages.find((m: any) => m.text?.includes('demo')), 5000, 'card');
    const start = card.blocks.flatMap((b: any) => b.elements ?? []).find((e: any) => e.action_id === 'release.start');
    expect(start.value).toMatch(/^start rt-[0-9a-z]{6} @v1$/);

    await post('/sandbox/action', { user: 'U0BOB', channel: card.channel, message_ts: card.ts, action: { type: 'button', action_id: 'release.start', block_id: 'a', value: start.value } });
    await eventually(async () => (await state()).messages.find((m: any) => m.ts === card.ts)?.text?.includes('Released'), 10_000, 'Released');
    // The card edit and the thread reply are separate Slack calls behind the rate limiter: either may land first.
    const done = await eventually(async () => {
      const m = (await state()).messages.find((x: any) => x.ts === card.ts);
      return m?.replies.some((r: any) => /^Released in/.test(r.text)) ? m : undefined;
    }, 5000, 'the Released in reply');
    expect(done.replies.map((r: any) => r.text)).toContainEqual(expect.stringMatching(/^Released in/));
    await eventually(() => sse.events.some((e) => e.event === 'message' && e.data.ts === card.ts && e.data.text?.includes('Released')), 5000, 'SSE update');
    expect(sse.events.some((e) => e.event === 'ephemeral' && e.data.user === 'U0ALICE')).toBe(true);
    sse.stop();

    const bad = await post('/sandbox/command', { user: 'U0ALICE', text: 'release help' });
    expect(bad).toEqual({ ok: false, error: 'Type a slash command: /release … or /bluegreen … (try /release help).' });
  });

  it('asks for a reason in a modal and submits it, like Slack', async () => {
    prefix = uniquePrefix('sandbox-modal');
    const { writeFileSync } = await import('node:fs');
    const policy = `${process.env.TMPDIR ?? '/tmp'}/${prefix}.yaml`;
    writeFileSync(policy, 'environments:\n  production:\n    approvers: [U0CAROL]\n');
    box = await startSandbox({ PORT: '0', REDIS_URL: testRedisUrl(), REDIS_PREFIX: prefix, SIM_LATENCY_MS: '30', CARD_COALESCE_MS: '50', SWITCHYARD_CONFIG: policy }, pino({ level: 'silent' }));
    expect((await state()).users.find((u: any) => u.id === 'U0CAROL').roles).toEqual(['operator', 'approver for production']);
    const sse = listen(`${box.url}/sandbox/events`);
    const created = await post('/sandbox/command', { user: 'U0ALICE', text: '/release create p deploy --env production web=web:1.0' });
    const id = /`(rt-[0-9a-z]{6})`/.exec(created.ephemeral.text)![1];
    await post('/sandbox/command', { user: 'U0ALICE', text: `/release start ${id}` });
    const card = await eventually(async () => (await state()).messages.find((m: any) => JSON.stringify(m.blocks ?? []).includes('release.reject')), 5000, 'approval card');
    const reject = card.blocks.flatMap((b: any) => b.elements ?? []).find((e: any) => e.action_id === 'release.reject');
    await post('/sandbox/action', { user: 'U0CAROL', channel: card.channel, message_ts: card.ts, action: { type: 'button', action_id: 'release.reject', block_id: 'a', value: reject.value } });
    const modal = await eventually(() => sse.events.find((e) => e.event === 'modal'), 5000, 'modal');
    expect(modal.data.user).toBe('U0CAROL');
    const r = await post('/sandbox/view', { user: 'U0CAROL', view_id: modal.data.view_id, values: { reason: { reason: { type: 'plain_text_input', value: 'not during the demo' } } } });
    expect(r.ok).toBe(true);
    await eventually(async () => (await state()).messages.find((m: any) => m.ts === card.ts)?.replies.some((x: any) => x.text.includes('not during the demo')), 5000, 'rejection in thread');
    sse.stop();
  });
});

describe('the sandbox plays the rest of Slack', () => {
  it('opens the Home tab with a signed app_home_opened event and streams the view the bot publishes', async () => {
    prefix = uniquePrefix('sandbox-home');
    const { writeFileSync } = await import('node:fs');
    const policy = `${process.env.TMPDIR ?? '/tmp'}/${prefix}.yaml`;
    writeFileSync(policy, 'environments:\n  production:\n    channel: C0PROD\n    approvers: [U0CAROL]\n');
    box = await startSandbox({ PORT: '0', REDIS_URL: testRedisUrl(), REDIS_PREFIX: prefix, SIM_LATENCY_MS: '30', CARD_COALESCE_MS: '50', SWITCHYARD_CONFIG: policy }, pino({ level: 'silent' }));
    const sse = listen(`${box.url}/sandbox/events`);
    const created = await post('/sandbox/command', { user: 'U0ALICE', text: '/release create shop deploy --env production web=web:1.0' });
    const id = /`(rt-[0-9a-z]{6})`/.exec(created.ephemeral.text)![1]!;
    await post('/sandbox/command', { user: 'U0ALICE', text: `/release start ${id}` });
    await eventually(async () => (await state()).messages.find((m: any) => JSON.stringify(m.blocks ?? []).includes('release.approve')), 5000, 'approval card');

    expect(await post('/sandbox/home', { user: 'U0CAROL' })).toMatchObject({ ok: true });
    const home = await eventually(() => sse.events.find((e) => e.event === 'home' && e.data.user === 'U0CAROL'), 10_000, "Carol's Home");
    expect(home.data.view.type).toBe('home');
    const text = JSON.stringify(home.data.view.blocks);
    expect(text).toContain('Approvals waiting for you');
    expect(text).toContain(id);
    // The page finds it in the state after a reload too.
    expect((await state()).homes.U0CAROL.blocks).toEqual(home.data.view.blocks);

    // The policy's channel has a name, and every message says when it was posted.
    const s = await state();
    expect(s.channels).toMatchObject({ C0SANDBOX: 'releases', C0PROD: 'production' });
    const card = s.messages.find((m: any) => m.channel === 'C0PROD');
    expect(card.at).toBeGreaterThan(Date.now() - 60_000);
    expect(card.replies.every((r: any) => typeof r.at === 'number')).toBe(true);
    sse.stop();
  });

  it('shows a file the bot shares (an audit export) with its name, a preview and its content', async () => {
    prefix = uniquePrefix('sandbox-file');
    box = await startSandbox({ PORT: '0', REDIS_URL: testRedisUrl(), REDIS_PREFIX: prefix, SIM_LATENCY_MS: '30', CARD_COALESCE_MS: '50' }, pino({ level: 'silent' }));
    await post('/sandbox/command', { user: 'U0ALICE', text: '/release create demo deploy --env staging web=web:1.0' });
    const ack = await post('/sandbox/command', { user: 'U0BOB', text: '/release audit --csv' });
    expect(ack.ephemeral.text).toContain('the file will appear in this channel');
    const shared = await eventually(async () => (await state()).messages.find((m: any) => m.files?.length), 10_000, 'the shared file');
    expect(shared.channel).toBe('C0SANDBOX');
    expect(shared.text).toBe('<@U0BOB> here is the export you asked for.');
    const [file] = shared.files;
    expect(file.name).toMatch(/^switchyard-audit-.*\.csv$/);
    expect(file.preview.split('\n')[0]).toBe('time,actor,action,target,env,from,to,detail');
    const content = await (await fetch(`${box.url}${file.url_private}`)).text();
    expect(content).toContain(',U0ALICE,create,');
  });
});

describe('the sandbox is local only', () => {
  it('listens on loopback only and turns away a cross-site form post', async () => {
    prefix = uniquePrefix('sandbox-csrf');
    box = await startSandbox({ PORT: '0', REDIS_URL: testRedisUrl(), REDIS_PREFIX: prefix }, pino({ level: 'silent' }));
    // Not reachable on the machine's other addresses (the page acts as any user, approvers included).
    const outside = Object.values(networkInterfaces()).flat().find((a) => a && !a.internal && a.family === 'IPv4');
    if (!outside) throw new Error('this machine has no non-loopback IPv4 address to try the sandbox from');
    const port = new URL(box.url).port;
    const fromOutside = await fetch(`http://${outside.address}:${port}/`).then(() => 'answered', (err: Error & { cause?: { code?: string } }) => err.cause?.code ?? err.message);
    expect(fromOutside).toBe('ECONNREFUSED');
    expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(200);
    const res = await fetch(`${box.url}/sandbox/command`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ user: 'U0ALICE', text: '/release create x deploy --env prod web=web:1' }),
    });
    expect(res.status).toBe(415);
    expect((await state()).messages).toEqual([]);
  });
});
