/**
 * response_url: where an app answers a slash command (or a click) after its 3-second ack. The
 * stand-in hands URLs out (`/response/<id>`), and takes up to five posts on each, as Slack does.
 * A post is checked like any message (./block-kit.ts); an ephemeral answer becomes an ephemeral
 * message to the command's user, an in_channel one a message in its channel.
 */
import { randomBytes } from 'node:crypto';
import { messageRefusal, refusalBody } from './block-kit.js';
import { BOT_ID, BOT_USER, type Args, type Reply, type StandinState } from './state.js';
import type { FakeMessage, ResponseTarget, StandinEphemeral, StandinResponse } from './types.js';

/** Slack takes at most this many posts on one response_url. */
export const RESPONSE_URL_USES = 5;

export interface ResponseUrls {
  /** A new response_url for a command from `to.user` in `to.channel`. */
  create(to: ResponseTarget): string;
  /** Serves a post to the response_url with this ID. */
  post(id: string, body: Args): Reply;
  /** Accepted posts, oldest first. */
  readonly received: StandinResponse[];
  reset(): void;
}

export function responseUrls(s: StandinState): ResponseUrls {
  const issued = new Map<string, ResponseTarget & { uses: number }>();
  const received: StandinResponse[] = [];
  return {
    received,
    create(to) {
      const id = `R${randomBytes(8).toString('hex').toUpperCase()}`;
      issued.set(id, { ...to, uses: 0 });
      return `${s.base}response/${id}`;
    },
    post(id, body) {
      const target = issued.get(id);
      if (!target) return { status: 404, body: { ok: false, error: 'expired_url' } };
      if (target.uses >= RESPONSE_URL_USES) return { status: 404, body: { ok: false, error: 'used_url' } };
      const deleting = body.delete_original === true || body.delete_original === 'true';
      const refusal = deleting ? undefined : messageRefusal(body);
      if (refusal) return { status: 400, body: refusalBody(refusal) };
      target.uses++;
      const type = body.response_type === 'in_channel' ? 'in_channel' : 'ephemeral';
      const response: StandinResponse = { id, channel: target.channel, user: target.user, response_type: type, at: Date.now() };
      for (const key of ['replace_original', 'delete_original'] as const) {
        if (body[key] !== undefined) response[key] = body[key] === true || body[key] === 'true';
      }
      if (typeof body.text === 'string') response.text = body.text;
      if (Array.isArray(body.blocks)) response.blocks = body.blocks;
      received.push(response);
      if (!deleting) show(s, response);
      return { body: { ok: true } };
    },
    reset() {
      issued.clear();
      received.length = 0;
    },
  };
}

/** What the user sees: an ephemeral message, or a message in the channel. */
function show(s: StandinState, r: StandinResponse): void {
  const content = { ...(r.text !== undefined ? { text: r.text } : {}), ...(r.blocks ? { blocks: r.blocks } : {}) };
  if (r.response_type === 'in_channel') {
    const message: FakeMessage = { type: 'message', ts: s.nextTs(), channel: r.channel, user: BOT_USER, bot_id: BOT_ID, ...content };
    s.topLevel(r.channel).push(message);
    s.events.emit('message', { ...message });
    return;
  }
  const eph: StandinEphemeral = { id: s.nextTs(), channel: r.channel, user: r.user, at: r.at, ...content };
  s.ephemerals.push(eph);
  s.events.emit('ephemeral', eph);
}
