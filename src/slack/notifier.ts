/**
 * The notifier (implements ports/notifier.ts): it only queues jobs; the slack queue's worker
 * (slack/delivery.ts) makes the calls, so a Slack outage never blocks a release.
 */
import type { EntityRef } from '../domain/entity.js';
import type { JobQueues } from '../jobs/queues.js';
import type { CardChange, CardPlace, Notifier, UploadRequest, WorkflowStepResult } from '../ports/notifier.js';
import type { CardStore } from '../store/card-store.js';
import type { HomeOpeners } from '../store/home-openers.js';

/** Where a card's channel and ts are kept: the task ID, or `bg:<job name>`. */
export function cardKey(ref: EntityRef): string {
  return ref.kind === 'task' ? ref.id : `bg:${ref.id}`;
}

/** Slack errors that are not rate limits are retried with backoff: 1 s doubling, ~17 minutes in all. */
const RETRY = { attempts: 11, backoff: { type: 'exponential', delay: 1000 } } as const;

/**
 * Card changes within this window refresh the open Homes once: a release edits its card every
 * CARD_COALESCE_MS, and a Home costs a views.publish per person who looks at it.
 */
export const HOME_REFRESH_MS = 2000;

export class QueueNotifier implements Notifier {
  constructor(
    private readonly queues: JobQueues,
    private readonly cards: CardStore,
    private readonly coalesceMs: number,
    /** Who opened the App Home lately; without it Homes are published on open only. */
    private readonly homes?: HomeOpeners,
  ) {}

  async cardCreated(ref: EntityRef): Promise<void> {
    await this.queues.enqueue('slack.card', { ref, post: true }, RETRY);
    await this.homesChanged();
  }

  async cardChanged(ref: EntityRef, opts: CardChange = {}): Promise<void> {
    // A person is looking at the card they just clicked: no delay and no deduplication, so a
    // pending coalesced edit (deduplicated, delayed) cannot swallow this one, and ahead of what
    // waits on the slack queue (lifo: a card edit renders the state as it is then, so taking it
    // first reorders nothing a reader sees). The 'slack.card' handler still holds it back if
    // the card was edited within the window (rate limits).
    // Otherwise the edit waits out the window and renders the entity as it is then, so every
    // change made within the window (deduplicated into this one job) is on the card.
    const coalesce =
      this.coalesceMs > 0 ? { delay: this.coalesceMs, deduplication: { id: `card-${cardKey(ref)}`, ttl: this.coalesceMs } } : {};
    await this.queues.enqueue('slack.card', { ref }, { ...RETRY, ...(opts.urgent ? { lifo: true } : coalesce) });
    // Either way the Homes that may list it are told (a person's request is what an approver's Home waits for).
    await this.homesChanged();
  }

  async cardClosed(ref: EntityRef, channel: string, text: string, thread: string): Promise<void> {
    await this.queues.enqueue('slack.card-closed', { ref, channel, text, thread }, RETRY);
    await this.homesChanged();
  }

  async thread(ref: EntityRef, text: string): Promise<void> {
    // Replies wait in an ordered outbox, so a retried one never overtakes the next.
    await this.cards.pushReply(cardKey(ref), text);
    await this.queues.enqueue('slack.thread', { ref }, RETRY);
  }

  cardAt(ref: EntityRef): Promise<CardPlace | undefined> {
    return this.cards.get(cardKey(ref));
  }

  async resumeThread(ref: EntityRef): Promise<void> {
    await this.queues.enqueue('slack.thread', { ref }, { ...RETRY, delay: 250 });
  }

  async ephemeral(channel: string, user: string, text: string): Promise<void> {
    await this.queues.enqueue('slack.ephemeral', { channel, user, text }, { ...RETRY, attempts: 3 });
  }

  async upload(file: UploadRequest): Promise<void> {
    await this.queues.enqueue('slack.upload', file, { ...RETRY, attempts: 5 });
  }

  async homeOpened(user: string): Promise<void> {
    await this.homes?.opened(user, Date.now());
    await this.homeRefresh(user);
  }

  async homeRefresh(user: string): Promise<void> {
    // A second ask while one waits adds nothing; the short TTL lets an ask made while one is
    // being published queue the next, so the Home never keeps a stale view.
    await this.queues.enqueue('slack.home', { user }, { ...RETRY, attempts: 5, deduplication: { id: `home-${user}`, ttl: 1000 } });
  }

  /**
   * A card changed, so a Home may have too: one debounced job refreshes everyone who opened
   * their Home lately. Nobody looking (the usual case in tests and quiet teams): one Redis read.
   */
  private async homesChanged(): Promise<void> {
    if (!this.homes || !(await this.homes.any(Date.now()))) return;
    await this.queues.enqueue('slack.homes', {}, { ...RETRY, attempts: 3, delay: HOME_REFRESH_MS, deduplication: { id: 'homes', ttl: HOME_REFRESH_MS } });
  }

  async workflowStepDone(executionId: string, result: WorkflowStepResult): Promise<void> {
    // One job per execution: a step is completed once, however often its end is told.
    await this.queues.enqueue('slack.function-complete', { executionId, ...result }, { ...RETRY, jobId: `fn-${executionId}` });
  }
}
