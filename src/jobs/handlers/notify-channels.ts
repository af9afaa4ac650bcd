/**
 * The settled listener for `notify` channels (policy file, per environment): when a task or job
 * comes to rest, each channel listed for its environment gets a one-line summary with a link to
 * the card (slack/delivery.ts, 'slack.notify'). A job per channel on the slack queue: rate
 * limited and retried there, and a channel the bot is not in never holds up a release.
 */
import type { Policy } from '../../policy/policy.js';
import type { NotifyPayload } from '../catalogue.js';
import type { JobQueues } from '../queues.js';
import type { Settled, SettledListener } from './settled.js';

/** Slack errors other than rate limits: a few tries, then the line is dropped. */
const NOTIFY_RETRY = { attempts: 5, backoff: { type: 'exponential', delay: 1000 } } as const;

/** Who the line credits: who started the task's run; for a job, who decided it, else who brought the version up. */
export function settledBy(s: Settled): string {
  if (s.kind === 'task') return s.task.startedBy ?? s.task.createdBy;
  const j = s.job;
  return j.pending?.decidedBy ?? j.pending?.by ?? j.history.at(-1)?.by ?? j.createdBy;
}

/** What one notify channel is told about `s` (the card's link is added at delivery). */
export function notifyPayload(s: Settled, channel: string): NotifyPayload {
  const e = s.kind === 'task' ? s.task : s.job;
  const ref = s.kind === 'task' ? { kind: 'task' as const, id: e.id } : { kind: 'bluegreen' as const, id: e.id };
  return { channel, ref, name: e.name, env: e.env, status: s.status, by: settledBy(s) };
}

export function notifyListener(d: { policy: Pick<Policy, 'notify'>; queues: Pick<JobQueues, 'enqueue'> }): SettledListener {
  return async (settled, eventId) => {
    const e = settled.kind === 'task' ? settled.task : settled.job;
    // The card's own channel has the card and its thread already.
    const channels = [...new Set(d.policy.notify(e.env))].filter((c) => c !== e.channel);
    await Promise.all(channels.map((channel) =>
      d.queues.enqueue('slack.notify', notifyPayload(settled, channel), { ...NOTIFY_RETRY, jobId: `${eventId}-notify-${channel}` })));
  };
}
