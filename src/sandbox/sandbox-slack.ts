/**
 * Slack, played locally. Serves the Web API stand-in (/api/*), the page (/), and the page's
 * endpoints (/sandbox/*): a typed command, a click or opening the Home tab becomes the signed
 * request Slack would send the bot; what the bot posts (messages, files, modals, the Home view)
 * reaches the page as server-sent events.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { createSlackStandin, type FakeMessage, type SlackStandin, type StandinEphemeral } from './slack-standin.js';
import type { SandboxUser } from './users.js';

const UI_DIR = fileURLToPath(new URL('./ui/', import.meta.url));
const STATIC: Record<string, string> = {
  '/': 'index.html',
  '/index.html': 'index.html',
  '/app.js': 'app.js',
  '/blocks.js': 'blocks.js',
  '/style.css': 'style.css',
};
const TYPES: Record<string, string> = { html: 'text/html', js: 'text/javascript', css: 'text/css' };

export const SANDBOX_CHANNEL = { id: 'C0SANDBOX', name: 'releases' };
const TEAM = { id: 'T0SANDBOX', domain: 'sandbox' };

export class SandboxSlack {
  /** Takes the token sandbox.ts gives the bot. */
  readonly standin: SlackStandin = createSlackStandin({ token: 'xoxb-sandbox' });
  private readonly streams = new Set<ServerResponse>();
  private readonly ephemerals: StandinEphemeral[] = [];
  /** Which user a trigger_id (and so a modal) belongs to. */
  private readonly triggers = new Map<string, string>();
  private readonly views = new Map<string, { user: string; view: Record<string, unknown> }>();
  /** When each message (by ts) arrived: the stand-in's ts count up from 2023, not the clock. */
  private readonly arrived = new Map<string, number>();
  private botUrl = '';
  private base = '';
  /** Proxies drop quiet streams; a comment every 15 s keeps the page's connection open. */
  private readonly keepAlive = setInterval(() => {
    for (const s of this.streams) s.write(': keep-alive\n\n');
  }, 15_000).unref();

  constructor(
    private readonly secret: string,
    private readonly users: SandboxUser[],
    /** Channel names by ID besides the sandbox's own (e.g. the policy's channels). */
    channels: Record<string, string> = {},
  ) {
    for (const [id, name] of Object.entries({ ...channels, [SANDBOX_CHANNEL.id]: SANDBOX_CHANNEL.name })) this.standin.setChannelName(id, name);
    // Everyone is where the sandbox runs: `/release start … --at 22:00` means 22:00 on this machine's clock.
    const tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
    for (const u of users) this.standin.setUser(u.id, { name: u.name.toLowerCase(), real_name: u.name, display_name: u.name, tz });
    this.standin.events.on('message', (m: FakeMessage & { edited?: boolean }) => {
      if (!this.arrived.has(m.ts)) this.arrived.set(m.ts, Date.now());
      this.push('message', { ...this.view(m), channel_name: this.standin.channelName(m.channel) });
    });
    this.standin.events.on('home', (h: { user: string; view: Record<string, unknown> }) => this.push('home', h));
    this.standin.events.on('ephemeral', (e: StandinEphemeral) => this.ephemeral(e));
    this.standin.events.on('modal', (m: { trigger_id?: string; view_id: string; view: Record<string, unknown> }) => {
      const user = this.triggers.get(m.trigger_id ?? '');
      if (!user) return;
      this.views.set(m.view_id, { user, view: m.view });
      this.push('modal', { user, view_id: m.view_id, view: m.view });
    });
  }

  listening(base: string): void {
    this.base = base;
    this.standin.setBase(`${base}/`);
  }

  /** Where the bot takes Slack's requests. */
  connect(botEventsUrl: string): void {
    this.botUrl = botEventsUrl;
  }

  closeStreams(): void {
    clearInterval(this.keepAlive);
    for (const s of this.streams) s.end();
    this.streams.clear();
  }

  async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      if (await this.standin.handle(req, res)) return;
      const path = new URL(req.url ?? '/', 'http://sandbox').pathname;
      const file = STATIC[path];
      if (req.method === 'GET' && file) return await this.file(res, file);
      // The simulated platform's Prometheus stand-in is the bot's: on this port too, so a policy's
      // checks can name http://localhost:3000/sim/prometheus as the README says.
      if (req.method === 'GET' && path.startsWith('/sim/') && this.botUrl) return await this.forward(path + new URL(req.url ?? '/', 'http://sandbox').search, res);
      if (req.method === 'GET' && path === '/sandbox/state') return json(res, 200, this.state());
      if (req.method === 'GET' && path === '/sandbox/events') return this.stream(req, res);
      if (req.method === 'POST' && path === '/sandbox/command') return json(res, 200, await this.command(await body(req)));
      if (req.method === 'POST' && path === '/sandbox/action') return json(res, 200, await this.action(await body(req)));
      if (req.method === 'POST' && path === '/sandbox/view') return json(res, 200, await this.submit(await body(req)));
      if (req.method === 'POST' && path === '/sandbox/home') return json(res, 200, await this.openHome(await body(req)));
      const respond = /^\/sandbox\/respond\/([A-Z0-9]+)\/([A-Z0-9]+)$/.exec(path);
      if (req.method === 'POST' && respond) {
        // A command's late answer through its response_url.
        const b = await body(req);
        this.ephemeral({ id: randomBytes(6).toString('hex'), channel: respond[2]!, user: respond[1]!, at: Date.now(), ...pick(b) });
        return json(res, 200, { ok: true });
      }
      res.writeHead(404).end('not found');
    } catch (err) {
      if (!res.headersSent) json(res, /application\/json/.test((err as Error).message) ? 415 : 500, { ok: false, error: (err as Error).message });
    }
  }

  /** A GET of `pathAndQuery` passed on to the bot's own port (only there: the origin is the bot's), its answer passed back. */
  private async forward(pathAndQuery: string, res: ServerResponse): Promise<void> {
    const answer = await fetch(`${new URL(this.botUrl).origin}${pathAndQuery}`, { signal: AbortSignal.timeout(5000) });
    res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'text/plain' });
    res.end(Buffer.from(await answer.arrayBuffer()));
  }

  private state() {
    const channels = new Set([SANDBOX_CHANNEL.id, ...this.standin.calls.map((c) => String(c.args.channel ?? '')).filter(Boolean)]);
    const messages = [...channels]
      .flatMap((ch) => this.standin.messages(ch))
      .sort((a, b) => Number(a.ts) - Number(b.ts))
      .map((m) => ({ ...this.view(m), replies: this.standin.thread(m.channel, m.ts).map((r) => this.view(r)) }));
    const names = Object.fromEntries([...channels].map((id) => [id, this.standin.channelName(id)]));
    const homes = Object.fromEntries(this.users.flatMap((u) => (this.standin.home(u.id) ? [[u.id, this.standin.home(u.id)]] : [])));
    return { channel: SANDBOX_CHANNEL, channels: names, users: this.users, messages, ephemerals: this.ephemerals, homes };
  }

  private async command(b: Record<string, unknown>) {
    const user = this.user(b.user);
    const line = String(b.text ?? '').trim();
    const m = /^(\/\S+)\s*([\s\S]*)$/.exec(line);
    if (!m || !['/release', '/bluegreen'].includes(m[1]!)) {
      return { ok: false, error: 'Type a slash command: /release … or /bluegreen … (try /release help).' };
    }
    const form = new URLSearchParams({
      token: 'sandbox',
      team_id: TEAM.id,
      team_domain: TEAM.domain,
      channel_id: SANDBOX_CHANNEL.id,
      channel_name: SANDBOX_CHANNEL.name,
      user_id: user,
      user_name: this.users.find((u) => u.id === user)?.name.toLowerCase() ?? user,
      command: m[1]!,
      // Slack escapes these in command text; so do we.
      text: m[2]!.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'),
      api_app_id: 'A0SANDBOX',
      response_url: `${this.base}/sandbox/respond/${user}/${SANDBOX_CHANNEL.id}`,
      trigger_id: this.trigger(user),
    });
    const res = await this.send(form.toString());
    if (res.status !== 200) return { ok: false, error: `The bot answered HTTP ${res.status}` };
    if (!res.body.trim()) return { ok: true };
    const ack = JSON.parse(res.body) as Record<string, unknown>;
    const eph = { id: randomBytes(6).toString('hex'), channel: SANDBOX_CHANNEL.id, user, at: Date.now(), ...pick(ack) };
    this.ephemeral(eph);
    return { ok: true, ephemeral: eph };
  }

  private async action(b: Record<string, unknown>) {
    const user = this.user(b.user);
    const channel = String(b.channel ?? SANDBOX_CHANNEL.id);
    const ts = String(b.message_ts ?? '');
    const message = this.standin.messages(channel).find((m) => m.ts === ts);
    const payload = {
      type: 'block_actions',
      user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: TEAM.id },
      api_app_id: 'A0SANDBOX',
      token: 'sandbox',
      container: { type: 'message', message_ts: ts, channel_id: channel, is_ephemeral: false },
      trigger_id: this.trigger(user),
      team: TEAM,
      channel: { id: channel, name: SANDBOX_CHANNEL.name },
      message: { type: 'message', ts, text: message?.text ?? '', blocks: message?.blocks ?? [] },
      response_url: `${this.base}/sandbox/respond/${user}/${channel}`,
      actions: [{ ...(b.action as Record<string, unknown>), action_ts: (Date.now() / 1000).toFixed(6) }],
    };
    const res = await this.send(new URLSearchParams({ payload: JSON.stringify(payload) }).toString());
    return { ok: res.status === 200 };
  }

  private async submit(b: Record<string, unknown>) {
    const user = this.user(b.user);
    const open = this.views.get(String(b.view_id ?? ''));
    if (!open || open.user !== user) return { ok: false, error: 'That dialog is no longer open.' };
    this.views.delete(String(b.view_id));
    const payload = {
      type: 'view_submission',
      user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: TEAM.id },
      api_app_id: 'A0SANDBOX',
      token: 'sandbox',
      trigger_id: this.trigger(user),
      team: TEAM,
      view: { ...open.view, id: b.view_id, state: { values: b.values ?? {} } },
    };
    const res = await this.send(new URLSearchParams({ payload: JSON.stringify(payload) }).toString());
    // Slack keeps a modal open and shows `errors` under its inputs when the app answers so.
    const answer = readJson(res.body);
    if (res.status === 200 && answer?.response_action === 'errors' && answer.errors && typeof answer.errors === 'object') {
      this.views.set(String(b.view_id), open);
      return { ok: false, errors: answer.errors };
    }
    return { ok: res.status === 200 };
  }

  /** The person opened the bot's Home tab: Slack sends `app_home_opened`, the bot publishes the view. */
  private async openHome(b: Record<string, unknown>) {
    const user = this.user(b.user);
    const now = Date.now() / 1000;
    const event = {
      token: 'sandbox',
      team_id: TEAM.id,
      api_app_id: 'A0SANDBOX',
      type: 'event_callback',
      event_id: `Ev${randomBytes(6).toString('hex').toUpperCase()}`,
      event_time: Math.floor(now),
      event: { type: 'app_home_opened', user, channel: `D0${user.slice(1)}`, tab: 'home', event_ts: now.toFixed(6) },
    };
    const res = await this.send(JSON.stringify(event), 'application/json');
    return res.status === 200 ? { ok: true, view: this.standin.home(user) ?? null } : { ok: false, error: `The bot answered HTTP ${res.status}` };
  }

  /** Sign and deliver, exactly as Slack does (form-encoded; the Events API's JSON for events). */
  private async send(rawBody: string, contentType = 'application/x-www-form-urlencoded'): Promise<{ status: number; body: string }> {
    const ts = Math.floor(Date.now() / 1000);
    const signature = `v0=${createHmac('sha256', this.secret).update(`v0:${ts}:${rawBody}`).digest('hex')}`;
    const res = await fetch(this.botUrl, {
      method: 'POST',
      headers: { 'content-type': contentType, 'x-slack-request-timestamp': String(ts), 'x-slack-signature': signature },
      body: rawBody,
    });
    return { status: res.status, body: await res.text() };
  }

  private ephemeral(e: StandinEphemeral): void {
    this.ephemerals.push(e);
    if (this.ephemerals.length > 200) this.ephemerals.shift();
    this.push('ephemeral', e);
  }

  private trigger(user: string): string {
    const id = `${Date.now()}.${randomBytes(6).toString('hex')}`;
    this.triggers.set(id, user);
    return id;
  }

  private user(value: unknown): string {
    const id = String(value ?? '');
    return this.users.some((u) => u.id === id) ? id : this.users[0]!.id;
  }

  private stream(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    res.write(': sandbox events\n\n');
    this.streams.add(res);
    req.on('close', () => this.streams.delete(res));
  }

  private push(event: string, data: unknown): void {
    const frame = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const s of this.streams) s.write(frame);
  }

  private async file(res: ServerResponse, name: string): Promise<void> {
    const content = await readFile(`${UI_DIR}${name}`);
    res.writeHead(200, { 'content-type': `${TYPES[name.split('.').pop()!] ?? 'text/plain'}; charset=utf-8`, 'cache-control': 'no-store' });
    res.end(content);
  }

  /** A message as the page shows it: when it arrived, and shared files with a preview of their text. */
  private view(m: FakeMessage & { edited?: boolean }) {
    const at = this.arrived.get(m.ts);
    const files = (m.files as Array<Record<string, unknown>> | undefined)?.map((f) => {
      const bytes = this.standin.uploads.find((u) => u.fileId === f.id)?.bytes;
      return { ...f, url_private: `/files/${String(f.id)}`, ...(bytes ? { preview: preview(bytes) } : {}) };
    });
    return {
      ts: m.ts,
      channel: m.channel,
      ...(at ? { at } : {}),
      ...(m.text !== undefined ? { text: m.text } : {}),
      ...(m.blocks ? { blocks: m.blocks } : {}),
      ...(files ? { files } : {}),
      ...(m.thread_ts ? { thread_ts: m.thread_ts } : {}),
      ...(m.edited ? { edited: true } : {}),
    };
  }
}

/** The first lines of a shared file, as Slack previews a text snippet. */
function preview(bytes: Buffer, lines = 8): string {
  const all = bytes.toString('utf8', 0, 4000).split('\n');
  return all.slice(0, lines).join('\n') + (all.length > lines ? '\n…' : '');
}

function pick(b: Record<string, unknown>): { text?: string; blocks?: unknown[] } {
  return { ...(typeof b.text === 'string' ? { text: b.text } : {}), ...(Array.isArray(b.blocks) ? { blocks: b.blocks } : {}) };
}

function json(res: ServerResponse, status: number, data: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(data));
}

async function body(req: IncomingMessage): Promise<Record<string, unknown>> {
  // Only the page's own fetch sends JSON; a cross-site form post cannot, so it is turned away.
  if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) throw new Error('expected application/json');
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

/** A response body as a JSON object, or undefined (an empty ack, or text). */
function readJson(body: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(body);
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
