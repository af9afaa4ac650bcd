/**
 * Which environment names a create may use (domain/environments.ts decides): the policy file's
 * declared ones, or, without them, what the bot has seen — environments of tasks, jobs and
 * components — so that a typo of a known one is caught before anything is stored.
 */
import { checkEnvironment, type EnvironmentVerdict } from '../domain/environments.js';
import type { Policy } from '../policy/policy.js';
import type { ReleasePlatform } from '../platform/port.js';
import type { TaskStore } from '../store/task-store.js';
import type { JobStore } from '../store/versioned-store.js';

export interface EnvironmentsDeps {
  policy: Policy;
  tasks: TaskStore;
  jobs: JobStore;
  platform: ReleasePlatform;
}

export class Environments {
  constructor(private readonly d: EnvironmentsDeps) {}

  /** Environments with tasks, jobs or components. */
  async known(): Promise<string[]> {
    const [tasks, jobs, components] = await Promise.all([this.d.tasks.list(), this.d.jobs.list(), this.d.platform.environments?.() ?? []]);
    const names = [...tasks.flatMap((t) => (t.sourceEnv ? [t.env, t.sourceEnv] : [t.env])), ...jobs.map((j) => j.env), ...components];
    return [...new Set(names)];
  }

  /** Every environment named must pass; the first refusal is the answer. `flag`: how to say "it is new". */
  async check(envs: readonly string[], isNew: boolean, flag: string): Promise<EnvironmentVerdict> {
    const declared = this.d.policy.declared;
    if (!declared && isNew) return { ok: true }; // said to be new: no need to read what is known
    const known = declared ? [] : await this.known();
    for (const env of envs) {
      const verdict = checkEnvironment(env, { ...(declared ? { declared } : {}), known, isNew, flag });
      if (!verdict.ok) return verdict;
    }
    return { ok: true };
  }
}
