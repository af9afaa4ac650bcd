/**
 * The operation pipeline, one for both release kinds: gate (a control's own card and not stale,
 * operator, state machine, a pending approval, the action's own check, freeze window, approval)
 * and then commit (compare-and-set write, queue the run, audit, card, thread). What differs
 * between kinds comes from the kind's descriptor (operations/kinds/); what an action is (gated?
 * frozen? its words) from the action table (domain/actions.ts).
 */
import { actionSpec, actionWords } from '../domain/actions.js';
import { decisionAfterRun, type ApprovalRequest, type ChecksOverride } from '../domain/approval.js';
import type { Notifier } from '../ports/notifier.js';
import type { OperationMetrics } from '../ports/metrics.js';
import type { AuditLog } from '../store/audit-log.js';
import { Refusal } from '../store/versioned-store.js';
import { esc, mention } from '../text.js';
import { ApprovalFlow, type Decision } from './approvals.js';
import type { FreezeOverride, Governance } from './governance.js';
import type { ActionArgs, Entity, GuardFinding, KindDescriptor } from './kind.js';
import { isApiActor } from '../domain/entity.js';
import { CHECKS_NOT_FINISHED } from '../domain/checks.js';
import { say, type Actor, type Outcome } from './outcome.js';

export interface PipelineDeps {
  audit: AuditLog;
  notifier: Notifier;
  metrics: OperationMetrics;
  governance: Governance;
  clock: () => Date;
}

/** What a click's modal asks a reason for: a freeze window in force, failing checks, or both. */
export interface OverridePrompt {
  env: string;
  window?: string;
  /** The override goes to the approvers as a request (an operator's, through a freeze). */
  asks: boolean;
  /** What the checks say ("error-rate 0.5 is not below 0.01"). */
  checks?: string;
}

/** What runs an action once it is allowed: the requester, and the approval it ran on, if any. */
interface Execution {
  requester: Actor;
  approval?: ApprovalRequest;
  override?: FreezeOverride;
  approvers: string[];
  /** What a --force goes ahead over, for the audit and the thread. */
  forced?: string;
  /** Failing checks an approver went ahead over, with their reason. */
  checks?: ChecksOverride;
}

export class OperationPipeline<E extends Entity, A extends string> {
  private readonly approvals: ApprovalFlow<E>;

  constructor(
    private readonly kind: KindDescriptor<E, A>,
    private readonly d: PipelineDeps,
  ) {
    this.approvals = new ApprovalFlow({ kind, governance: d.governance, audit: d.audit, notifier: d.notifier, clock: d.clock });
  }

  /** A person asks for `action` on entity `id` (a command or a card control). */
  async act(id: string, action: A, actor: Actor, opts: ActionArgs & { override?: string } = {}): Promise<Outcome> {
    const outcome = await this.gate(id, action, actor, opts);
    this.count(action, outcome);
    return outcome;
  }

  async approve(id: string, actor: Actor): Promise<Outcome> {
    const outcome = await this.decided(await this.approvals.approve(id, actor), actor);
    this.count('approve', outcome);
    return outcome;
  }

  async reject(id: string, actor: Actor, reason: string | undefined): Promise<Outcome> {
    const outcome = await this.approvals.reject(id, actor, reason);
    this.count('reject', outcome);
    return outcome;
  }

  /** Why a control on a card may not act on `entity` (another card's, or stale), if so: for controls outside the pipeline's actions. */
  cardRefusal(entity: E, actor: Actor, action: string): Promise<Outcome | undefined> {
    return this.approvals.cardRefusal(entity, actor, action);
  }

  /**
   * A card control for `action` that only a freeze or failing checks stand in the way of, for
   * someone who may go ahead anyway: the window, what the checks say, and whether the override
   * goes to the approvers (`asks`). The listener then asks for a reason in a modal instead of
   * refusing after the click; anything else (neither, another refusal) is left to the action.
   */
  async overridePrompt(id: string, action: A, actor: Actor): Promise<OverridePrompt | undefined> {
    const k = this.kind;
    const entity = await k.store.get(id);
    if (!entity || entity.approval || !actionSpec(k.kind, action)?.frozen) return undefined;
    // The usual case, no window in force and nothing held: none of the checks below is worth a read.
    const frozen = this.d.governance.policy.freezeAt(k.kind, action, entity.env, this.d.clock());
    const held = k.held?.(entity, action);
    if (!frozen && !held) return undefined;
    if (actor.cardVersion !== undefined && actor.cardVersion !== k.cardVersion(entity)) return undefined;
    if ((await this.d.governance.operatorRefusal(actor.user)) || !k.transition(entity, action).ok) return undefined;
    if (held && (await this.reasonRefusal(entity.env, actor.user, '(asked)', held))) return undefined;
    const checks = held ? { checks: held.overrides } : {};
    if (!frozen) return { env: entity.env, asks: false, ...checks };
    const check = await this.d.governance.freeze(k.kind, action, entity.env, actor.user, '(asked)', this.d.clock());
    return check.ok && check.override ? { env: entity.env, window: check.override.window, asks: check.ask === true, ...checks } : undefined;
  }

