import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** One recorded Web API call. `status` is the HTTP status the fake answered with. */
export interface FakeSlackCall {
  method: string;
  args: Record<string, unknown>;
  at: number;
  /** Bearer token from the Authorization header (or the `token` body field), if any. */
  token: string | undefined;
  status: number;
}

/** A message as stored by the fake (top-level or thread reply). */
export interface FakeMessage {
  type: 'message';
  ts: string;
  channel: string;
  user: string;
  bot_id: string;
  text?: string;
  blocks?: unknown[];
  attachments?: unknown[];
  thread_ts?: string;
  metadata?: unknown;
}

/** Bytes received on an upload URL handed out by `files.getUploadURLExternal`. */
export interface FakeUpload {
  fileId: string;
  filename: string;
  bytes: Buffer;
  /** Set by `files.completeUploadExternal`. */
  completed: boolean;
  title?: string;
  channelId?: string;
  threadTs?: string;
  initialComment?: string;
}

/** How the next call(s) to a method should fail; see {@link SlackStandin.failNext}. */
export interface FailureSpec {
  /** HTTP status. 429 adds a `Retry-After` header. Default: 200 when `error` is set, 429 when only `retryAfterSec` is set, else 500. */
  status?: number;
  /** Slack error code answered as `{ ok: false, error }`. */
  error?: string;
  /** `Retry-After` seconds for 429 answers (default 1). */
  retryAfterSec?: number;
  /** How many consecutive calls fail (default 1). */
  times?: number;
}

/** Simple user profile served by `users.info`. */
export interface FakeUser {
  name?: string;
  real_name?: string;
  display_name?: string;
}

/** An ephemeral message as the stand-in received it. */
export interface StandinEphemeral {
  id: string;
  channel: string;
  user: string;
  text?: string;
  blocks?: unknown[];
  at: number;
}

/**
 * The Slack Web API methods the bot uses, emulated in memory: the tests' fake Slack and the
 * sandbox's stand-in are both this. `handle` serves `/api/<method>` and `/upload/<id>`; `events`
 * tells listeners (the sandbox page) about messages, ephemerals and modals as they happen.
 */
export interface SlackStandin {
  /** Serve a request if it is for the Web API (or an upload); false if it is not ours. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  /** Where upload URLs point: this server's base URL, ending in `/`. */
  setBase(base: string): void;
  /** 'message' (FakeMessage, new or edited), 'ephemeral' (StandinEphemeral), 'modal' ({ trigger_id, view_id, view }). */
  readonly events: EventEmitter;
  /** Ephemeral messages received, oldest first. */
  readonly ephemerals: StandinEphemeral[];
  /** Every Web API call received, in order (including failed ones). */
  readonly calls: FakeSlackCall[];
  /** Every file upload received. */
  readonly uploads: FakeUpload[];
  /** Calls to one method, in order. */
  callsTo(method: string): FakeSlackCall[];
  /** Polls every 20 ms until `predicate(calls)` holds; throws listing the methods called so far on timeout. */
  waitFor(predicate: (calls: FakeSlackCall[]) => boolean, timeoutMs?: number): Promise<void>;
  /** Makes the next `times` calls to `method` fail (429 with Retry-After, `{ok:false,error}`, or a 5xx). */
  failNext(method: string, spec?: FailureSpec): void;
  /** While down, every request answers HTTP 503. */
  setDown(down: boolean): void;
  /** Sets the members returned by `usergroups.users.list` for `id`. */
  setUsergroup(id: string, users: string[]): void;
  /** Sets the profile returned by `users.info` for `id` (otherwise derived from the id). */
  setUser(id: string, user: FakeUser): void;
  /** Current top-level messages of a channel (latest text/blocks after updates), oldest first. */
  messages(channel: string): FakeMessage[];
  /** Replies in a thread, oldest first. */
  thread(channel: string, ts: string): FakeMessage[];
  /** Forgets calls, messages, uploads, failures, users, usergroups and the down flag. */
  reset(): void;
}

type Args = Record<string, unknown>;
type Reply = { status?: number; headers?: Record<string, string>; body: Args };

const TEAM_ID = 'T0TEST';
const BOT_USER = 'UBOT';
const BOT_ID = 'BBOT';

