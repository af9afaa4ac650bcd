/**
 * The Slack Web API stand-in: one in-memory Slack for the tests' fake (test/support/fake-slack.ts)
 * and the sandbox (sandbox-slack.ts). The methods live by API family in ./standin/ (chat, views,
 * files, users, usergroups, conversations, auth); this file serves them over HTTP, with recorded
 * calls, queued failures and an outage switch.
 */
import type { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { authHandlers } from './standin/auth.js';
import { chatHandlers } from './standin/chat.js';
import { conversationsHandlers } from './standin/conversations.js';
import { takeFailure } from './standin/failures.js';
import { filesHandlers } from './standin/files.js';
import { bearer, parseArgs, readBody, uploadBytes } from './standin/request.js';
import { createStandinState, fail, type Handlers, type Reply } from './standin/state.js';
import type { FailureSpec, FakeMessage, FakeSlackCall, FakeUpload, FakeUser, StandinEphemeral } from './standin/types.js';
import { usergroupsHandlers } from './standin/usergroups.js';
import { usersHandlers } from './standin/users.js';
import { viewsHandlers } from './standin/views.js';

export type { FailureSpec, FakeMessage, FakeSlackCall, FakeUpload, FakeUser, StandinEphemeral } from './standin/types.js';

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

/** A stand-in with empty memory; `setBase` before handing out upload URLs. */
export function createSlackStandin(): SlackStandin {
  const state = createStandinState();
  const { events, ephemerals, uploads, usergroups, users, channels, threads, pendingUploads } = state;
  const calls: FakeSlackCall[] = [];
  const failures = new Map<string, FailureSpec[]>();
  let down = false;

  const handlers: Handlers = {
    ...authHandlers(),
    ...chatHandlers(state),
    ...viewsHandlers(state),
    ...usersHandlers(state),
    ...usergroupsHandlers(state),
    ...conversationsHandlers(),
    ...filesHandlers(state),
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
    else reply = takeFailure(failures, method) ?? handlers[method]?.(args) ?? fail('unknown_method');
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
      state.base = value;
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
