/**
 * Handlers of the slack queue: the only place workers call the Slack Web API. Rate limits (429)
 * put the whole queue to sleep for Retry-After; other transient failures retry with backoff;
 * a permanent error (channel_not_found, not_in_channel, invalid_auth …) is logged and dropped.
 */
import { ErrorCode, type WebClient } from '@slack/web-api';
import { UnrecoverableError } from 'bullmq';
import type { Logger } from 'pino';
import type { CardStore } from '../store/card-store.js';
import type { TaskStore } from '../store/versioned-store.js';
import type { JobHandlers } from '../jobs/worker-host.js';
import { taskCard } from './blocks/task-card.js';
import type { Notifier } from './notifier.js';

export interface DeliveryDeps {
  client: WebClient;
  tasks: TaskStore;
  cards: CardStore;
  notifier: Notifier;
  log: Logger;
  clock: () => Date;
}

/** Thrown when Slack says 429; the worker host turns it into a queue-wide pause. */
export class SlackRateLimited extends Error {
  constructor(readonly retryAfterMs: number) {
    super(`Slack rate limited: retry after ${retryAfterMs} ms`);
  }
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

export function deliveryHandlers(d: DeliveryDeps): Pick<JobHandlers, `slack.${string}` & keyof JobHandlers> {
  return {
    'slack.card': async ({ taskId, post }) => {
      const task = await d.tasks.get(taskId);
      if (!task) return; // deleted since: slack.card-deleted takes care of the card
      const ref = await d.cards.get(taskId);
      const { text, blocks } = taskCard(task, d.clock());
      if (!ref) {
        // Only the creation job posts, so a retried or racing edit can never post a second card.
        if (!post) throw new Error(`card of ${taskId} is not posted yet`);
        const res = await slack(() => d.client.chat.postMessage({ channel: task.channel, text, blocks }));
        await d.cards.set(taskId, { channel: res.channel ?? task.channel, ts: res.ts! });
      } else {
        await slack(() => d.client.chat.update({ channel: ref.channel, ts: ref.ts, text, blocks }));
      }
      // A change that landed while we rendered would otherwise wait for the next one.
      const latest = await d.tasks.get(taskId);
      if (latest && latest.version !== task.version) await d.notifier.cardChanged(taskId);
    },
    'slack.card-deleted': async ({ taskId, name, by }) => {
      const ref = await d.cards.get(taskId);
      if (!ref) return;
      const text = `~Release task ${name} (\`${taskId}\`)~ was deleted by <@${by}>.`;
      await slack(() =>
        d.client.chat.update({
          channel: ref.channel,
          ts: ref.ts,
          text,
          blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }],
        }),
      );
      await slack(() => d.client.chat.postMessage({ channel: ref.channel, thread_ts: ref.ts, text: `Deleted by <@${by}>` }));
      await d.cards.delete(taskId);
    },
    'slack.thread': async ({ taskId, text }) => {
      const ref = await d.cards.get(taskId);
      if (!ref) throw new Error(`card of ${taskId} is not posted yet`);
      await slack(() => d.client.chat.postMessage({ channel: ref.channel, thread_ts: ref.ts, text }));
    },
    'slack.ephemeral': async ({ channel, user, text }) => {
      await slack(() => d.client.chat.postEphemeral({ channel, user, text }));
    },
  };
}