/** Parses string values that hold a JSON object/array (how @slack/web-api encodes nested form fields). */
function decodeNested(args: Args): Args {
  const out: Args = {};
  for (const [key, value] of Object.entries(args)) {
    out[key] = value;
    if (typeof value === 'string' && /^\s*[[{]/.test(value)) {
      try {
        const parsed: unknown = JSON.parse(value);
        if (parsed !== null && typeof parsed === 'object') out[key] = parsed;
      } catch {
        // not JSON: keep the string
      }
    }
  }
  return out;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Parses a multipart/form-data body with the platform's fetch implementation. */
async function parseMultipart(contentType: string, raw: Buffer): Promise<FormData> {
  const req = new Request('http://fake.local/', { method: 'POST', headers: { 'content-type': contentType }, body: new Uint8Array(raw) });
  return req.formData();
}

/** Parses a request body (form-urlencoded, JSON or multipart) plus query string into args. */
async function parseArgs(req: IncomingMessage, raw: Buffer, query: URLSearchParams): Promise<Args> {
  const args: Args = Object.fromEntries(query);
  const type = req.headers['content-type'] ?? '';
  if (raw.length === 0) return decodeNested(args);
  if (type.includes('application/json')) {
    Object.assign(args, JSON.parse(raw.toString('utf8')) as Args);
  } else if (type.includes('multipart/form-data')) {
    const form = await parseMultipart(type, raw);
    for (const [key, value] of form) args[key] = typeof value === 'string' ? value : Buffer.from(await value.arrayBuffer());
  } else {
    Object.assign(args, Object.fromEntries(new URLSearchParams(raw.toString('utf8'))));
  }
  return decodeNested(args);
}

/** Extracts file bytes from an upload POST (multipart from @slack/web-api, or a raw body). */
async function uploadBytes(req: IncomingMessage, raw: Buffer): Promise<Buffer> {
  const type = req.headers['content-type'] ?? '';
  if (!type.includes('multipart/form-data')) return raw;
  const form = await parseMultipart(type, raw);
  for (const [, value] of form) if (typeof value !== 'string') return Buffer.from(await value.arrayBuffer());
  return raw;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : typeof v === 'number' ? String(v) : undefined;
}

function bearer(req: IncomingMessage, args: Args): string | undefined {
  const header = req.headers.authorization;
  const match = header ? /^Bearer\s+(.+)$/i.exec(header) : null;
  return match?.[1] ?? str(args.token);
}

export function createSlackStandin(): SlackStandin {
  const events = new EventEmitter();
  const ephemerals: StandinEphemeral[] = [];
  const calls: FakeSlackCall[] = [];
  const uploads: FakeUpload[] = [];
  const failures = new Map<string, FailureSpec[]>();
  const usergroups = new Map<string, string[]>();
  const users = new Map<string, FakeUser>();
  const channels = new Map<string, FakeMessage[]>();
  const threads = new Map<string, FakeMessage[]>();
  const pendingUploads = new Map<string, { filename: string }>();
  let down = false;
  let seq = 0;
  let base = '';

  const nextSeq = (): number => ++seq;
  const nextTs = (): string => {
    const micros = nextSeq() * 100;
    return `${1_700_000_000 + Math.floor(micros / 1_000_000)}.${String(micros % 1_000_000).padStart(6, '0')}`;
  };
  const topLevel = (channel: string): FakeMessage[] => {
    let list = channels.get(channel);
    if (!list) channels.set(channel, (list = []));
    return list;
  };
  const replies = (channel: string, ts: string): FakeMessage[] => {
    const key = `${channel}:${ts}`;
    let list = threads.get(key);
    if (!list) threads.set(key, (list = []));
    return list;
  };
  const findMessage = (channel: string, ts: string): FakeMessage | undefined => {
    const top = channels.get(channel)?.find((m) => m.ts === ts);
    if (top) return top;
    for (const [key, list] of threads) {
      if (!key.startsWith(`${channel}:`)) continue;
      const found = list.find((m) => m.ts === ts);
      if (found) return found;
    }
    return undefined;
  };
  const ok = (body: Args): Reply => ({ body: { ok: true, ...body } });
  const fail = (error: string): Reply => ({ body: { ok: false, error } });

  const handlers: Record<string, (a: Args) => Reply> = {
    'auth.test': () =>
      ok({ url: 'https://switchyard-test.slack.com/', team: 'Switchyard Test (local stand-in)', user: 'switchyard', team_id: TEAM_ID, user_id: BOT_USER, bot_id: BOT_ID }),

    'chat.postMessage': (a) => {
      const channel = str(a.channel);
      if (!channel) return fail('channel_not_found');
      if (!str(a.text) && !Array.isArray(a.blocks) && !Array.isArray(a.attachments)) return fail('no_text');
      const ts = nextTs();
      const threadTs = str(a.thread_ts);
      const message: FakeMessage = { type: 'message', ts, channel, user: BOT_USER, bot_id: BOT_ID };
      if (typeof a.text === 'string') message.text = a.text;
      if (Array.isArray(a.blocks)) message.blocks = a.blocks;
      if (Array.isArray(a.attachments)) message.attachments = a.attachments;
      if (a.metadata !== undefined) message.metadata = a.metadata;
      if (threadTs) {
        message.thread_ts = threadTs;
        replies(channel, threadTs).push(message);
      } else {
        topLevel(channel).push(message);
      }
      events.emit('message', { ...message });
      const { channel: _c, ...shown } = message;
      return ok({ channel, ts, message: { ...shown, team: TEAM_ID } });
    },

    'chat.update': (a) => {
      const channel = str(a.channel);
      const ts = str(a.ts);
      if (!channel) return fail('channel_not_found');
      if (!ts) return fail('message_not_found');
      const message = findMessage(channel, ts);
      if (!message) return fail('message_not_found');
      if (!str(a.text) && !Array.isArray(a.blocks) && !Array.isArray(a.attachments)) return fail('no_text');
      if (typeof a.text === 'string') message.text = a.text;
      else delete message.text;
      if (Array.isArray(a.blocks)) message.blocks = a.blocks;
      else delete message.blocks;
      if (Array.isArray(a.attachments)) message.attachments = a.attachments;
      events.emit('message', { ...message, edited: true });
      return ok({ channel, ts, text: message.text ?? '', message: { text: message.text ?? '', blocks: message.blocks } });
    },

    'chat.postEphemeral': (a) => {
      if (!str(a.channel)) return fail('channel_not_found');
      if (!str(a.user)) return fail('user_not_in_channel');
      const ts = nextTs();
      const eph: StandinEphemeral = { id: ts, channel: str(a.channel)!, user: str(a.user)!, at: Date.now() };
      if (typeof a.text === 'string') eph.text = a.text;
      if (Array.isArray(a.blocks)) eph.blocks = a.blocks;
      ephemerals.push(eph);
      events.emit('ephemeral', eph);
      return ok({ message_ts: ts });
    },

    'views.open': (a) => {
      if (!str(a.trigger_id)) return fail('invalid_trigger_id');
      if (a.view === undefined || typeof a.view !== 'object') return fail('invalid_arguments');
      const id = `V${String(nextSeq()).padStart(8, '0')}`;
      events.emit('modal', { trigger_id: str(a.trigger_id), view_id: id, view: a.view });
      return ok({ view: { ...(a.view as Args), id, team_id: TEAM_ID, app_id: 'A0TEST', bot_id: BOT_ID } });
    },

    'users.info': (a) => {
      const id = str(a.user);
      if (!id) return fail('user_not_found');
      const u = users.get(id) ?? {};
      const name = u.name ?? id.toLowerCase();
      const realName = u.real_name ?? `User ${id}`;
      return ok({
        user: { id, team_id: TEAM_ID, name, real_name: realName, is_bot: false, profile: { display_name: u.display_name ?? name, real_name: realName } },
      });
    },

    'usergroups.users.list': (a) => {
      const members = usergroups.get(str(a.usergroup) ?? '');
      return members ? ok({ users: [...members] }) : fail('no_such_subteam');
    },

    'conversations.info': (a) => {
      const id = str(a.channel);
      if (!id) return fail('channel_not_found');
      return ok({
        channel: { id, name: `channel-${id.toLowerCase()}`, is_channel: true, is_private: false, is_archived: false, is_member: true, created: 1_700_000_000 },
      });
    },

    'files.getUploadURLExternal': (a) => {
      const filename = str(a.filename);
      if (!filename || !str(a.length)) return fail('invalid_arguments');
      const fileId = `F${String(nextSeq()).padStart(8, '0')}`;
      pendingUploads.set(fileId, { filename });
      return ok({ upload_url: `${base}upload/${fileId}`, file_id: fileId });
    },

    'files.completeUploadExternal': (a) => {
      if (!Array.isArray(a.files) || a.files.length === 0) return fail('invalid_arguments');
      const done: Args[] = [];
      for (const f of a.files as Array<{ id?: string; title?: string }>) {
        const upload = uploads.find((u) => u.fileId === f.id);
        if (!upload) return fail('file_not_found');
        upload.completed = true;
        if (f.title !== undefined) upload.title = f.title;
        const channelId = str(a.channel_id) ?? str(a.channels);
        if (channelId) upload.channelId = channelId;
        const threadTs = str(a.thread_ts);
        if (threadTs) upload.threadTs = threadTs;
        const comment = str(a.initial_comment);
        if (comment) upload.initialComment = comment;
        done.push({ id: upload.fileId, title: upload.title ?? upload.filename, name: upload.filename, size: upload.bytes.length });
      }
      return ok({ files: done });
    },
  };

  /** Answers a queued failure for `method`, if one is pending. */
  const takeFailure = (method: string): Reply | undefined => {
    const queue = failures.get(method);
    const spec = queue?.[0];
    if (!queue || !spec) return undefined;
    spec.times = (spec.times ?? 1) - 1;
    if (spec.times <= 0) queue.shift();
    const status = spec.status ?? (spec.error ? 200 : spec.retryAfterSec !== undefined ? 429 : 500);
    if (status === 429) {
      return { status, headers: { 'retry-after': String(spec.retryAfterSec ?? 1) }, body: { ok: false, error: spec.error ?? 'ratelimited' } };
    }
    return { status, body: { ok: false, error: spec.error ?? 'internal_error' } };
  };

  const send = (res: ServerResponse, reply: Reply): void => {
    const status = reply.status ?? 200;
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...reply.headers });
    res.end(JSON.stringify(reply.body));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const url = new URL(req.url ?? '/', 'http://fake.local');
    if (!/^\/(api|upload)\//.test(url.pathname)) return false;
    const raw = await readBody(req);

    const uploadMatch = /^\/upload\/([^/]+)$/.exec(url.pathname);
    if (uploadMatch?.[1]) {
      const fileId = decodeURIComponent(uploadMatch[1]);
      const pending = pendingUploads.get(fileId);
      if (down) return (res.writeHead(503).end('service unavailable'), true);
      if (!pending) return (res.writeHead(404).end('unknown upload'), true);
      pendingUploads.delete(fileId);
      const bytes = await uploadBytes(req, raw);
      uploads.push({ fileId, filename: pending.filename, bytes, completed: false });
      res.writeHead(200, { 'content-type': 'text/plain' }).end(`OK - ${bytes.length}`);
      return true;
    }

    const apiMatch = /^\/api\/([^/]+)$/.exec(url.pathname);
    if (!apiMatch?.[1]) return (res.writeHead(404).end('not found'), true);
    const method = apiMatch[1];
    const args = await parseArgs(req, raw, url.searchParams);
    const call: FakeSlackCall = { method, args, at: Date.now(), token: bearer(req, args), status: 200 };
    calls.push(call);

    let reply: Reply;
    if (down) reply = { status: 503, body: { ok: false, error: 'service_unavailable' } };
    else reply = takeFailure(method) ?? handlers[method]?.(args) ?? fail('unknown_method');
    call.status = reply.status ?? 200;
    send(res, reply);
    return true;
  };

  return {
    handle: async (req, res) => {
      try {
        return await handle(req, res);
      } catch (err) {
        if (!res.headersSent) send(res, { status: 500, body: { ok: false, error: `standin_error: ${String(err)}` } });
        else res.end();
        return true;
      }
    },
    setBase(value) {
      base = value;
    },
    events,
    ephemerals,
    calls,
    uploads,
    callsTo: (method) => calls.filter((c) => c.method === method),
    async waitFor(predicate, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (predicate(calls)) return;
        if (Date.now() >= deadline) {
          const seen = calls.map((c) => (c.status === 200 ? c.method : `${c.method}(${c.status})`)).join(', ') || '(none)';
          throw new Error(`slack stand-in: condition not met within ${timeoutMs} ms; calls so far: ${seen}`);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    failNext(method, spec = {}) {
      const queue = failures.get(method) ?? [];
      queue.push({ ...spec, times: spec.times ?? 1 });
      failures.set(method, queue);
    },
    setDown(value) {
      down = value;
    },
    setUsergroup(id, members) {
      usergroups.set(id, [...members]);
    },
    setUser(id, user) {
      users.set(id, { ...user });
    },
    messages: (channel) => (channels.get(channel) ?? []).map((m) => ({ ...m })),
    thread: (channel, ts) => (threads.get(`${channel}:${ts}`) ?? []).map((m) => ({ ...m })),
    reset() {
      calls.length = 0;
      uploads.length = 0;
      failures.clear();
      usergroups.clear();
      users.clear();
      channels.clear();
      threads.clear();
      pendingUploads.clear();
      ephemerals.length = 0;
      down = false;
      events.emit('reset');
    },
  };
}
