/**
 * What the Slack Web API stand-in records and serves: calls, messages, uploads, users, ephemerals,
 * and how to make a method fail. Re-exported by ../slack-standin.ts.
 */

/**
 * One recorded Web API call, or one post to a response_url (method `response_url`, args the
 * posted JSON). `status` is the HTTP status the fake answered with.
 */
export interface FakeSlackCall {
  method: string;
  args: Record<string, unknown>;
  at: number;
  /** Bearer token from the Authorization header (or the `token` body field), if any. */
  token: string | undefined;
  status: number;
  /** The `error` of an `{ ok: false }` answer: `invalid_blocks`, `invalid_auth`, … */
  error?: string;
  /** What Slack found wrong, with JSON pointers (`invalid_blocks`, `invalid_arguments`). */
  errors?: string[];
  /** Answered by `failNext` or the outage switch rather than by the method itself. */
  injected?: boolean;
}

/** Where a response_url leads: the channel and user of the command it was handed out with. */
export interface ResponseTarget {
  channel: string;
  user: string;
}

/** A message posted to a response_url and accepted. */
export interface StandinResponse extends ResponseTarget {
  /** The response_url's ID (its last path segment). */
  id: string;
  /** `ephemeral` (the default) or `in_channel`. */
  response_type: 'ephemeral' | 'in_channel';
  replace_original?: boolean;
  delete_original?: boolean;
  text?: string;
  blocks?: unknown[];
  at: number;
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
  /** Files shared with the message (files.completeUploadExternal with a channel): id, name, title, size, url_private. */
  files?: unknown[];
  thread_ts?: string;
  metadata?: unknown;
}

/** A workflow step execution the app completed: with outputs (completeSuccess) or an error (completeError). */
export type FunctionCompletion = { executionId: string; at: number } & ({ outputs: Record<string, unknown> } | { error: string });

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

/** How the next call(s) to a method should fail; see `SlackStandin.failNext` (../slack-standin.ts). */
export interface FailureSpec {
  /** HTTP status. 429 adds a `Retry-After` header. Default: 200 when `error` is set, 429 when only `retryAfterSec` is set, else 500. */
  status?: number;
  /** Slack error code answered as `{ ok: false, error }`. */
  error?: string;
  /** `Retry-After` seconds for 429 answers (default 1). */
  retryAfterSec?: number;
  /** How many consecutive calls fail (default 1). */
  times?: number;
  /** The call takes effect and only its answer fails (a response lost on the way back). */
  applied?: boolean;
}

/** Simple user profile served by `users.info`. */
export interface FakeUser {
  name?: string;
  real_name?: string;
  display_name?: string;
  /** IANA time zone (default "UTC"); null: the profile has none, as a user Slack cannot place. */
  tz?: string | null;
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
