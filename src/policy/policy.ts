/**
 * What the policy file means, as pure answers: which operations need approval where, how many,
 * which freeze window is in force. Membership (users and user groups) is the Directory's job.
 */
import type { EnvironmentPolicy, PolicyFile } from './policy-file.js';

/** Operations that need approval on an environment with approvers. */
export const GATED = {
  task: ['start', 'retry', 'rollback'],
  bluegreen: ['release', 'terminate', 'rollback'],
} as const;

/** Operations a freeze window stops: everything that puts a new version out. */
export const FROZEN = {
  task: ['start', 'resume', 'retry', 'rollback'],
  bluegreen: ['create', 'update', 'release', 'rollback'],
} as const;

export type EntityKind = keyof typeof GATED;

export class Policy {
  constructor(private readonly file: PolicyFile = {}) {}

  get configured(): boolean {
    return Object.keys(this.file).length > 0;
  }

  /** Who may create and operate; undefined means everyone. */
  get operators(): readonly string[] | undefined {
    return this.file.operators;
  }

  env(name: string): EnvironmentPolicy {
    return this.file.environments?.[name] ?? {};
  }

  /** Where cards for `env` go; undefined means the command's channel. */
  channel(env: string): string | undefined {
    return this.env(env).channel;
  }

  approvers(env: string): readonly string[] | undefined {
    return this.env(env).approvers;
  }

  /** Distinct approvals `action` needs on `env`; 0 when it needs none. */
  approvalsNeeded(kind: EntityKind, action: string, env: string): number {
    const e = this.env(env);
    if (!e.approvers || !(GATED[kind] as readonly string[]).includes(action)) return 0;
    return e.approvals ?? 1;
  }

  /** Whoever created the task or job may not approve it (default: true). */
  distinctApprover(env: string): boolean {
    return this.env(env).distinctApprover ?? true;
  }

  /** The freeze window `action` on `env` falls in at `now`, if any. */
  freezeAt(kind: EntityKind, action: string, env: string, now: Date): string | undefined {
    if (!(FROZEN[kind] as readonly string[]).includes(action)) return undefined;
    return (this.env(env).freeze ?? []).find((w) => {
      const [from, to] = w.split('/') as [string, string];
      return Date.parse(from) <= now.getTime() && now.getTime() < Date.parse(to);
    });
  }
}
