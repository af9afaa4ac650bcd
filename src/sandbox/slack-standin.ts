/**
 * The Slack Web API stand-in: one in-memory Slack for the tests' fake (test/support/fake-slack.ts)
 * and the sandbox (sandbox-slack.ts). The methods live by API family in ./standin/ (chat, views,
 * files, users, usergroups, conversations, functions, auth); this file serves them over HTTP, with
 * recorded calls, queued failures, slow answers and an outage switch. It checks what Slack checks: the bot
 * token of every call (`not_authed`, `invalid_auth`), and every message and modal against Block
 * Kit's limits (./standin/block-kit.ts); and it serves the response_urls it hands out.
 */
import type { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { authHandlers } from './standin/auth.js';
import { chatHandlers } from './standin/chat.js';
import { channelName, conversationsHandlers } from './standin/conversations.js';
import { takeFailure } from './standin/failures.js';
import { filesHandlers } from './standin/files.js';
import { functionsHandlers } from './standin/functions.js';
import { bearer, parseArgs, readBody, uploadBytes } from './standin/request.js';
import { responseUrls } from './standin/responses.js';
import { createStandinState, fail, type Handlers, type Reply } from './standin/state.js';
import type {
  FailureSpec,
  FakeMessage,
  FakeSlackCall,
  FakeUpload,
  FakeUser,
  FunctionCompletion,
  ResponseTarget,
  StandinEphemeral,
  StandinResponse,
} from './standin/types.js';
import { usergroupsHandlers } from './standin/usergroups.js';
import { usersHandlers } from './standin/users.js';
import { viewsHandlers } from './standin/views.js';

export type { FailureSpec, FakeMessage, FakeSlackCall, FakeUpload, FakeUser, FunctionCompletion, ResponseTarget, StandinEphemeral, StandinResponse } from './standin/types.js';
export { blockErrors, messageRefusal, viewErrors, type Refusal } from './standin/block-kit.js';

/** Answers that mean the app sent what Slack does not take: a wrong token, a bad message or modal. */
const APP_MISTAKES = new Set([
  'not_authed', 'invalid_auth', 'invalid_blocks', 'invalid_blocks_format', 'no_text', 'msg_too_long', 'invalid_arguments', 'unknown_method',
  // functions.complete*: an execution completed twice, or outputs that do not fit.
  'execution_not_in_running_state', 'parameter_validation_failed',
]);

export interface SlackStandinOptions {
  /** The bot token calls must carry (`Authorization: Bearer …` or a `token` field); others are refused. */
  token: string;
}

/**
 * The Slack Web API methods the bot uses, emulated in memory: the tests' fake Slack and the
 * sandbox's stand-in are both this. `handle` serves `/api/<method>`, `/upload/<id>` and shared files' `/files/<id>`; `events`
 * tells listeners (the sandbox page) about messages, ephemerals and modals as they happen.
 */
export interface SlackStandin {
  /** Serve a request if it is for the Web API, an upload or a response_url; false if it is not ours. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  /** Where upload URLs point: this server's base URL, ending in `/`. */
  setBase(base: string): void;
  /** 'message' (FakeMessage, new or edited), 'ephemeral' (StandinEphemeral), 'modal' ({ trigger_id, view_id, view }). */
  readonly events: EventEmitter;
  /** Ephemeral messages received, oldest first. */
  readonly ephemerals: StandinEphemeral[];
  /** Every Web API call and response_url post received, in order (including failed ones). */
  readonly calls: FakeSlackCall[];
  /** Messages accepted on response_urls, oldest first (the ephemeral ones are in `ephemerals` too). */
  readonly responses: StandinResponse[];
  /** Every file upload received. */
  readonly uploads: FakeUpload[];
  /** Workflow step executions completed (functions.completeSuccess / completeError), oldest first. */
  readonly completions: FunctionCompletion[];
  /** Calls to one method, in order. */
  callsTo(method: string): FakeSlackCall[];
  /** Polls every 20 ms until `predicate(calls)` holds; throws listing the methods called so far on timeout. */
  waitFor(predicate: (calls: FakeSlackCall[]) => boolean, timeoutMs?: number): Promise<void>;
  /** Makes the next `times` calls to `method` fail (429 with Retry-After, `{ok:false,error}`, or a 5xx). */
  failNext(method: string, spec?: FailureSpec): void;
  /** Makes the next `times` calls to `method` answer only after `ms` milliseconds: Slack being slow. */
  slowNext(method: string, ms: number, times?: number): void;
  /** A response_url for a command `to.user` typed in `to.channel`, as Slack puts in a command's payload. */
  responseUrl(to: ResponseTarget): string;
  /**
   * Calls and response_url posts Slack refused because of what was sent: a missing or wrong token,
   * invalid Block Kit, no `text`, an unknown method. Failures made with `failNext` or `setDown` are not.
   */
  refusals(): FakeSlackCall[];
  /** While down, every request answers HTTP 503. */
  setDown(down: boolean): void;
  /** Sets the members returned by `usergroups.users.list` for `id`. */
  setUsergroup(id: string, users: string[]): void;
  /** Sets the profile returned by `users.info` for `id` (otherwise derived from the id). */
  setUser(id: string, user: FakeUser): void;
  /** The App Home `user` was last published (views.publish), if any. */
  home(user: string): Record<string, unknown> | undefined;
  /** Names a channel (conversations.info; the sandbox page shows it). */
  setChannelName(id: string, name: string): void;
  /** The channel's name: as set, or made from its ID. */
  channelName(id: string): string;
  /** Current top-level messages of a channel (latest text/blocks after updates), oldest first. */
  messages(channel: string): FakeMessage[];
  /** Replies in a thread, oldest first. */
  thread(channel: string, ts: string): FakeMessage[];
  /** Forgets calls, messages, uploads, completions, responses, failures, slow answers, users, usergroups, Homes, channel names and the down flag. */
  reset(): void;
}

/** A stand-in with empty memory that takes calls with `opts.token`; `setBase` before handing out upload URLs and response_urls. */
export function createSlackStandin(opts: SlackStandinOptions): SlackStandin {
  const state = createStandinState();
  const { events, ephemerals, uploads, completions, usergroups, users, channels, threads, pendingUploads } = state;
  const calls: FakeSlackCall[] = [];
  const failures = new Map<string, FailureSpec[]>();
  const slow = new Map<string, { ms: number; times: number }[]>();
  const responses = responseUrls(state);
  let down = false;

  const handlers: Handlers = {
    ...authHandlers(),
    ...chatHandlers(state),
    ...viewsHandlers(state),
    ...usersHandlers(state),
    ...usergroupsHandlers(state),
    ...conversationsHandlers(state),
    ...filesHandlers(state),
    ...functionsHandlers(state),
  };

  const send = (res: ServerResponse, reply: Reply): void => {
    const status = reply.status ?? 200;
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...reply.headers });
    res.end(JSON.stringify(reply.body));
  };

  /** Records how the call was answered. */
  const answered = (call: FakeSlackCall, reply: Reply, injected: boolean): void => {
    call.status = reply.status ?? 200;
    if (reply.body.ok === false) {
      call.error = String(reply.body.error);
      const errors = reply.body.errors ?? (reply.body.response_metadata as { messages?: unknown } | undefined)?.messages;
      if (Array.isArray(errors)) call.errors = errors.map(String);
    }
    if (injected) call.injected = true;
  };

  /** Waits as long as `slowNext` asked for this method. */
  const lag = async (method: string): Promise<void> => {
    const queue = slow.get(method);
    const next = queue?.[0];
    if (!queue || !next) return;
    if (--next.times <= 0) queue.shift();
    await new Promise((r) => setTimeout(r, next.ms));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const url = new URL(req.url ?? '/', 'http://fake.local');
    if (!/^\/(api|upload|response|files)\//.test(url.pathname)) return false;
    const raw = await readBody(req);

    const responseMatch = /^\/response\/([^/]+)$/.exec(url.pathname);
    if (responseMatch?.[1]) {
      // Bolt posts JSON; a form with a `payload` field is taken too.
      const args = await parseArgs(req, raw, new URLSearchParams());
      const body = typeof args.payload === 'string' ? (JSON.parse(args.payload) as Record<string, unknown>) : args;
      const call: FakeSlackCall = { method: 'response_url', args: body, at: Date.now(), token: undefined, status: 200 };
      calls.push(call);
      const reply: Reply = down ? { status: 503, body: { ok: false, error: 'service_unavailable' } } : responses.post(decodeURIComponent(responseMatch[1]), body);
      answered(call, reply, down);
      send(res, reply);
      return true;
    }

    // A shared file's url_private: its bytes, shown as text (the bot shares CSV exports).
    const fileMatch = /^\/files\/([^/]+)$/.exec(url.pathname);
    if (fileMatch?.[1]) {
      const file = uploads.find((u) => u.fileId === decodeURIComponent(fileMatch[1]!) && u.completed);
      if (!file) return (res.writeHead(404).end('file_not_found'), true);
      const name = file.filename.replace(/[^\w.-]/g, '_');
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-disposition': `inline; filename="${name}"`, 'x-content-type-options': 'nosniff' });
      res.end(file.bytes);
      return true;
    }

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
    await lag(method);

    const injected: (Reply & { applied?: boolean }) | undefined = down ? { status: 503, body: { ok: false, error: 'service_unavailable' } } : takeFailure(failures, method);
    // A failure `applied` after the fact: Slack took the call, and its answer was lost.
    if (injected?.applied) answer(method, call.token, args);
    const reply = injected ?? answer(method, call.token, args);
    answered(call, reply, injected !== undefined);
    send(res, reply);
    return true;
  };

  /** The method's answer, once the token is the bot's. */
  const answer = (method: string, token: string | undefined, args: Record<string, unknown>): Reply => {
    const handler = handlers[method];
    if (!handler) return fail('unknown_method');
    if (!token) return fail('not_authed');
    if (token !== opts.token) return fail('invalid_auth');
    return handler(args);
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
    responses: responses.received,
    uploads,
    completions,
    callsTo: (method) => calls.filter((c) => c.method === method),
    async waitFor(predicate, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (predicate(calls)) return;
        if (Date.now() >= deadline) {
          const seen = calls.map((c) => (c.error ? `${c.method}(${c.error})` : c.status === 200 ? c.method : `${c.method}(${c.status})`)).join(', ') || '(none)';
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
    slowNext(method, ms, times = 1) {
      const queue = slow.get(method) ?? [];
      queue.push({ ms, times });
      slow.set(method, queue);
    },
    responseUrl: (to) => responses.create(to),
    refusals: () => calls.filter((c) => !c.injected && c.error !== undefined && APP_MISTAKES.has(c.error)),
    setDown(value) {
      down = value;
    },
    setUsergroup(id, members) {
      usergroups.set(id, [...members]);
    },
    setUser(id, user) {
      users.set(id, { ...user });
    },
    home: (user) => state.homes.get(user),
    setChannelName(id, name) {
      state.channelNames.set(id, name);
    },
    channelName: (id) => channelName(state, id),
    messages: (channel) => (channels.get(channel) ?? []).map((m) => ({ ...m })),
    thread: (channel, ts) => (threads.get(`${channel}:${ts}`) ?? []).map((m) => ({ ...m })),
    reset() {
      calls.length = 0;
      uploads.length = 0;
      completions.length = 0;
      failures.clear();
      slow.clear();
      responses.reset();
      usergroups.clear();
      users.clear();
      channels.clear();
      threads.clear();
      pendingUploads.clear();
      state.homes.clear();
      state.channelNames.clear();
      ephemerals.length = 0;
      down = false;
      events.emit('reset');
    },
  };
}
