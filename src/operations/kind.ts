/**
 * A release kind, described for the operation pipeline: its store, its state machine, how an
 * action prepares the entity and queues its run, and its words. Release tasks and blue-green jobs
 * each have one (operations/kinds/); the pipeline (gate, approvals, commit) is shared.
 */
import type { ApprovalDecision, ApprovalRequest } from '../domain/approval.js';
import type { EntityKind, EntityRef } from '../domain/entity.js';
import type { EntityStore, Refusal } from '../store/versioned-store.js';
import type { Actor, Outcome } from './outcome.js';

/** What the pipeline needs of a task or a job. */
export interface Entity {
  id: string;
  name: string;
  /** A label from its kind's state machine ("Releasing", "Paused"). */
  status: string;
  env: string;
  version: number;
  createdAt: string;
  createdBy: string;
  channel: string;
  approval?: ApprovalRequest;
  /** The last approval decision (approved, rejected, freeze overridden): the card keeps showing it. */
  decision?: ApprovalDecision;
}

/** What an action asks for beyond its name: Update Version's image, a rollback's revision. */
export interface ActionArgs {
  image?: string;
  revision?: number;
  /** --force: go ahead although the guard found something changed since (approvers only where there are approvers). */
  force?: boolean;
  /** A scheduled start firing: the job ID of the schedule it carries out (it runs only while that schedule stands). */
  scheduled?: string;
  /** An approver goes ahead over what `held` found (failing checks), with a reason. */
  overChecks?: boolean;
}

/** Why an action would undo or overwrite something newer, and what --force would override. */
export interface GuardFinding {
  refusal: string;
  /** For the audit and the thread: "c1 runs registry/c1:3.0 (put there by rt-bbbbbb)". */
  overrides: string;
}

export type Transition<S extends string> = { ok: true; to: S } | { ok: false; reason: string };

export interface KindDescriptor<E extends Entity, A extends string> {
  kind: EntityKind;
  store: EntityStore<E>;
  ref(id: string): EntityRef;
  /** Metric name of an operation: "start" for tasks, "bluegreen.release" for jobs. */
  metric(op: string): string;
  /** How replies name it: the task ID, the job's name. */
  label(e: E): string;
  /** The version its card's controls carry (stale-click detection). */
  cardVersion(e: E): number;
  /** Where it stands, for a stale click: "rt-7k2f9q is Releasing". */
  state(e: E): string;
  notFound(id: string): Outcome;
  /** The state machine: may `action` apply now, and to which status? */
  transition(e: E, action: A): Transition<E['status']>;
  /**
   * The change `action` makes besides the status (a new run, a pending version), or why it
   * cannot. Pure: the gate calls it to check, the compare-and-set write calls it again.
   */
  prepare(e: E, action: A, args: ActionArgs & { user: string }, now: Date): E | Refusal;
  /**
   * What the platform says against the action now (a rollback over a newer release), or
   * undefined. Checked when asked and again when an approved request runs.
   */
  guard?(e: E, action: A): Promise<GuardFinding | undefined>;
  /**
   * What holds `action` back that an approver may go ahead over with a reason (`--override
   * "reason"`, or the modal a click opens), not with --force: a blue-green preview whose checks
   * fail or have not finished. Pure: read off the entity.
   */
  held?(e: E, action: A): GuardFinding | undefined;
  /** After the write: queue the worker run the action needs, if any. */
  enqueue(e: E, action: A): Promise<void>;
  /** Hold what the action needs while it commits (a task's component locks); undefined: nothing to hold. */
  hold?(e: E, action: A, commit: () => Promise<Outcome>): Promise<Outcome>;
  /** Actions that end the entity rather than move it (a task's delete), and what that leaves on
   *  the card, in the thread and in the reply. */
  removal?: {
    by(action: A): boolean;
    text(e: E, actor: Actor): { card: string; thread: string; reply: string };
    /** After the delete: let go of what the entity held outside its own key (a job's release object). */
    removed?(e: E): Promise<void>;
  };
  /**
   * The thread's first words about an action that started: "Releasing started by <@U…>: …".
   * `change` is the entity before the write and the action's arguments.
   */
  startedText(action: A, e: E, user: string, change?: { before: E; args: ActionArgs }): string;
  /** Extra audit detail for an action that started (a blue-green job's new revision). */
  auditDetail?(e: E): string | undefined;
}
