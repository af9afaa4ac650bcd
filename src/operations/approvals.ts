/**
 * Approval requests on tasks and jobs alike: request (the card shows Approve and Reject), approve
 * (distinct approvers; the last one needed lets the operation run), reject (with a reason in the
 * thread). Every write is compare-and-set on the entity, so double clicks count once. It never
 * runs the operation itself: it answers `{ run }` and the pipeline runs it. The checks every card
 * control passes first (its own card, not stale) are here too, as Approve and Reject are controls.
 */
import { actionWords } from '../domain/actions.js';
import { stillAsked, type Approval, type ApprovalDecision, type ApprovalRequest, type ChecksOverride } from '../domain/approval.js';
import type { CardPlace, Notifier } from '../ports/notifier.js';
import type { AuditLog } from '../store/audit-log.js';
import { Refusal } from '../store/versioned-store.js';
import { esc, mention } from '../text.js';
import type { FreezeOverride, Governance } from './governance.js';
import type { Entity, KindDescriptor } from './kind.js';
import { say, type Actor, type Outcome } from './outcome.js';

export interface ApprovalFlowDeps<T extends Entity> {
  kind: KindDescriptor<T, string>;
  governance: Governance;
  audit: AuditLog;
  notifier: Notifier;
  clock: () => Date;
}

/** An approved request the pipeline should run now; it clears `approval` in the write that starts it. */
export interface ApprovedRun<T> {
  entity: T;
  request: ApprovalRequest;
  approvers: string[];
}

/** Either the answer, or an approved operation to run. */
export type Decision<T> = { outcome: Outcome } | { run: ApprovedRun<T> };

export class ApprovalFlow<T extends Entity> {
  constructor(private readonly d: ApprovalFlowDeps<T>) {}

  private describe(req: Pick<ApprovalRequest, 'action' | 'revision' | 'force' | 'image'>): string {
    return actionWords(this.d.kind.kind, req);
  }

  async request(
    entity: T,
    actor: Actor,
    ask: { action: string; needed: number; revision?: number; image?: string; force?: boolean; override?: FreezeOverride; checksOverride?: ChecksOverride },
  ): Promise<Outcome> {
    const now = this.d.clock().toISOString();
    const policy = this.d.governance.policy;
    const request: ApprovalRequest = {
      action: ask.action,
      ...(ask.revision !== undefined ? { revision: ask.revision } : {}),
      ...(ask.image ? { image: ask.image } : {}),
      ...(ask.force ? { force: true } : {}),
      requestedBy: actor.user,
      requestedAt: now,
      needed: ask.needed,
      approvals: [],
      // Who may approve it: not its creator or requester where approvers must be distinct.
      approvers: (policy.approvers(entity.env) ?? []).filter((ref) => !policy.barredFromApproving(entity.env, ref, entity.createdBy, actor.user)),
      ...(ask.override ? { override: ask.override } : {}),
      ...(ask.checksOverride ? { checksOverride: ask.checksOverride } : {}),
    };
    // A new request closes the story of the last one: its decision leaves the card.
    const r = await this.d.kind.store.update(entity.id, (e) => {
      if (e.approval) return new Refusal(`${e.name} is already awaiting approval to ${this.describe(e.approval)} (${progress(e.approval)}).`);
      const { decision: _last, ...rest } = e;
      return { ...(rest as T), approval: request };
    });
    if (!r.ok) return say(r.reason);
    const what = this.describe(request);
    await this.d.audit.record({
      at: now,
      actor: actor.user,
      action: 'approval-requested',
      target: entity.id,
      env: entity.env,
      detail: `${ask.action}${ask.revision !== undefined ? ` rev ${ask.revision}` : ''}${ask.image ? ` ${ask.image}` : ''}${ask.force ? ' --force' : ''}${ask.override ? `; freeze ${ask.override.window} overridden: ${ask.override.reason}` : ''}${ask.checksOverride ? `; checks overridden (${ask.checksOverride.failing}): ${ask.checksOverride.reason}` : ''}`,
    });
    await this.d.notifier.cardChanged(this.d.kind.ref(entity.id), { urgent: true });
    // Every approver who can approve is mentioned, so Slack tells them (a group's mention tells its members).
    const asked = stillAsked(request);
    const who = asked.length ? asked.map(mention).join(', ') : `the ${entity.env} approvers`;
    const through = request.override ? ` through the freeze (${request.override.window})` : '';
    const reason = request.override ? `. Reason: ${esc(request.override.reason)}` : '';
    const overChecks = request.checksOverride ? `. Over failing checks (${esc(request.checksOverride.failing)}), because: ${esc(request.checksOverride.reason)}` : '';
    await this.d.notifier.thread(this.d.kind.ref(entity.id), `Approval requested by ${mention(actor.user)} to ${what}${through}: needs ${count(ask.needed)} from ${who}${reason}${overChecks}`);
    const runs = request.override ? ' It runs through the freeze once they approve.' : '';
    return say(`Waiting for approval: to ${what}${through}, ${entity.name} needs ${count(ask.needed)} from ${who}. They can use Approve on the card.${runs}`, true);
  }

