/**
 * Approval requests: an operation on a protected environment waits on the task or job until
 * enough distinct approvers approve it (then it runs) or one rejects it. The last decision stays
 * on the task or job, so its card keeps saying who approved or rejected it. Pure types.
 */
import type { SlackUserId } from './entity.js';

export interface Approval {
  user: SlackUserId;
  at: string;
}

/** A freeze window let through, by whom and why. */
export interface FreezeOverride {
  by: SlackUserId;
  reason: string;
  window: string;
}

/** Failing checks gone ahead over, by an approver, with a reason. */
export interface ChecksOverride {
  by: SlackUserId;
  reason: string;
  /** What the checks said: "error-rate 0.5 is not below 0.01". */
  failing: string;
}

export interface ApprovalRequest {
  /** The waiting operation: start, retry or rollback (tasks); release, terminate or rollback (jobs). */
  action: string;
  /** Blue-green rollback only: the revision to roll back to. */
  revision?: number;
  /** Blue-green Update Version only (a freeze override an operator asked for): the image. */
  image?: string;
  requestedBy: SlackUserId;
  requestedAt: string;
  /** Distinct approvals needed. */
  needed: number;
  approvals: Approval[];
  /**
   * Who was asked: the environment's approvers then (user IDs and user-group IDs), without the
   * creator and the requester where approvers must be distinct. Absent on older requests.
   */
  approvers?: string[];
  /** Asked with --force: the rollback goes ahead over components changed since the release. */
  force?: boolean;
  /**
   * The operation goes through a freeze window, with a reason: given by an approver, or asked
   * for by an operator (then the approvers' approval is what lets it through).
   */
  override?: FreezeOverride;
  /** An approver's release over the preview's failing (or unfinished) checks, with their reason. */
  checksOverride?: ChecksOverride;
}

/**
 * The last word on an operation that needed one: approved (and run), rejected, or let through a
 * freeze without approvers. Kept until the next request, or the next run it does not cover.
 */
export interface ApprovalDecision {
  outcome: 'approved' | 'rejected' | 'overridden';
  action: string;
  revision?: number;
  force?: boolean;
  /** The approvers; the rejecter; whoever overrode the freeze. */
  by: SlackUserId[];
  requestedBy: SlackUserId;
  at: string;
  /** A rejection's reason. */
  reason?: string;
  override?: FreezeOverride;
}

/** The approvers asked who have not approved yet (a group stays: another of its members may). */
export function stillAsked(req: ApprovalRequest): string[] {
  const approved = new Set(req.approvals.map((a) => a.user));
  return (req.approvers ?? []).filter((ref) => !approved.has(ref));
}

/**
 * The decision an action's run leaves on the entity: its own when it ran on approvals or through
 * a freeze; otherwise an earlier approval stays if the action is not one that needs approving
 * (a suspend or resume continues the approved release); a rejection goes.
 */
export function decisionAfterRun(
  previous: ApprovalDecision | undefined,
  run: { action: string; gated: boolean; requester: SlackUserId; approvers: SlackUserId[]; approval?: ApprovalRequest; override?: FreezeOverride; at: string },
): ApprovalDecision | undefined {
  const what: Pick<ApprovalRequest, 'action' | 'revision' | 'force'> = run.approval ?? { action: run.action };
  const base = {
    action: what.action,
    ...(what.revision !== undefined ? { revision: what.revision } : {}),
    ...(what.force ? { force: true } : {}),
    requestedBy: run.requester,
    at: run.at,
    ...(run.override ? { override: run.override } : {}),
  };
  if (run.approval && run.approvers.length > 0) return { outcome: 'approved', by: run.approvers, ...base };
  if (run.override) return { outcome: 'overridden', by: [run.override.by], ...base };
  return previous && previous.outcome !== 'rejected' && !run.gated ? previous : undefined;
}
