/**
 * Which environment names a create may use (domain/environments.ts decides): the policy file's
 * declared ones, or, without them, what the bot has seen — environments named by tasks and jobs
 * (kept in a set as they are created, store/known-environments.ts) and those with components —
 * so that a typo of a known one is caught before anything is stored.
 */
import { checkEnvironment, type EnvironmentVerdict } from '../domain/environments.js';
import type { Policy } from '../policy/policy.js';
import type { ReleasePlatform } from '../platform/port.js';
import type { KnownEnvironments } from '../store/known-environments.js';
import type { JobStore, TaskStore } from '../store/versioned-store.js';

export interface EnvironmentsDeps {
  policy: Policy;
  tasks: TaskStore;
  jobs: JobStore;
  platform: ReleasePlatform;
  known: KnownEnvironments;
}

/** How many tasks and jobs the one-time backfill of the known set reads. */
const BACKFILL = 10_000;

export class Environments {
  constructor(private readonly d: EnvironmentsDeps) {}

  /** Environments with tasks, jobs or components. */
  async known(): Promise<string[]> {
    const [named, components] = await Promise.all([this.d.known.all(() => this.stored()), this.d.platform.environments?.() ?? []]);
    return [...new Set([...named, ...components])];
  }

  /** A task or job names these environments: they are known from now on. */
  remember(envs: readonly string[]): Promise<void> {
    return this.d.known.add(envs);
  }

  /** Every environment named by a stored task or job: what the known set starts from. */
  private async stored(): Promise<string[]> {
    const [tasks, jobs] = await Promise.all([this.d.tasks.list(BACKFILL), this.d.jobs.list(BACKFILL)]);
    return [...new Set([...tasks.flatMap((t) => (t.sourceEnv ? [t.env, t.sourceEnv] : [t.env])), ...jobs.map((j) => j.env)])];
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
