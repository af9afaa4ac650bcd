/**
 * What a request to /slack/events must be before any listener sees it, as pure checks: signed
 * with our secret within 5 minutes of now (either way), at most 1 MB, form-encoded for slash
 * commands and interactivity (JSON only for the Events API), and the shape Slack sends. Each
 * refusal says its HTTP status and why; slack/edge/receiver.ts answers with them.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { parse as parseQuery } from 'node:querystring';
import { z } from 'zod';

export const MAX_BODY_BYTES = 1024 * 1024;
export const MAX_CLOCK_SKEW_S = 5 * 60;

export interface Refusal {
  status: 400 | 401 | 413 | 415;
  reason: string;
}

/** The headers Slack signs with, read before the body. */
export interface Signed {
  timestamp: string;
  signature: string;
}

export type Headers = Record<string, string | string[] | undefined>;

function header(headers: Headers, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Signature headers present and the timestamp within 5 minutes of `nowSec`, before reading a byte. */
export function checkSignedHeaders(headers: Headers, nowSec: number): Signed | Refusal {
  const timestamp = header(headers, 'x-slack-request-timestamp');
  const signature = header(headers, 'x-slack-signature');
  if (!timestamp || !signature) return { status: 401, reason: 'not signed' };
  if (!/^\d{1,12}$/.test(timestamp)) return { status: 401, reason: 'timestamp is not a number of seconds' };
  if (Math.abs(nowSec - Number(timestamp)) > MAX_CLOCK_SKEW_S) return { status: 401, reason: 'timestamp more than 5 minutes from now' };
  if (!/^v0=[0-9a-f]{64}$/.test(signature)) return { status: 401, reason: 'signature is not v0=<hex sha256>' };
  return { timestamp, signature };
}

/** A declared Content-Length over the limit is refused without reading the body. */
export function checkDeclaredLength(headers: Headers): Refusal | undefined {
  const declared = Number(header(headers, 'content-length') ?? 0);
  return declared > MAX_BODY_BYTES ? { status: 413, reason: `body of ${declared} bytes is over ${MAX_BODY_BYTES}` } : undefined;
}

/** `v0=hex(HMAC-SHA256(secret, "v0:" + ts + ":" + body))`, compared in constant time. */
export function signatureMatches(secret: string, signed: Signed, rawBody: Buffer): boolean {
  const expected = createHmac('sha256', secret).update(`v0:${signed.timestamp}:`).update(rawBody).digest();
  const given = Buffer.from(signed.signature.slice(3), 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** What a well-formed request is, and so which way it goes. */
export type SlackRequest =
  | { kind: 'command'; body: Record<string, unknown> }
  | { kind: 'interaction'; body: Record<string, unknown> }
  | { kind: 'event'; body: Record<string, unknown>; eventId?: string }
  | { kind: 'url_verification'; challenge: string }
  | { kind: 'ssl_check' };

const id = z.string().min(1).max(64);

const command = z.looseObject({
  command: z.string().regex(/^\/[\w-]{1,32}$/),
  text: z.string().max(4000).default(''),
  user_id: id,
  channel_id: id,
  team_id: id.optional(),
  response_url: z.string().max(2000).optional(),
  trigger_id: z.string().max(200).optional(),
});

const user = z.looseObject({ id });

/** The interaction types Slack sends, each with the fields our listeners (and Bolt) read. */
const interaction = z.discriminatedUnion('type', [
  z.looseObject({
    type: z.literal('block_actions'),
    user,
    actions: z.array(z.looseObject({ action_id: z.string().max(255), type: z.string() })).min(1).max(25),
    container: z.looseObject({ type: z.string() }).optional(),
    channel: z.looseObject({ id }).optional(),
    team: z.looseObject({ id }).nullable().optional(),
    message: z.looseObject({ ts: z.string() }).optional(),
    view: z.looseObject({ id: z.string() }).optional(),
    trigger_id: z.string().max(200).optional(),
  }),
  z.looseObject({
    type: z.literal('view_submission'),
    user,
    team: z.looseObject({ id }).nullable().optional(),
    view: z.looseObject({
      callback_id: z.string().max(255),
      private_metadata: z.string().max(3000).optional(),
      state: z.looseObject({ values: z.record(z.string(), z.record(z.string(), z.looseObject({}))) }),
    }),
  }),
  z.looseObject({ type: z.literal('view_closed'), user, view: z.looseObject({ callback_id: z.string().max(255) }) }),
  z.looseObject({ type: z.literal('shortcut'), user, callback_id: z.string().max(255) }),
  z.looseObject({ type: z.literal('message_action'), user, callback_id: z.string().max(255) }),
  z.looseObject({ type: z.literal('block_suggestion'), user, action_id: z.string().max(255) }),
]);

const event = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('url_verification'), challenge: z.string().max(200) }),
  z.looseObject({ type: z.literal('event_callback'), event_id: z.string().max(64), event: z.looseObject({ type: z.string() }) }),
  z.looseObject({ type: z.literal('app_rate_limited') }),
]);

function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

function invalid(what: string, error: z.ZodError): Refusal {
  const first = error.issues[0];
  return { status: 400, reason: `${what}: ${first ? `${first.path.join('.') || 'body'} ${first.message}` : 'invalid'}` };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Reads a verified body by its content type: a form is a slash command, an interaction
 * (`payload=<json>`) or Slack's ssl_check; JSON is the Events API only. Anything else is refused.
 */
export function readSlackRequest(contentType: string | undefined, rawBody: Buffer): SlackRequest | Refusal {
  const type = mediaType(contentType);
  const text = rawBody.toString('utf8');
  if (type === 'application/x-www-form-urlencoded') {
    const form = parseQuery(text);
    if (form.ssl_check === '1') return { kind: 'ssl_check' };
    if (typeof form.payload === 'string') {
      const payload = parseJson(form.payload);
      if (!isObject(payload)) return { status: 400, reason: 'payload is not a JSON object' };
      const checked = interaction.safeParse(payload);
      return checked.success ? { kind: 'interaction', body: payload } : invalid(`${String(payload.type ?? 'interaction')} payload`, checked.error);
    }
    if ('payload' in form) return { status: 400, reason: 'payload given more than once' };
    if ('command' in form) {
      const checked = command.safeParse(form);
      return checked.success ? { kind: 'command', body: checked.data } : invalid('slash command', checked.error);
    }
    return { status: 400, reason: 'a form that is neither a slash command nor an interaction' };
  }
  if (type === 'application/json') {
    const body = parseJson(text);
    if (!isObject(body)) return { status: 400, reason: 'body is not a JSON object' };
    if ('command' in body || 'payload' in body) return { status: 415, reason: 'Slack sends slash commands and interactions form-encoded, not as JSON' };
    const checked = event.safeParse(body);
    if (!checked.success) return invalid('event', checked.error);
    if (checked.data.type === 'url_verification') return { kind: 'url_verification', challenge: checked.data.challenge };
    return { kind: 'event', body, ...(checked.data.type === 'event_callback' ? { eventId: checked.data.event_id } : {}) };
  }
  return { status: 415, reason: `content type ${type || 'missing'}: Slack sends application/x-www-form-urlencoded (or JSON for events)` };
}

export const isRefusal = (r: object): r is Refusal => 'status' in r;
