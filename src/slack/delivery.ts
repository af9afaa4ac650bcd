/**
 * Handlers of the slack queue: the only place workers call the Slack Web API. Rate limits (429)
 * put the whole queue to sleep for Retry-After; other transient failures retry with backoff;
 * a permanent error (channel_not_found, not_in_channel, invalid_auth …) is logged and dropped.
 */
import { ErrorCode, type WebClient } from '@slack/web-api';
import { DelayedError, UnrecoverableError } from 'bullmq';
import type { Logger } from 'pino';
import type { KnownBlock } from '@slack/types';
import type { EntityRef } from '../domain/entity.js';
import { SlackRateLimited } from '../jobs/errors/index.js';
import type { JobHandlers } from '../jobs/worker-host.js';
import type { CardRef, CardStore } from '../store/card-store.js';
import type { Notifier } from '../ports/notifier.js';
import type { HomeOpeners } from '../store/home-openers.js';
import type { HomeSource } from './home-source.js';
import type { Permalinks } from './permalinks.js';
import { cardKey } from './notifier.js';
import { section } from './blocks/format.js';
import { settledLine } from './blocks/settled-line.js';

/** How the card of one kind of entity is rendered from its current state. */
export interface CardSource {
  /** Undefined when the entity no longer exists. */
  load(id: string): Promise<{ version: number; channel: string; text: string; blocks: KnownBlock[] } | undefined>;
}

export interface DeliveryDeps {
  client: WebClient;
  /** At most one edit per card per this many ms. */
  coalesceMs: number;
  sources: Record<EntityRef['kind'], CardSource>;
  cards: CardStore;
  notifier: Notifier;
  log: Logger;
  /** Cards' permalinks (asked once, remembered), for the notify lines. */
  permalinks: Pick<Permalinks, 'get'>;
  /** App Home: the views, and who opened theirs lately. */
  home: { source: HomeSource; openers: HomeOpeners };
}

const PERMANENT = new Set([
  'channel_not_found',
  'not_in_channel',
  'is_archived',
  'invalid_auth',
  'account_inactive',
  'token_revoked',
  'missing_scope',
  'invalid_blocks',
  'msg_too_long',
  'user_not_in_channel',
  // functions.complete*: the execution ended (completed, timed out, cancelled) or was never ours.
  'function_execution_not_found',
  'execution_not_in_running_state',
  'parameter_validation_failed',
  'access_denied',
]);

/** Call Slack, translating its errors into what the queue should do. */
async function slack<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    const e = err as { code?: string; retryAfter?: number; data?: { error?: string } };
    if (e.code === ErrorCode.RateLimitedError) throw new SlackRateLimited((e.retryAfter ?? 1) * 1000);
    if (e.code === ErrorCode.PlatformError && PERMANENT.has(e.data?.error ?? '')) {
      throw new UnrecoverableError(`Slack refused: ${e.data?.error}`);
    }
    throw err;
  }
}

/** Every card says whose it is in its message metadata, so a post whose answer was lost can be found. */
const CARD_EVENT = 'switchyard_card';
function cardMetadata(key: string) {
  return { event_type: CARD_EVENT, event_payload: { card: key } };
}

/**
 * The card of `key` that an earlier attempt posted but never stored, found in the channel's
 * history by its metadata. Without the history scope (or on any error) it is not found, and the
 * caller posts: a second card is better than none.
 */
async function lostPost(d: DeliveryDeps, key: string, channel: string): Promise<CardRef | undefined> {
  if (!(await d.cards.postAttempted(key))) return undefined;
  try {
    // The lost post went out moments ago (at most the slack queue's retry window): it is recent.
    const res = await d.client.conversations.history({ channel, include_all_metadata: true, limit: 200 });
    const found = res.messages?.find((m) => m.metadata?.event_type === CARD_EVENT && (m.metadata.event_payload as { card?: string } | undefined)?.card === key);
    if (found?.ts) d.log.warn({ card: key, ts: found.ts }, 'found a card posted by an attempt whose answer was lost: editing it instead of posting again');
    return found?.ts ? { channel, ts: found.ts } : undefined;
  } catch (err) {
    d.log.warn({ card: key, err: (err as Error).message }, 'could not look for a card posted by an earlier attempt; posting it (it may show twice)');
    return undefined;
  }
}

