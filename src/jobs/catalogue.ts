/**
 * The typed job catalogue: every job name, its queue and its payload. Handlers are typed as
 * `Record<JobName, …>`, so a job without a handler does not compile.
 */
import type { EntityRef } from '../domain/entity.js';
import type { SettledEvent } from '../domain/settled-event.js';


export const QUEUES = {
  /** Release work: one orchestrator job per task run or blue-green operation. */
  releases: 'releases',
  /** Slack Web API calls, rate limited and retried apart from release work. */
  slack: 'slack',
  /**
   * What follows a release coming to rest, for listeners outside Slack (webhooks): apart from
   * release work and Slack calls, so a slow receiver holds up neither.
   */
  events: 'events',
} as const;
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];


/** Runs (or resumes after a crash) run number `run` of a release task. */
export interface TaskRunPayload {
  taskId: string;
  run: number;
}

/** Carries out (or resumes) the operation a blue-green job is in: Progressing, Promoting, Terminating. */
export interface BlueGreenRunPayload {
  jobId: string;
  run: number;
}

/**
 * Start a release task as scheduled (`/release start --at`), a delayed job. It runs only if the
 * task's schedule is still the one that queued it (the job's ID): not after a cancel, a new time
 * or a start by hand.
 */
export interface ScheduledStartPayload {
  taskId: string;
  /** When it was meant to run (ISO 8601). */
  at: string;
  /** Who asked: the start runs as them. */
  by: string;
}

/** Post or edit a status card from its entity's current state. */
export interface CardPayload {
  ref: EntityRef;
  /** Only the job queued at creation posts the card; the others edit it. */
  post?: boolean;
}

/** The entity is gone (deleted, or never came to be): the card says so, loses its buttons, and a thread reply tells why. */
export interface CardClosedPayload {
  ref: EntityRef;
  /** Where to say it if the card was never posted. */
  channel: string;
  text: string;
  thread: string;
}

/** Post the replies waiting in the card's outbox, oldest first. */
export interface ThreadPayload {
  ref: EntityRef;
}

/** A message only `user` sees. */
export interface EphemeralPayload {
  channel: string;
  user: string;
  text: string;
}

/** A file for `user`, shared in `channel` (audit exports). */
export interface UploadPayload {
  channel: string;
  user: string;
  filename: string;
  title: string;
  content: string;
}

/** Finish a Workflow Builder step's execution (functions.completeSuccess, or completeError). */
export interface FunctionCompletePayload {
  executionId: string;
  outputs?: Record<string, string>;
  error?: string;
}

/** Publish `user`'s App Home (views.publish) from the tasks and jobs as they are when it runs. */
export interface HomePayload {
  user: string;
}

/** Cards changed: queue a Home publish for everyone who opened the Home tab lately (debounced). */
export type HomesPayload = Record<string, never>;

/**
 * A task or job came to rest: one line in a channel of its environment's `notify` list, with a
 * link to the card (asked for at delivery, when the card is surely posted).
 */
export interface NotifyPayload {
  channel: string;
  ref: EntityRef;
  name: string;
  env: string;
  /** The status it came to rest in. */
  status: string;
  /** Who started the run (or decided it, for a blue-green job). */
  by: string;
}

/** A task or job came to rest (ports/release-events.ts): tell its listeners, each with a job of its own. */
export interface SettledPayload {
  ref: EntityRef;
  status: string;
  run: number;
}

/**
 * POST `event` to one webhook of `env`'s policy. The URL and its secret are read from the policy
 * at delivery (the entry at `index`, or the one whose URL hashes to `urlHash` if the list moved),
 * so neither is stored in Redis.
 */
export interface WebhookPayload {
  env: string;
  index: number;
  /** sha256 of the URL, hex, first 16 characters. */
  urlHash: string;
  event: SettledEvent;
}

export interface JobPayloads {
  'task.run': TaskRunPayload;
  'bluegreen.run': BlueGreenRunPayload;
  'task.scheduled-start': ScheduledStartPayload;
  'slack.card': CardPayload;
  'slack.card-closed': CardClosedPayload;
  'slack.thread': ThreadPayload;
  'slack.ephemeral': EphemeralPayload;
  'slack.upload': UploadPayload;
  'slack.function-complete': FunctionCompletePayload;
  'slack.home': HomePayload;
  'slack.homes': HomesPayload;
  'slack.notify': NotifyPayload;
  'events.settled': SettledPayload;
  'webhook.deliver': WebhookPayload;
}
export type JobName = keyof JobPayloads;

export const JOB_QUEUE: Record<JobName, QueueName> = {
  'task.run': QUEUES.releases,
  'bluegreen.run': QUEUES.releases,
  'task.scheduled-start': QUEUES.releases,
  'slack.card': QUEUES.slack,
  'slack.card-closed': QUEUES.slack,
  'slack.thread': QUEUES.slack,
  'slack.ephemeral': QUEUES.slack,
  'slack.upload': QUEUES.slack,
  'slack.function-complete': QUEUES.slack,
  'slack.home': QUEUES.slack,
  'slack.homes': QUEUES.slack,
  'slack.notify': QUEUES.slack,
  'events.settled': QUEUES.events,
  'webhook.deliver': QUEUES.events,
};
