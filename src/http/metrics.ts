/**
 * Prometheus metrics, kept in process (each process exposes its own, as Prometheus expects):
 * operations by type and outcome, webhook deliveries by outcome, check samples by check and outcome, and the latency of acknowledging Slack requests. Queue job
 * counts are read from Redis at scrape time.
 */
import type { CheckMetrics, CheckOutcome, OperationMetrics, WebhookMetrics, WebhookOutcome } from '../ports/metrics.js';

const ACK_BUCKETS_MS = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 3000];

export class Metrics implements OperationMetrics, WebhookMetrics, CheckMetrics {
  private readonly ops = new Map<string, number>();
  private readonly api = new Map<string, number>();
  private readonly checks = new Map<string, number>();
  private readonly webhooks: Record<WebhookOutcome, number> = { delivered: 0, retried: 0, failed: 0 };
  private readonly ackBuckets = ACK_BUCKETS_MS.map(() => 0);
  private ackCount = 0;
  private ackSumMs = 0;

  /** An operation (start, suspend, release …) and how it ended (a status, "refused", "invalid"). */
  operation(type: string, outcome: string): void {
    const key = `${type}\u0000${outcome}`;
    this.ops.set(key, (this.ops.get(key) ?? 0) + 1);
  }

  /** An HTTP API request (`POST /api/v1/tasks`) and the status it was answered with. */
  apiRequest(route: string, status: number): void {
    const key = `${route}\u0000${status}`;
    this.api.set(key, (this.api.get(key) ?? 0) + 1);
  }

  /** One sample of a check (policy `checks`) and how it ended. */
  check(name: string, outcome: CheckOutcome): void {
    const key = `${name}\u0000${outcome}`;
    this.checks.set(key, (this.checks.get(key) ?? 0) + 1);
  }

  webhookDelivery(outcome: WebhookOutcome): void {
    this.webhooks[outcome]++;
  }

  observeAck(ms: number): void {
    this.ackCount++;
    this.ackSumMs += ms;
    ACK_BUCKETS_MS.forEach((le, i) => {
      if (ms <= le) this.ackBuckets[i]!++;
    });
  }

  render(queueCounts: Record<string, Record<string, number>>): string {
    const esc = (s: string) => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
    const out: string[] = [];
    out.push('# HELP switchyard_queue_jobs Jobs in each BullMQ queue by state.', '# TYPE switchyard_queue_jobs gauge');
    for (const [queue, counts] of Object.entries(queueCounts)) {
      for (const [state, n] of Object.entries(counts)) out.push(`switchyard_queue_jobs{queue="${esc(queue)}",state="${esc(state)}"} ${n}`);
    }
    out.push('# HELP switchyard_operations_total Release operations by type and outcome.', '# TYPE switchyard_operations_total counter');
    for (const [key, n] of this.ops) {
      const [type, outcome] = key.split('\u0000') as [string, string];
      out.push(`switchyard_operations_total{type="${esc(type)}",outcome="${esc(outcome)}"} ${n}`);
    }
    out.push('# HELP switchyard_api_requests_total HTTP API requests by route and status.', '# TYPE switchyard_api_requests_total counter');
    for (const [key, n] of this.api) {
      const [route, status] = key.split('\u0000') as [string, string];
      out.push(`switchyard_api_requests_total{route="${esc(route)}",status="${status}"} ${n}`);
    }
    out.push(
      '# HELP switchyard_webhook_deliveries_total Webhook delivery attempts: delivered (2xx), retried (failed, tried again) and failed (given up).',
      '# TYPE switchyard_webhook_deliveries_total counter',
    );
    for (const [outcome, n] of Object.entries(this.webhooks)) out.push(`switchyard_webhook_deliveries_total{outcome="${outcome}"} ${n}`);
    out.push('# HELP switchyard_checks_total Check samples by check and outcome: pass, fail (out of bounds) and error (no data, no answer).', '# TYPE switchyard_checks_total counter');
    for (const [key, n] of this.checks) {
      const [check, outcome] = key.split('\u0000') as [string, string];
      out.push(`switchyard_checks_total{check="${esc(check)}",outcome="${esc(outcome)}"} ${n}`);
    }
    out.push('# HELP switchyard_ack_latency_seconds Time to acknowledge a Slack request.', '# TYPE switchyard_ack_latency_seconds histogram');
    ACK_BUCKETS_MS.forEach((le, i) => out.push(`switchyard_ack_latency_seconds_bucket{le="${le / 1000}"} ${this.ackBuckets[i]}`));
    out.push(`switchyard_ack_latency_seconds_bucket{le="+Inf"} ${this.ackCount}`);
    out.push(`switchyard_ack_latency_seconds_sum ${this.ackSumMs / 1000}`, `switchyard_ack_latency_seconds_count ${this.ackCount}`);
    return out.join('\n') + '\n';
  }
}
