/**
 * Who may do what, from the policy file: operators, approvers (users and user groups), freeze
 * windows and their overrides. Answers are refusals in plain words, or nothing when allowed.
 */
import type { Directory } from '../policy/directory.js';
import { actionSpec } from '../domain/actions.js';
import { isApiActor, type EntityKind } from '../domain/entity.js';
import type { FreezeOverride } from '../domain/approval.js';
import type { Policy } from '../policy/policy.js';
import { slackDate } from '../text.js';

export type { FreezeOverride };

/**
 * A freeze check's answer: go ahead (with the override that lets it through, if any), or not.
 * `ask`: the override is an operator's, so it goes to the approvers as an approval request and
 * runs through the freeze only once they approve it.
 */
export type FreezeCheck = { ok: true; override?: FreezeOverride; ask?: boolean } | { ok: false; reason: string };

export class Governance {
  constructor(
    readonly policy: Policy,
    private readonly directory: Pick<Directory, 'includes'>,
  ) {}

  /** May `user` create tasks and jobs and run operations? */
  async operatorRefusal(user: string): Promise<string | undefined> {
    // An API token is not a person: its own scope (environments, actions) was checked where the
    // request came in (api/auth.ts), and approvals still apply to what it asks for.
    if (isApiActor(user)) return undefined;
    const operators = this.policy.operators;
    if (!operators || (await this.directory.includes(operators, user))) return undefined;
    return 'You are not an operator, so you cannot create or run releases. Ask to be added to `operators` in the policy file.';
  }

  async isApprover(env: string, user: string): Promise<boolean> {
    const approvers = this.policy.approvers(env);
    return !!approvers && (await this.directory.includes(approvers, user));
  }

  /**
   * A freeze window stops releases unless someone overrides it with a reason. Who may, so that no
   * combination of roles deadlocks: an approver of the environment overrides directly; an operator
   * who is not one asks, and the override becomes an approval request the approvers decide (the
   * gate checked they are an operator); where the environment has no approvers, an operator
   * overrides directly. An API token never overrides: that takes a person's judgement. The
   * refusal tells each person the way that works for them. `overridable` is false for what takes
   * no --override (creating a job).
   */
  async freeze(kind: EntityKind, action: string, env: string, user: string, override: string | undefined, now: Date, overridable = true): Promise<FreezeCheck> {
    const window = this.policy.freezeAt(kind, action, env, now);
    if (!window) return { ok: true };
    const frozen = `${env} is frozen (${window}): no ${actionSpec(kind, action)?.frozen?.what ?? action} until ${slackDate(window.split('/')[1]!)}.`;
    const approvers = this.policy.approvers(env);
    if (isApiActor(user)) return { ok: false, reason: `${frozen} An API token never overrides a freeze: a person can, in Slack, with \`--override "reason"\`.` };
    if (!overridable) return { ok: false, reason: `${frozen} Try again after the window.` };
    const approver = !!approvers && (await this.isApprover(env, user));
    if (!override) return { ok: false, reason: `${frozen} ${this.overrideHint(kind, env, approvers !== undefined, approver)}` };
    return { ok: true, override: { by: user, reason: override, window }, ...(approvers && !approver ? { ask: true } : {}) };
  }

  /** What `--override "reason"` does for this person: the way through the freeze that works for them. */
  private overrideHint(kind: EntityKind, env: string, hasApprovers: boolean, approver: boolean): string {
    const flag = `\`${kind === 'task' ? '/release' : '/bluegreen'} … --override "reason"\``;
    if (!hasApprovers) return `To go ahead anyway, add ${flag}: it goes ahead at once, with your reason in the audit.`;
    if (approver) return `As an approver for ${env} you can go ahead anyway with ${flag} (your reason goes in the audit; approvals still apply).`;
    return `To go ahead anyway, add ${flag}: the ${env} approvers are asked to approve it with your reason, and it runs through the freeze once they do.`;
  }
}
