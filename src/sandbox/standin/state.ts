/**
 * The stand-in's memory, shared by the Web API method families: messages by channel and thread,
 * ephemerals, uploads, users and user groups; plus the answer helpers every method uses.
 */
import { EventEmitter } from 'node:events';
import type { FakeMessage, FakeUpload, FakeUser, FunctionCompletion, StandinEphemeral } from './types.js';

/** A method's arguments: query string and body fields, nested JSON decoded. */
export type Args = Record<string, unknown>;
/** A method's answer: HTTP status (default 200), extra headers, JSON body. */
export type Reply = { status?: number; headers?: Record<string, string>; body: Args };
/** Web API methods by name (`chat.postMessage`, …). */
export type Handlers = Record<string, (a: Args) => Reply>;

export const TEAM_ID = 'T0TEST';
export const BOT_USER = 'UBOT';
export const BOT_ID = 'BBOT';

/** What the methods read and write; one per stand-in. */
export interface StandinState {
  /** 'message', 'ephemeral', 'modal', 'home', 'file', 'function-complete' and 'reset', for listeners such as the sandbox page. */
  readonly events: EventEmitter;
  readonly ephemerals: StandinEphemeral[];
  readonly uploads: FakeUpload[];
  /** Workflow step executions completed (functions.completeSuccess / completeError), oldest first. */
  readonly completions: FunctionCompletion[];
  readonly usergroups: Map<string, string[]>;
  readonly users: Map<string, FakeUser>;
  /** Top-level messages by channel. */
  readonly channels: Map<string, FakeMessage[]>;
  /** Replies by `<channel>:<thread ts>`. */
  readonly threads: Map<string, FakeMessage[]>;
  /** Each user's App Home as last published (views.publish), by user ID. */
  readonly homes: Map<string, Args & { id: string }>;
  /** Channel names by ID (conversations.info); an unnamed channel gets one made from its ID. */
  readonly channelNames: Map<string, string>;
  /** Upload URLs handed out and not used yet, by file ID. */
  readonly pendingUploads: Map<string, { filename: string }>;
  /** Where upload URLs point: the server's base URL, ending in `/`. */
  base: string;
  /** 1, 2, 3, …: message timestamps and view and file IDs count on it. */
  nextSeq(): number;
  /** A new message timestamp, "1700000000.000100" and up. */
  nextTs(): string;
  /** The top-level messages of a channel (created empty). */
  topLevel(channel: string): FakeMessage[];
  /** The replies in a thread (created empty). */
  replies(channel: string, ts: string): FakeMessage[];
  /** A message of the channel, top-level or in a thread. */
  findMessage(channel: string, ts: string): FakeMessage | undefined;
}

/** Empty memory. */
export function createStandinState(): StandinState {
  const channels = new Map<string, FakeMessage[]>();
  const threads = new Map<string, FakeMessage[]>();
  let seq = 0;
  const nextSeq = (): number => ++seq;
  return {
    events: new EventEmitter(),
    ephemerals: [],
    uploads: [],
    completions: [],
    usergroups: new Map(),
    users: new Map(),
    channels,
    threads,
    homes: new Map(),
    channelNames: new Map(),
    pendingUploads: new Map(),
    base: '',
    nextSeq,
    nextTs: () => {
      const micros = nextSeq() * 100;
      return `${1_700_000_000 + Math.floor(micros / 1_000_000)}.${String(micros % 1_000_000).padStart(6, '0')}`;
    },
    topLevel: (channel) => {
      let list = channels.get(channel);
      if (!list) channels.set(channel, (list = []));
      return list;
    },
    replies: (channel, ts) => {
      const key = `${channel}:${ts}`;
      let list = threads.get(key);
      if (!list) threads.set(key, (list = []));
      return list;
    },
    findMessage: (channel, ts) => {
      const top = channels.get(channel)?.find((m) => m.ts === ts);
      if (top) return top;
      for (const [key, list] of threads) {
        if (!key.startsWith(`${channel}:`)) continue;
        const found = list.find((m) => m.ts === ts);
        if (found) return found;
      }
      return undefined;
    },
  };
}

/** `{ ok: true, …body }`. */
export const ok = (body: Args): Reply => ({ body: { ok: true, ...body } });
/** `{ ok: false, error }`, HTTP 200 as Slack answers. */
export const fail = (error: string): Reply => ({ body: { ok: false, error } });

/** A non-empty string argument (numbers as strings), else undefined. */
export function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : typeof v === 'number' ? String(v) : undefined;
}
