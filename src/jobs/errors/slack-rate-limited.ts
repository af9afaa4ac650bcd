/**
 * Thrown by a handler when Slack says 429. The worker host turns it into a queue-wide pause of
 * `retryAfterMs` (BullMQ's `worker.rateLimit`), so every Slack call waits, not just this one.
 * Kept in a file of its own, as BullMQ keeps DelayedError: the thrower (slack/delivery.ts) and
 * the catcher (jobs/worker-host.ts) both import it, and neither imports the other.
 */
export class SlackRateLimited extends Error {
  override name = 'SlackRateLimited';

  constructor(readonly retryAfterMs: number) {
    super(`Slack rate limited: retry after ${retryAfterMs} ms`);
  }
}