  async approve(id: string, actor: Actor): Promise<Decision<T>> {
    const answer = (outcome: Outcome) => ({ outcome });
    const entity = await this.d.kind.store.get(id);
    if (!entity) return answer(this.d.kind.notFound(id));
    const refusal = await this.cardRefusal(entity, actor, 'approve');
    if (refusal) return answer(refusal);
    const req = entity.approval;
    if (!req) return answer(say(`Nothing on ${entity.name} is awaiting approval.`));
    if (!(await this.d.governance.isApprover(entity.env, actor.user))) return answer(say(`You are not an approver for ${entity.env}, so you cannot approve this.`));
    if (this.d.governance.policy.barredFromApproving(entity.env, actor.user, entity.createdBy, req.requestedBy)) {
      const did = actor.user === entity.createdBy ? 'created' : 'asked for';
      return answer(say(`You ${did} this, so someone else must approve it (distinct approvers are required on ${entity.env}).`));
    }
    // A freeze that began after the request stops it too, unless the request overrode one.
    const frozen = this.frozenRefusal(entity, req);
    if (frozen) return answer(frozen);
    // Approved in full but could not run then (a component was busy): any approver may try again.
    if (isApproved(req)) return { run: { entity, request: req, approvers: req.approvals.map((a) => a.user) } };
    const approval: Approval = { user: actor.user, at: this.d.clock().toISOString() };
    const r = await this.d.kind.store.update(id, (e) => {
      if (!e.approval || e.approval.requestedAt !== req.requestedAt) return new Refusal(`Nothing on ${e.name} is awaiting approval any more.`);
      if (isApproved(e.approval)) return new Refusal(`${e.name} has the approvals it needs already.`);
      if (e.approval.approvals.some((a) => a.user === actor.user)) {
        return new Refusal(`You have already approved this; it needs ${count(e.approval.needed - e.approval.approvals.length)} more.`);
      }
      return { ...e, approval: { ...e.approval, approvals: [...e.approval.approvals, approval] } };
    });
    if (!r.ok) return answer(say(r.reason));
    const updated = r.task.approval!;
    await this.d.audit.record({ at: approval.at, actor: actor.user, action: 'approve', target: id, env: entity.env, detail: `${this.describe(updated)} (${progress(updated)})` });
    if (updated.approvals.length < updated.needed) {
      await this.d.notifier.cardChanged(this.d.kind.ref(id), { urgent: true });
      await this.d.notifier.thread(this.d.kind.ref(id), `Approved by ${mention(actor.user)} (${progress(updated)})`);
      return answer(say(`Approved (${progress(updated)}); it needs ${count(updated.needed - updated.approvals.length)} more.`, true));
    }
    return { run: { entity: r.task, request: updated, approvers: updated.approvals.map((a) => a.user) } };
  }

  /**
   * The requester asking again for an action that is approved in full but could not run then:
   * run it now (undefined when there is no such request).
   */
  retryApproved(entity: T, action: string, revision?: number, force = false): Decision<T> | undefined {
    const req = entity.approval;
    // Only the same request again: a rollback approved to rev 2 is not a rollback to rev 3, nor one with --force.
    if (!req || req.action !== action || req.revision !== revision || (req.force ?? false) !== force || !isApproved(req)) return undefined;
    const frozen = this.frozenRefusal(entity, req);
    return frozen ? { outcome: frozen } : { run: { entity, request: req, approvers: req.approvals.map((a) => a.user) } };
  }

  private frozenRefusal(entity: T, req: ApprovalRequest): Outcome | undefined {
    const window = this.d.governance.policy.freezeAt(this.d.kind.kind, req.action, entity.env, this.d.clock());
    if (!window || req.override) return undefined;
    return say(
      `${entity.env} is frozen (${window}) since this was asked for: it cannot ${this.describe(req)} now. ` +
        `Reject it, and ask again after the window or with --override "reason".`,
    );
  }

