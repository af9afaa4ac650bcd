/**
 * The action table: every action a person can take on a release task or a blue-green job, and
 * what the rest of the bot needs to know about it. Gating (approvals), freezes, the words in
 * messages and on cards, whether a card control may carry it, and its help line all come from
 * here, so a new action is one row (plus its rule in the kind's state machine, the kind's
 * descriptor in operations/ and, if it gets one, a card button). Pure data.
 */
import type { EntityKind } from './entity.js';

export interface ActionSpec {
  /** On an environment with approvers, the action waits for approval. */
  gated: boolean;
  /** A freeze window stops it; `what` names what the window stops ("no releases until …"). */
  frozen?: { what: string };
  /** The action in words, after "to": "start the release", "Terminate Release". */
  words: string;
  /** A card control may carry it (the action listener refuses anything else). */
  control: boolean;
  /** What it does, for the command's help. */
  help: string;
  /** It takes --force: what that goes ahead over, for the help. */
  force?: string;
}

const RELEASES = { what: 'releases' };

export const ACTIONS = {
  task: {
    start: { gated: true, frozen: RELEASES, words: 'start the release', control: true, help: 'start releasing a task that is To release' },
    suspend: { gated: false, words: 'suspend', control: true, help: 'pause a releasing task' },
    resume: { gated: false, frozen: RELEASES, words: 'resume the release', control: true, help: 'continue a suspended task' },
    retry: { gated: true, frozen: RELEASES, words: 'retry', control: true, help: 'release the failed and never-started components again' },
    rollback: {
      gated: true, frozen: { what: 'rollbacks' }, words: 'roll back', control: true, help: 'return an upgrade to the previous images',
      force: 'also components changed since the task released them',
    },
    delete: { gated: false, words: 'delete the task', control: true, help: 'delete a task that is not running' },
  },
  bluegreen: {
    create: { gated: false, frozen: { what: 'new jobs' }, words: 'create the job', control: false, help: 'create a job and bring up its first version' },
    // Not a control: no button value carries an image. The card's Update Version button opens a
    // modal that asks for one (slack/listeners/actions), and its submission runs the command.
    update: { gated: false, frozen: { what: 'version updates' }, words: 'Update Version', control: false, help: 'Update Version' },
    release: {
      gated: true, frozen: RELEASES, words: 'Release', control: true,
      help: 'Release: the new version receives the traffic and the old one is deleted (where the environment has checks, once they pass; --override "reason" lets an approver go ahead anyway)',
    },
    terminate: {
      gated: true, words: 'Terminate Release', control: true,
      help: 'Terminate Release: the new version is deleted; the traffic stays where it is',
    },
    rollback: {
      gated: true, frozen: { what: 'rollbacks' }, words: 'Rollback', control: true, help: 'bring a historical version back up',
      force: 'even if what serves was changed outside the bot',
    },
    // Stops tracking the job; the workload is not touched, so neither a gate nor a freeze applies.
    delete: {
      gated: false, words: 'delete the job', control: true,
      help: 'stop tracking a Healthy job: the job and its card go, the workload keeps running as it is',
    },
  },
} as const satisfies Record<EntityKind, Record<string, ActionSpec>>;

/** What users ask of a release task (commands and card buttons). */
export type TaskAction = keyof typeof ACTIONS.task;
/** What users ask of an existing blue-green job (create makes one, so it is not among them). */
export type JobAction = Exclude<keyof typeof ACTIONS.bluegreen, 'create'>;

/** The blue-green actions a card control may carry. */
export type JobControl = { [K in JobAction]: (typeof ACTIONS.bluegreen)[K]['control'] extends true ? K : never }[JobAction];

export const TASK_ACTIONS = Object.keys(ACTIONS.task) as TaskAction[];
export const JOB_ACTIONS = (Object.keys(ACTIONS.bluegreen) as (keyof typeof ACTIONS.bluegreen)[]).filter(
  (a): a is JobAction => a !== 'create',
);

export const JOB_CONTROLS = JOB_ACTIONS.filter((a): a is JobControl => ACTIONS.bluegreen[a].control);

/** The row of `action` on `kind`, or undefined for a word that is not an action there. */
export function actionSpec(kind: EntityKind, action: string): ActionSpec | undefined {
  const table: Record<string, ActionSpec> = ACTIONS[kind];
  return Object.hasOwn(table, action) ? table[action] : undefined;
}

/**
 * The waiting or running action in words: "start the release", "Terminate Release",
 * "Rollback to rev 3" (a blue-green rollback names its revision, an Update Version its image),
 * "roll back with --force".
 */
export function actionWords(kind: EntityKind, req: { action: string; revision?: number; force?: boolean; image?: string }): string {
  const words = actionSpec(kind, req.action)?.words ?? req.action;
  const to = kind === 'bluegreen' && req.action === 'rollback' && req.revision !== undefined ? ` to rev ${req.revision}` : req.image ? ` to ${req.image}` : '';
  // Approvers must see that a request goes ahead over newer changes.
  return `${words}${to}${req.force ? ' with --force' : ''}`;
}