  /** Why `actor` may not reject the approval request on `id` now, if so (asked before the reason modal opens). */
  rejectRefusal(id: string, actor: Actor): Promise<Outcome | undefined> {
    return this.approvals.rejectRefusal(id, actor);
  }

  private count(op: string, outcome: Outcome): void {
    this.d.metrics.operation(this.kind.metric(op), outcome.changed ? 'accepted' : 'refused');
  }

  /** Its own card and not stale, operator, state machine, pending approval, the action's check, freeze, approval: then commit. */
  private async gate(id: string, action: A, actor: Actor, opts: ActionArgs & { override?: string }): Promise<Outcome> {
    const k = this.kind;
    const entity = await k.store.get(id);
    if (!entity) return k.notFound(id);
    const early = await this.preflight(entity, action, actor);
    if (early) return early;
    const args = { image: opts.image, revision: opts.revision, scheduled: opts.scheduled, user: actor.user };
    const prepared = k.prepare(entity, action, args, this.d.clock());
    if (prepared instanceof Refusal) return say(prepared.reason);
    // Who may force is checked whenever --force is given: a request may run later, when it matters.
    if (opts.force) {
      const refusal = await this.forceRefusal(entity.env, actor.user, action);
      if (refusal) return say(refusal);
    }
    // Failing checks: an approver goes ahead with a reason, not with --force.
    const held = k.held?.(entity, action);
    let checks: { checks: ChecksOverride } | Record<string, never> = {};
    if (held) {
      const refusal = await this.reasonRefusal(entity.env, actor.user, opts.override, held);
      if (refusal) return say(refusal);
      checks = { checks: { by: actor.user, reason: opts.override!, failing: held.overrides } };
    }
    const guard = await k.guard?.(entity, action);
    if (guard && !opts.force) return say(guard.refusal);
    const forced = guard ? { forced: guard.overrides } : {};
    const freeze = await this.d.governance.freeze(k.kind, action, entity.env, actor.user, opts.override, this.d.clock());
    if (!freeze.ok) return say(freeze.reason);
    const override = freeze.override ? { override: freeze.override } : {};
    // An operator's override of a freeze on an environment with approvers is theirs to decide,
    // whether the action needs approval anyway or not (a resume, an Update Version).
    const policy = this.d.governance.policy;
    const needed = freeze.ask ? policy.approvals(entity.env) : policy.approvalsNeeded(k.kind, action, entity.env);
    if (needed > 0) {
      const again = this.approvals.retryApproved(entity, action, opts.revision, opts.force === true);
      if (again) return this.decided(again, actor);
      const revision = opts.revision !== undefined ? { revision: opts.revision } : {};
      const image = opts.image ? { image: opts.image } : {};
      const checksOverride = 'checks' in checks ? { checksOverride: checks.checks } : {};
      return this.approvals.request(entity, actor, { action, needed, ...revision, ...image, ...(opts.force ? { force: true } : {}), ...override, ...checksOverride });
    }
    // A forced run skips the worker's own check only when there was something to force over.
    return this.commit(entity, action, { requester: actor, approvers: [], ...override, ...forced, ...checks }, { ...opts, force: !!guard && opts.force === true });
  }

