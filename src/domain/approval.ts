/**
 * Approval requests: an operation on a protected environment waits on the task or job until
 * enough distinct approvers approve it (then it runs) or one rejects it. Pure types.
 */
import type { SlackUserId } from './entity.js';

export interface Approval {
  user: SlackUserId;
  at: string;
}

export interface ApprovalRequest {
  /** The waiting operation: start, retry or rollback (tasks); release, terminate or rollback (jobs). */
  action: string;
  /** Blue-green rollback only: the revision to roll back to. */
  revision?: number;
  requestedBy: SlackUserId;
  requestedAt: string;
  /** Distinct approvals needed. */
  needed: number;
  approvals: Approval[];
  /** Asked with --force: the rollback goes ahead over components changed since the release. */
  force?: boolean;
  /** An approver let the operation through a freeze window, with a reason. */
  override?: { by: SlackUserId; reason: string; window: string };
}
