/**
 * What the policy file means, as pure answers: which operations need approval where, how many,
 * which freeze window is in force. Which actions are gated or stopped by a freeze is the action
 * table's to say (domain/actions.ts); the file says where and by whom. Membership (users and
 * user groups) is the Directory's job.
 */
import { actionSpec } from '../domain/actions.js';
import type { CheckSpec } from '../domain/checks.js';
import { matchesEnvironment } from '../domain/environments.js';
import type { EntityKind } from '../domain/entity.js';
import type { ApiTokenPolicy, EnvironmentPolicy, LinksPolicy, PolicyFile, WebhookPolicy } from './policy-file.js';

/** A check samples this often unless it says `interval`. */
export const DEFAULT_CHECK_INTERVAL_MS = 10_000;

export class Policy {
  constructor(private readonly file: PolicyFile = {}) {}

  get configured(): boolean {
    return Object.keys(this.file).length > 0;
  }

  /** Who may create and operate; undefined means everyone. */
  get operators(): readonly string[] | undefined {
    return this.file.operators;
  }

  /** The HTTP API's tokens (none: the API answers 401 to everything). */
  get apiTokens(): readonly ApiTokenPolicy[] {
    return this.file.apiTokens ?? [];
  }

  /** The environments the file declares (names and globs), or undefined when it declares none. */
  get declared(): string[] | undefined {
    const keys = Object.keys(this.file.environments ?? {});
    return keys.length ? keys : undefined;
  }

  /** The policy of `name`: its own entry, else the first glob entry (`preview-*`) it matches. */
  env(name: string): EnvironmentPolicy {
    const envs = this.file.environments ?? {};
    if (Object.hasOwn(envs, name)) return envs[name]!;
    const glob = Object.keys(envs).find((key) => key.includes('*') && matchesEnvironment(key, name));
    return glob ? envs[glob]! : {};
  }

  /** Where cards for `env` go; undefined means the command's channel. */
  channel(env: string): string | undefined {
    return this.env(env).channel;
  }

  /** Where to POST when a task or job of `env` comes to rest; none unless the file lists some. */
  webhooks(env: string): readonly WebhookPolicy[] {
    return this.env(env).webhooks ?? [];
  }

  /** Channels told in one line when a task or job of `env` comes to rest; none unless the file lists some. */
  notify(env: string): readonly string[] {
    return this.env(env).notify ?? [];
  }

  /** The link templates of `env` (logs, dashboard, workload); none unless the file has some. */
  links(env: string): LinksPolicy {
    return this.env(env).links ?? {};
  }

  /** What a released component or blue-green version of `env` must pass; none unless the file lists some. */
  checks(env: string): CheckSpec[] {
    return (this.env(env).checks ?? []).map((c) => ({
      name: c.name,
      ...(c.prometheus ? { prometheus: c.prometheus, query: c.query! } : {}),
      ...(c.below !== undefined ? { below: c.below } : {}),
      ...(c.above !== undefined ? { above: c.above } : {}),
      ...(c.http ? { http: c.http } : {}),
      forMs: c.for ?? 0,
      intervalMs: c.interval ?? DEFAULT_CHECK_INTERVAL_MS,
    }));
  }

  /** Blue-green: ms the old version is kept after Release while checks watch the new one (0: deleted at once). */
  keepOldForMs(env: string): number {
    return this.env(env).keepOldFor ?? 0;
  }

  approvers(env: string): readonly string[] | undefined {
    return this.env(env).approvers;
  }

  /** Distinct approvals `action` needs on `env`; 0 when it needs none. */
  approvalsNeeded(kind: EntityKind, action: string, env: string): number {
    return actionSpec(kind, action)?.gated ? this.approvals(env) : 0;
  }

  /** Distinct approvals a request on `env` needs (a gated action, or an operator's freeze override); 0 without approvers. */
  approvals(env: string): number {
    const e = this.env(env);
    return e.approvers ? (e.approvals ?? 1) : 0;
  }

  /**
   * May `user` not approve what `createdBy` created and `requestedBy` asked for on `env`? Where
   * approvers must be distinct, neither of them may.
   */
  barredFromApproving(env: string, user: string, createdBy: string, requestedBy: string): boolean {
    return this.distinctApprover(env) && (user === createdBy || user === requestedBy);
  }

  /** Whoever created the task or job may not approve it (default: true). */
  distinctApprover(env: string): boolean {
    return this.env(env).distinctApprover ?? true;
  }

  /** The freeze window `action` on `env` falls in at `now`, if any. */
  freezeAt(kind: EntityKind, action: string, env: string, now: Date): string | undefined {
    if (!actionSpec(kind, action)?.frozen) return undefined;
    return (this.env(env).freeze ?? []).find((w) => {
      const [from, to] = w.split('/') as [string, string];
      return Date.parse(from) <= now.getTime() && now.getTime() < Date.parse(to);
    });
  }
}
