/**
 * The metrics ports: what operations and workers count. Implemented by http/metrics.ts, which
 * serves the counts at /metrics.
 */
export interface OperationMetrics {
  /** An operation (start, suspend, bluegreen.release …) and how it ended (accepted, refused, a status). */
  operation(type: string, outcome: string): void;
}

/** How one attempt to deliver a webhook ended: delivered (2xx), retried (will be tried again), failed (given up). */
export type WebhookOutcome = 'delivered' | 'retried' | 'failed';

export interface WebhookMetrics {
  webhookDelivery(outcome: WebhookOutcome): void;
}

/** How one check sample ended: pass, fail (measured and out of bounds) or error (nothing to judge: no data, no answer). */
export type CheckOutcome = 'pass' | 'fail' | 'error';

export interface CheckMetrics {
  check(name: string, outcome: CheckOutcome): void;
}