  /**
   * Why `user` may not go ahead over failing checks: it takes a reason, and a person's judgement
   * (an approver of the environment; where it has none, an operator). Undefined: they may.
   */
  private async reasonRefusal(env: string, user: string, reason: string | undefined, found: GuardFinding): Promise<string | undefined> {
    const cmd = this.kind.kind === 'task' ? '/release' : '/bluegreen';
    if (isApiActor(user)) return `${found.refusal} An API token never goes ahead over failing checks: an approver can, in Slack.`;
    const approvers = this.d.governance.policy.approvers(env);
    const approver = !approvers || (await this.d.governance.isApprover(env, user));
    if (!approver) return `${found.refusal} Only an approver for ${env} can go ahead anyway, with a reason.`;
    if (!reason?.trim()) return `${found.refusal} To go ahead anyway, give your reason: \`${cmd} … --override "reason"\` (it goes in the audit).`;
    return undefined;
  }

  /**
   * Why `actor` may not ask for `action` on `id` now, before anything is prepared: for a control
   * that first opens a modal (Update Version asks for the image), so a refusal comes at the click.
   */
  async actRefusal(id: string, action: A, actor: Actor): Promise<Outcome | undefined> {
    const entity = await this.kind.store.get(id);
    return entity ? this.preflight(entity, action, actor) : this.kind.notFound(id);
  }

  /** Its own card and not stale, operator, state machine, no other request pending: the checks that need no arguments. */
  private async preflight(entity: E, action: A, actor: Actor): Promise<Outcome | undefined> {
    const k = this.kind;
    // A control acts only on its own card, and one on an outdated card may mean something else now.
    const card = await this.approvals.cardRefusal(entity, actor, action);
    if (card) return card;
    const refusal = await this.d.governance.operatorRefusal(actor.user);
    if (refusal) return say(refusal);
    const tr = k.transition(entity, action);
    if (!tr.ok) return say(tr.reason);
    // A pending request would be left behind by anything else that moves the entity.
    if (entity.approval && entity.approval.action !== action) {
      return say(`${entity.name} is awaiting approval to ${actionWords(k.kind, entity.approval)}: approve or reject that first.`);
    }
    return undefined;
  }

  /** --force goes over other people's releases: where an environment has approvers, only they may. */
  private async forceRefusal(env: string, user: string, action: string): Promise<string | undefined> {
    if (!this.d.governance.policy.approvers(env) || (await this.d.governance.isApprover(env, user))) return undefined;
    return `Only an approver for ${env} can ${actionWords(this.kind.kind, { action })} with --force.`;
  }

  /** An approval decision: its answer, or the approved operation run as its requester. */
  private async decided(decision: Decision<E>, actor: Actor): Promise<Outcome> {
    if ('outcome' in decision) return decision.outcome;
    const { entity, request, approvers } = decision.run;
    // Time has passed since the request: look again at what the action would go over.
    const held = this.kind.held?.(entity, request.action as A);
    if (held && (!request.checksOverride || !sameHold(request.checksOverride.failing, held.overrides))) {
      const since = request.checksOverride ? ' The checks changed since it was asked for.' : '';
      return say(`${held.refusal}${since} The approved request stays open: reject it, then ask again (an approver can, with --override "reason").`);
    }
    const guard = await this.kind.guard?.(entity, request.action as A);
    if (guard && !request.force) return say(`${guard.refusal} The approved request stays open: reject it first, then ask again with --force.`);
    const x: Execution = {
      requester: { user: request.requestedBy, channel: actor.channel }, approval: request, approvers,
      ...(request.override ? { override: request.override } : {}), ...(guard ? { forced: guard.overrides } : {}),
      ...(held && request.checksOverride ? { checks: { ...request.checksOverride, failing: held.overrides } } : {}),
    };
    const args = {
      ...(request.revision !== undefined ? { revision: request.revision } : {}), ...(request.image ? { image: request.image } : {}),
      ...(guard && request.force ? { force: true } : {}),
    };
    return this.commit(entity, request.action as A, x, args);
  }

  /** Carry the action out, holding what it needs (locks) while it commits. */
  private commit(entity: E, action: A, x: Execution, args: ActionArgs): Promise<Outcome> {
    const removal = this.kind.removal;
    if (removal?.by(action)) return this.remove(entity, action, x.requester, removal.text);
    const write = () => this.write(entity.id, action, x, args);
    return this.kind.hold ? this.kind.hold(entity, action, write) : write();
  }

