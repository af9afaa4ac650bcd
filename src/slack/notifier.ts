/**
 * The notifier: how the rest of the bot asks for Slack messages. It only queues jobs; the slack
 * queue's worker (slack/delivery.ts) makes the calls, so a Slack outage never blocks a release.
 */
import type { JobQueues } from '../jobs/queues.js';

export interface Notifier {
  /** Post the card of a newly created task. */
  cardCreated(taskId: string): Promise<void>;
  /** The task changed: edit its card (coalesced to one edit per card per CARD_COALESCE_MS). */
  cardChanged(taskId: string): Promise<void>;
  cardDeleted(taskId: string, name: string, by: string): Promise<void>;
  /** One reply in the card's thread. */
  thread(taskId: string, text: string): Promise<void>;
  /** A message only `user` sees, in `channel`. */
  ephemeral(channel: string, user: string, text: string): Promise<void>;
}

/** Slack errors that are not rate limits are retried with backoff for ~15 minutes. */
const RETRY = { attempts: 10, backoff: { type: 'exponential', delay: 1000 } } as const;

export class QueueNotifier implements Notifier {
  constructor(
    private readonly queues: JobQueues,
    private readonly coalesceMs: number,
  ) {}

  async cardCreated(taskId: string): Promise<void> {
    await this.queues.enqueue('slack.card', { taskId, post: true }, { ...RETRY, jobId: `card-post-${taskId}` });
  }

  async cardChanged(taskId: string): Promise<void> {
    // The edit waits out the window and renders the task as it is then, so every change made
    // within the window (deduplicated into this one job) is on the card.
    const coalesce =
      this.coalesceMs > 0 ? { delay: this.coalesceMs, deduplication: { id: `card-${taskId}`, ttl: this.coalesceMs } } : {};
    await this.queues.enqueue('slack.card', { taskId }, { ...RETRY, ...coalesce });
  }

  async cardDeleted(taskId: string, name: string, by: string): Promise<void> {
    await this.queues.enqueue('slack.card-deleted', { taskId, name, by }, RETRY);
  }

  async thread(taskId: string, text: string): Promise<void> {
    await this.queues.enqueue('slack.thread', { taskId, text }, RETRY);
  }

  async ephemeral(channel: string, user: string, text: string): Promise<void> {
    await this.queues.enqueue('slack.ephemeral', { channel, user, text }, { ...RETRY, attempts: 3 });
  }
}
