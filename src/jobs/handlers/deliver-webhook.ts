/**
 * Outgoing webhooks: per environment in the policy file, `webhooks: [{ url, secret }]` are told
 * of every task and job that comes to rest. The settled fan-out queues one `webhook.deliver` job
 * per webhook; each POSTs the event as JSON, signed the way Slack signs its requests, and retries
 * with exponential backoff until it gets a 2xx or gives up. Nothing here can affect a release.
 */
import { createHash, createHmac } from 'node:crypto';
import { UnrecoverableError } from 'bullmq';
import { settledEvent } from '../../domain/settled-event.js';
import type { WebhookPolicy } from '../../policy/policy-file.js';
import type { Policy } from '../../policy/policy.js';
import type { WebhookMetrics } from '../../ports/metrics.js';
import type { WebhookPayload } from '../catalogue.js';
import type { JobQueues } from '../queues.js';
import type { JobContext } from '../worker-host.js';
import type { SettledListener } from './settled.js';

/** A receiver gets this long to answer before the attempt counts as failed. */
export const WEBHOOK_TIMEOUT_MS = 10_000;
/** Attempts per delivery; with a 1 s backoff doubling, the last is about 2 minutes after the first. */
export const WEBHOOK_ATTEMPTS = 8;

/** `v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`: what `x-switchyard-signature` carries. */
export function webhookSignature(secret: string, timestamp: number | string, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** The headers of one delivery attempt; `delivery` is the same on every attempt, for receivers to drop repeats. */
export function webhookHeaders(secret: string, timestamp: number, body: string, delivery: string): Record<string, string> {
  return {
    'content-type': 'application/json',
    'user-agent': 'switchyard',
    'x-switchyard-timestamp': String(timestamp),
    'x-switchyard-signature': webhookSignature(secret, timestamp, body),
    'x-switchyard-delivery': delivery,
  };
}

const urlHash = (url: string) => createHash('sha256').update(url).digest('hex').slice(0, 16);

/** Where a delivery goes, for logs and errors: scheme, host and port only (a path or query may carry a token). */
const origin = (url: string) => new URL(url).origin;

/** The settled fan-out's webhook listener: one delivery job per webhook of the entity's environment. */
export function webhookListener(d: { policy: Policy; queues: JobQueues; backoffMs: number }): SettledListener {
  return async (settled, eventId) => {
    const env = settled.kind === 'task' ? settled.task.env : settled.job.env;
    const hooks = d.policy.webhooks(env);
    if (hooks.length === 0) return;
    const event = settledEvent(settled);
    await Promise.all(hooks.map((hook, index) =>
      d.queues.enqueue('webhook.deliver', { env, index, urlHash: urlHash(hook.url), event }, {
        jobId: `${eventId}-hook-${index}`,
        attempts: WEBHOOK_ATTEMPTS,
        backoff: { type: 'exponential', delay: d.backoffMs },
        // The payload holds the whole task; its ID only has to outlive the fan-out's own retries.
        removeOnComplete: { age: 3600, count: 200 },
      })));
  };
}

/** The webhook a delivery is for, as the policy has it now. */
function findHook(policy: Policy, p: WebhookPayload): WebhookPolicy | undefined {
  const hooks = policy.webhooks(p.env);
  const at = hooks[p.index];
  return at && urlHash(at.url) === p.urlHash ? at : hooks.find((h) => urlHash(h.url) === p.urlHash);
}

export function deliverWebhookHandler(d: { policy: Policy; metrics: WebhookMetrics }) {
  return async (p: WebhookPayload, ctx: JobContext): Promise<void> => {
    const hook = findHook(d.policy, p);
    if (!hook) {
      d.metrics.webhookDelivery('failed');
      throw new UnrecoverableError(`no webhook of ${p.env} in the policy file matches this delivery any more (the file changed): dropped`);
    }
    const timestamp = Math.floor(Date.now() / 1000);
    const body = JSON.stringify({ ...p.event, sentAt: new Date(timestamp * 1000).toISOString() });
    let failure: string;
    try {
      const res = await fetch(hook.url, {
        method: 'POST',
        headers: webhookHeaders(hook.secret, timestamp, body, ctx.job.id!),
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
      });
      await res.body?.cancel().catch(() => undefined); // the answer's body is not read: free the connection
      if (res.status >= 200 && res.status < 300) {
        d.metrics.webhookDelivery('delivered');
        return;
      }
      failure = `answered ${res.status}`;
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      failure = e.name === 'TimeoutError' ? `no answer within ${WEBHOOK_TIMEOUT_MS / 1000} s` : (e.cause?.code ?? e.message);
    }
    const last = ctx.job.attemptsMade + 1 >= (ctx.job.opts.attempts ?? 1);
    d.metrics.webhookDelivery(last ? 'failed' : 'retried');
    throw new Error(`webhook ${origin(hook.url)} ${failure}${last ? ': gave up' : ''}`);
  };
}
