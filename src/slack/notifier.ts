/**
 * The notifier: how the rest of the bot asks for Slack messages. It only queues jobs; the slack
 * queue's worker (slack/delivery.ts) makes the calls, so a Slack outage never blocks a release.
 */
import type { EntityRef } from '../jobs/catalogue.js';
import type { JobQueues } from '../jobs/queues.js';
import type { CardStore } from '../store/card-store.js';

export interface Notifier {
  /** Post the card of a newly created task or job. */
  cardCreated(ref: EntityRef): Promise<void>;
  /** It changed: edit its card (coalesced to one edit per card per CARD_COALESCE_MS). */
  cardChanged(ref: EntityRef): Promise<void>;
  /** It is gone: the card shows `text` without buttons, and `thread` is replied under it. */
  cardClosed(ref: EntityRef, channel: string, text: string, thread: string): Promise<void>;
  /** One reply in the card's thread. */
  thread(ref: EntityRef, text: string): Promise<void>;
  /** Come back later for replies still waiting in the card's outbox. */
  resumeThread(ref: EntityRef): Promise<void>;
  /** A message only `user` sees, in `channel`. */
  ephemeral(channel: string, user: string, text: string): Promise<void>;
  /** Share a file in `channel` (files.uploadV2), mentioning `user`. */
  upload(file: { channel: string; user: string; filename: string; title: string; content: string }): Promise<void>;
}

/** Where a card's channel and ts are kept: the task ID, or `bg:<job name>`. */
export function cardKey(ref: EntityRef): string {
  return ref.kind === 'task' ? ref.id : `bg:${ref.id}`;
}

export const taskRef = (id: string): EntityRef => ({ kind: 'task', id });
export const jobRef = (id: string): EntityRef => ({ kind: 'bluegreen', id });

/** Slack errors that are not rate limits are retried with backoff: 1 s doubling, ~17 minutes in all. */
const RETRY = { attempts: 11, backoff: { type: 'exponential', delay: 1000 } } as const;

export class QueueNotifier implements Notifier {
  constructor(
    private readonly queues: JobQueues,
    private readonly cards: CardStore,
    private readonly coalesceMs: number,
  ) {}

  async cardCreated(ref: EntityRef): Promise<void> {
    await this.queues.enqueue('slack.card', { ref, post: true }, RETRY);
  }

  async cardChanged(ref: EntityRef): Promise<void> {
    // The edit waits out the window and renders the entity as it is then, so every change made
    // within the window (deduplicated into this one job) is on the card.
    const coalesce =
      this.coalesceMs > 0 ? { delay: this.coalesceMs, deduplication: { id: `card-${cardKey(ref)}`, ttl: this.coalesceMs } } : {};
    await this.queues.enqueue('slack.card', { ref }, { ...RETRY, ...coalesce });
  }

  async cardClosed(ref: EntityRef, channel: string, text: string, thread: string): Promise<void> {
    await this.queues.enqueue('slack.card-closed', { ref, channel, text, thread }, RETRY);
  }

  async thread(ref: EntityRef, text: string): Promise<void> {
    // Replies wait in an ordered outbox, so a retried one never overtakes the next.
    await this.cards.pushReply(cardKey(ref), text);
    await this.queues.enqueue('slack.thread', { ref }, RETRY);
  }

  async resumeThread(ref: EntityRef): Promise<void> {
    await this.queues.enqueue('slack.thread', { ref }, { ...RETRY, delay: 250 });
  }

  async ephemeral(channel: string, user: string, text: string): Promise<void> {
    await this.queues.enqueue('slack.ephemeral', { channel, user, text }, { ...RETRY, attempts: 3 });
  }

  async upload(file: { channel: string; user: string; filename: string; title: string; content: string }): Promise<void> {
    await this.queues.enqueue('slack.upload', file, { ...RETRY, attempts: 5 });
  }
}
