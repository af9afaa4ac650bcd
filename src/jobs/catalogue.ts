/**
 * The typed job catalogue: every job name, its queue and its payload. Handlers are typed as
 * `Record<JobName, …>`, so a job without a handler does not compile.
 */

export const QUEUES = {
  /** Release work: one orchestrator job per task run. */
  releases: 'releases',
  /** Slack Web API calls, rate limited and retried apart from release work. */
  slack: 'slack',
} as const;
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

/** Runs (or resumes after a crash) run number `run` of a release task. */
export interface TaskRunPayload {
  taskId: string;
  run: number;
}

/** Post or edit the status card of a task from its current state. */
export interface CardPayload {
  taskId: string;
  /** Only the job queued at creation posts the card; the others edit it. */
  post?: boolean;
}

/** The task was deleted: strike the card through and drop its buttons. */
export interface CardDeletedPayload {
  taskId: string;
  name: string;
  by: string;
}

/** One reply in the card's thread. */
export interface ThreadPayload {
  taskId: string;
  text: string;
}

/** A message only `user` sees. */
export interface EphemeralPayload {
  channel: string;
  user: string;
  text: string;
}

export interface JobPayloads {
  'task.run': TaskRunPayload;
  'slack.card': CardPayload;
  'slack.card-deleted': CardDeletedPayload;
  'slack.thread': ThreadPayload;
  'slack.ephemeral': EphemeralPayload;
}
export type JobName = keyof JobPayloads;

export const JOB_QUEUE: Record<JobName, QueueName> = {
  'task.run': QUEUES.releases,
  'slack.card': QUEUES.slack,
  'slack.card-deleted': QUEUES.slack,
  'slack.thread': QUEUES.slack,
  'slack.ephemeral': QUEUES.slack,
};

export type JobsOf<Q extends QueueName> = { [K in JobName]: (typeof JOB_QUEUE)[K] extends Q ? K : never }[JobName];
