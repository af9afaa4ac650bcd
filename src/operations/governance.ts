/**
 * Who may do what, from the policy file: operators, approvers (users and user groups), freeze
 * windows and their overrides. Answers are refusals in plain words, or nothing when allowed.
 */
import type { Directory } from '../policy/directory.js';
import { actionSpec } from '../domain/actions.js';
import { isApiActor, type EntityKind } from '../domain/entity.js';
import type { Policy } from '../policy/policy.js';

export interface FreezeOverride {
  by: string;
  reason: string;
  window: string;
}

export type FreezeCheck = { ok: true; override?: FreezeOverride } | { ok: false; reason: string };

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
   * A freeze window stops releases unless an approver overrides it with a reason (where an
   * environment has no approvers, an operator may).
   */
  async freeze(kind: EntityKind, action: string, env: string, user: string, override: string | undefined, now: Date): Promise<FreezeCheck> {
    const window = this.policy.freezeAt(kind, action, env, now);
    if (!window) return { ok: true };
    const until = window.split('/')[1];
    const flag = kind === 'task' ? '/release' : '/bluegreen';
    if (!override) {
      return {
        ok: false,
        reason: `${env} is frozen (${window}): no ${actionSpec(kind, action)?.frozen?.what ?? action} until ${until}. An approver for ${env} can go ahead with \`${flag} … --override "reason"\`.`,
      };
    }
    // A token never overrides a freeze: that takes a person's judgement.
    const allowed = isApiActor(user) ? false : this.policy.approvers(env) ? await this.isApprover(env, user) : !(await this.operatorRefusal(user));
    if (!allowed) return { ok: false, reason: `${env} is frozen (${window}): only an approver for ${env} can override the freeze.` };
    return { ok: true, override: { by: user, reason: override, window } };
  }
}
