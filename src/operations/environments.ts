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
import type { TaskStore } from '../store/task-store.js';
import type { JobStore } from '../store/versioned-store.js';

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
  /**
   * Names known to be in the known set. The set only grows, so once seen a name needs no
   * reading again: the usual create checks and remembers its environment without a Redis call.
   */
  private readonly seen = new Set<string>();

  constructor(private readonly d: EnvironmentsDeps) {}

  /** Environments with tasks, jobs or components. */
  async known(): Promise<string[]> {
    const [named, components] = await Promise.all([this.named(), this.d.platform.environments?.() ?? []]);
    return [...new Set([...named, ...components])];
  }

  /** A task or job names these environments: they are known from now on. */
  async remember(envs: readonly string[]): Promise<void> {
    const fresh = envs.filter((e) => !this.seen.has(e));
    if (!fresh.length) return;
    await this.d.known.add(fresh);
    for (const e of fresh) this.seen.add(e);
  }

  /** Environments tasks and jobs have named (the known set). */
  private async named(): Promise<string[]> {
    const named = await this.d.known.all(() => this.stored());
    for (const e of named) this.seen.add(e);
    return named;
  }

  /** Every environment named by a stored task or job: what the known set starts from. */
  private async stored(): Promise<string[]> {
    const [tasks, jobs] = await Promise.all([this.d.tasks.heads(BACKFILL), this.d.jobs.list(BACKFILL)]);
    return [...new Set([...tasks.flatMap((t) => (t.sourceEnv ? [t.env, t.sourceEnv] : [t.env])), ...jobs.map((j) => j.env)])];
  }

  /**
   * Every environment named must pass; the first refusal is the answer. `flag`: how to say "it is
   * new". A name tasks or jobs have used passes at once; only another one is compared with
   * everything known (including environments that have components).
   */
  async check(envs: readonly string[], isNew: boolean, flag: string): Promise<EnvironmentVerdict> {
    const declared = this.d.policy.declared;
    if (!declared && isNew) return { ok: true }; // said to be new: no need to read what is known
    if (!declared && envs.every((e) => this.seen.has(e))) return { ok: true };
    const known = declared ? [] : await this.known();
    for (const env of envs) {
      const verdict = checkEnvironment(env, { ...(declared ? { declared } : {}), known, isNew, flag });
      if (!verdict.ok) return verdict;
    }
    return { ok: true };
  }
}