export function deliveryHandlers(d: DeliveryDeps): Pick<JobHandlers, `slack.${string}` & keyof JobHandlers> {
  return {
    'slack.card': async ({ ref, post }, ctx) => {
      const source = d.sources[ref.kind];
      const key = cardKey(ref);
      const stored = await d.cards.get(key);
      // Edited too recently (a retry after a 429 can bunch edits up): come back when it is time.
      const wait = stored ? (await d.cards.lastEdit(key)) + d.coalesceMs - Date.now() : 0;
      if (wait > 0) {
        await ctx.job.moveToDelayed(Date.now() + wait, ctx.token);
        throw new DelayedError();
      }
      const card = await source.load(ref.id);
      if (!card) return; // gone since: slack.card-closed takes care of the card
      const { text, blocks } = card;
      // Only the creation job posts, so a retried or racing edit can never post a second card.
      if (!stored && !post) throw new Error(`card of ${key} is not posted yet`);
      // A post whose answer was lost (the worker died, the connection dropped) may be in the
      // channel already: adopt it rather than post a second card.
      const place = stored ?? (await lostPost(d, key, card.channel));
      if (!place) {
        await d.cards.posting(key, Date.now());
        const res = await slack(() => d.client.chat.postMessage({ channel: card.channel, text, blocks, metadata: cardMetadata(key) }));
        await d.cards.set(key, { channel: res.channel ?? card.channel, ts: res.ts! });
      } else {
        if (!stored) await d.cards.set(key, place);
        await slack(() => d.client.chat.update({ channel: place.channel, ts: place.ts, text, blocks }));
      }
      await d.cards.edited(key, Date.now());
      // A change that landed while we rendered would otherwise wait for the next one.
      const latest = await source.load(ref.id);
      if (latest && latest.version !== card.version) await d.notifier.cardChanged(ref);
    },
    'slack.card-closed': async ({ ref, channel, text, thread }) => {
      const key = cardKey(ref);
      const stored = await d.cards.get(key);
      const blocks: KnownBlock[] = [section(text)];
      // Never posted (it went fast, or Slack was down): say it in a message of its own.
      if (!stored) return void (await slack(() => d.client.chat.postMessage({ channel, text: `${text}\n${thread}`, blocks })));
      await slack(() => d.client.chat.update({ channel: stored.channel, ts: stored.ts, text, blocks }));
      await slack(() => d.client.chat.postMessage({ channel: stored.channel, thread_ts: stored.ts, text: thread }));
      await d.cards.delete(key);
    },
    'slack.thread': async ({ ref }, ctx) => {
      // Replies wait in the card's outbox and go out from its head, one per job and one poster at
      // a time: they keep their order when Slack fails and jobs retry out of order, and every
      // reply passes the queue's rate limiter.
      const key = cardKey(ref);
      const owner = ctx.job.id ?? String(Math.random());
      if (!(await d.cards.claimOutbox(key, owner, 30_000))) {
        // Another job is posting; make sure a job comes back for what it leaves.
        if ((await d.cards.nextReply(key)) !== null) await d.notifier.resumeThread(ref);
        return;
      }
      try {
        const text = await d.cards.nextReply(key);
        if (text === null) return;
        const stored = await d.cards.get(key);
        if (!stored) throw new Error(`card of ${key} is not posted yet`);
        try {
          await slack(() => d.client.chat.postMessage({ channel: stored.channel, thread_ts: stored.ts, text }));
        } catch (err) {
          // Slack will never take this one: drop it rather than hold up every reply after it.
          if (err instanceof UnrecoverableError) await d.cards.replyPosted(key);
          throw err;
        }
        await d.cards.replyPosted(key);
      } finally {
        await d.cards.releaseOutbox(key, owner);
      }
      // A reply whose job was lost (out of retries) would otherwise wait for ever.
      if ((await d.cards.nextReply(key)) !== null) await d.notifier.resumeThread(ref);
    },
    'slack.ephemeral': async ({ channel, user, text }) => {
      await slack(() => d.client.chat.postEphemeral({ channel, user, text }));
    },
    'slack.function-complete': async ({ executionId, outputs, error }) => {
      // The bot token (SLACK_BOT_TOKEN) is what `client` carries: Slack takes it here as well as
      // the event's short-lived bot_access_token, which would be gone by the time a release ends.
      await slack(() =>
        error !== undefined
          ? d.client.functions.completeError({ function_execution_id: executionId, error })
          : d.client.functions.completeSuccess({ function_execution_id: executionId, outputs: outputs ?? {} }),
      );
    },
    'slack.notify': async ({ channel, ref, name, env, status, by }) => {
      // Without the link the line still says what happened; a link that fails now is not worth a retry.
      const permalink = (await d.permalinks.get(ref)) ?? undefined;
      const text = settledLine({ kind: ref.kind, id: ref.id, name, env, status, by }, permalink);
      await slack(() => d.client.chat.postMessage({ channel, text, unfurl_links: false }));
    },
    'slack.upload': async ({ channel, user, filename, title, content }) => {
      await slack(() =>
        d.client.filesUploadV2({ channel_id: channel, file: Buffer.from(content, 'utf8'), filename, title, initial_comment: `<@${user}> here is the export you asked for.` }),
      );
    },
    'slack.home': async ({ user }) => {
      const view = await d.home.source.view(user);
      await slack(() => d.client.views.publish({ user_id: user, view }));
    },
    'slack.homes': async () => {
      // One publish job per person (each deduplicated and rate limited like every Slack call).
      for (const user of await d.home.openers.recent(Date.now())) await d.notifier.homeRefresh(user);
    },
  };
}