  /** Why `actor` may not reject now, if they may not (checked before asking them for a reason). */
  async rejectRefusal(id: string, actor: Actor): Promise<Outcome | undefined> {
    const entity = await this.d.kind.store.get(id);
    if (!entity) return this.d.kind.notFound(id);
    const refusal = await this.cardRefusal(entity, actor, 'reject');
    if (refusal) return refusal;
    if (!entity.approval) return say(`Nothing on ${entity.name} is awaiting approval.`);
    if (!(await this.d.governance.isApprover(entity.env, actor.user))) return say(`You are not an approver for ${entity.env}, so you cannot reject this.`);
    return undefined;
  }

  async reject(id: string, actor: Actor, reason: string | undefined): Promise<Outcome> {
    const refusal = await this.rejectRefusal(id, actor);
    if (refusal) return refusal;
    const entity = (await this.d.kind.store.get(id))!;
    const req = entity.approval!;
    const at = this.d.clock().toISOString();
    const decision: ApprovalDecision = {
      outcome: 'rejected', action: req.action, ...(req.revision !== undefined ? { revision: req.revision } : {}), ...(req.force ? { force: true } : {}),
      by: [actor.user], requestedBy: req.requestedBy, at, ...(reason?.trim() ? { reason: reason.trim() } : {}), ...(req.override ? { override: req.override } : {}),
    };
    // The rejection stays on the card (who, why) until the next request or run.
    const r = await this.d.kind.store.update(id, (e) => {
      if (!e.approval || e.approval.requestedAt !== req.requestedAt) return new Refusal(`Nothing on ${e.name} is awaiting approval any more.`);
      const { approval: _gone, ...rest } = e;
      return { ...(rest as T), decision };
    });
    if (!r.ok) return say(r.reason);
    const why = esc(reason?.trim() || 'no reason given');
    await this.d.audit.record({ at, actor: actor.user, action: 'reject', target: id, env: entity.env, detail: `${this.describe(req)}: ${why}` });
    await this.d.notifier.cardChanged(this.d.kind.ref(id), { urgent: true });
    await this.d.notifier.thread(this.d.kind.ref(id), `Rejected by ${mention(actor.user)}: ${why}. ${mention(req.requestedBy)}, the request to ${this.describe(req)} is closed.`);
    return say(`Rejected: ${entity.name} will not ${this.describe(req)}.`, true);
  }

  /**
   * What a card control must pass before anything else: it acts only on its own card (the entity
   * it names is the one whose card was clicked), and only as the card is now (not stale).
   */
  async cardRefusal(entity: T, actor: Actor, action: string): Promise<Outcome | undefined> {
    return (await this.foreignCardRefusal(entity, actor, action)) ?? (await this.staleRefusal(entity, actor));
  }

  /**
   * A control whose value names another entity than the card it was clicked on (an edited value,
   * another channel, another message, or an entity with no card) is refused, and the refusal
   * audited: who, which entity, where the click came from and where the card is.
   */
  private async foreignCardRefusal(entity: T, actor: Actor, action: string): Promise<Outcome | undefined> {
    if (!actor.card) return undefined;
    const card = await this.d.notifier.cardAt(this.d.kind.ref(entity.id));
    if (card && card.channel === actor.card.channel && card.ts === actor.card.ts) return undefined;
    await this.d.audit.record({
      at: this.d.clock().toISOString(),
      actor: actor.user,
      action: 'click-refused',
      target: entity.id,
      env: entity.env,
      detail: `${action} clicked on ${place(actor.card)}, ${card ? `but its card is ${place(card)}` : 'but it has no card'}`,
    });
    return say(FOREIGN_CARD);
  }

  /** A click from a card older than the entity is refused, and the card brought up to date. */
  private async staleRefusal(entity: T, actor: Actor): Promise<Outcome | undefined> {
    if (actor.cardVersion === undefined || actor.cardVersion === this.d.kind.cardVersion(entity)) return undefined;
    await this.d.notifier.cardChanged(this.d.kind.ref(entity.id), { urgent: true });
    const waiting = entity.approval ? `, awaiting approval to ${this.describe(entity.approval)} (${progress(entity.approval)})` : '';
    return say(`That card was out of date: ${this.d.kind.state(entity)} now${waiting}. The card has been refreshed.`);
  }
}

/** What a control from another card is told: the value, channel or message does not match. */
export const FOREIGN_CARD = 'That control belongs to another card; nothing was done.';

/** "C0RELEASES 1712345678.000100", for the audit. */
function place(p: CardPlace): string {
  return `${p.channel || '(no channel)'} ${p.ts || '(no message)'}`;
}

function isApproved(req: ApprovalRequest): boolean {
  return req.approvals.length >= req.needed;
}

export function progress(req: ApprovalRequest): string {
  return `${req.approvals.length}/${req.needed}`;
}

function count(n: number): string {
  return n === 1 ? '1 approval' : `${n} approvals`;
}