  /** Compare-and-set the change, then queue, audit and notify. */
  private async write(id: string, action: A, x: Execution, args: ActionArgs): Promise<Outcome> {
    const k = this.kind;
    const now = this.d.clock();
    const gated = actionSpec(k.kind, action)?.gated ?? false;
    const r = await k.store.update(id, (e) => {
      // An approved action runs only while its request stands; it closes the request as it starts.
      if (x.approval && e.approval?.requestedAt !== x.approval.requestedAt) return new Refusal(`The approval request on ${e.name} was closed meanwhile.`);
      const tr = k.transition(e, action);
      if (!tr.ok) return new Refusal(tr.reason);
      // The checks may have moved on since the gate read them (a worker's sample): an override of
      // checks still running does not cover checks that failed meanwhile.
      const held = k.held?.(e, action);
      if (held && (!x.checks || !sameHold(x.checks.failing, held.overrides))) return new Refusal(`${held.refusal} (The checks changed while this was asked; look again.)`);
      const next = k.prepare(e, action, { ...args, user: x.requester.user, ...(x.checks ? { overChecks: true } : {}) }, now);
      if (next instanceof Refusal) return next;
      // Who approved it (or overrode the freeze) stays on the card after the run starts.
      const decision = decisionAfterRun(e.decision, { action, gated, requester: x.requester.user, approvers: x.approvers, ...(x.approval ? { approval: x.approval } : {}), ...(x.override ? { override: x.override } : {}), at: now.toISOString() });
      const { approval, decision: _last, ...rest } = next;
      return { ...rest, ...(approval && !x.approval ? { approval } : {}), ...(decision ? { decision } : {}), status: tr.to } as E;
    });
    if (!r.ok) return r.task ? say(r.reason) : k.notFound(id);
    const e = r.task;
    await k.enqueue(e, action);
    const detail = [
      k.auditDetail?.(e) ?? '',
      x.approvers.length ? `approved by ${x.approvers.join(', ')}` : '',
      x.override ? `freeze ${x.override.window} overridden by ${x.override.by}: ${x.override.reason}` : '',
      x.forced ? `forced over: ${x.forced}` : '',
      x.checks ? `checks overridden by ${x.checks.by} (${x.checks.failing}): ${x.checks.reason}` : '',
    ].filter(Boolean).join('; ');
    await this.d.audit.record({
      at: now.toISOString(), actor: x.requester.user, action, target: e.id, env: e.env, from: r.before.status, to: e.status, ...(detail ? { detail } : {}),
    });
    // A person asked for this (a click, a command, their schedule): the card answers at once.
    await this.d.notifier.cardChanged(k.ref(e.id), { urgent: true });
    const approved = x.approvers.length ? `, approved by ${x.approvers.map(mention).join(', ')}` : '';
    const overridden = x.override ? ` (freeze overridden by ${mention(x.override.by)}: ${esc(x.override.reason)})` : '';
    const forced = x.forced ? `. Forced over: ${esc(x.forced)}` : '';
    const checks = x.checks ? `. Checks overridden by ${mention(x.checks.by)} (${esc(x.checks.failing)}): ${esc(x.checks.reason)}` : '';
    await this.d.notifier.thread(k.ref(e.id), k.startedText(action, e, x.requester.user, { before: r.before, args }) + approved + overridden + forced + checks);
    return say(`${k.label(e)} is now ${e.status}.`, true);
  }

  /** An action that ends the entity: delete at the version checked, so a racing start wins or loses cleanly. */
  private async remove(entity: E, action: A, actor: Actor, words: NonNullable<KindDescriptor<E, A>['removal']>['text']): Promise<Outcome> {
    const k = this.kind;
    let current = entity;
    for (;;) {
      const check = k.transition(current, action);
      if (!check.ok) return say(check.reason);
      if (await k.store.deleteAt(current.id, current.version)) break;
      const again = await k.store.get(entity.id);
      if (!again) return k.notFound(entity.id);
      current = again;
    }
    await this.kind.removal?.removed?.(current);
    await this.d.audit.record({ at: this.d.clock().toISOString(), actor: actor.user, action, target: entity.id, env: entity.env, from: current.status });
    const text = words(current, actor);
    await this.d.notifier.cardClosed(k.ref(entity.id), current.channel, text.card, text.thread);
    return say(text.reply, true);
  }
}

/**
 * Do two holds mean the same? An override of checks still running covers checks still running
 * (their values move with each sample), not checks that failed since; one of failing checks covers
 * the same failure.
 */
function sameHold(overridden: string, now: string): boolean {
  const running = (t: string) => t.startsWith(CHECKS_NOT_FINISHED);
  return running(overridden) ? running(now) : overridden === now;
}
