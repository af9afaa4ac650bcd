/**
 * Environments that tasks and jobs have named, as one Redis set: a create checks its environment
 * against it with one SMEMBERS instead of reading every task and job. A name is added when a task
 * or job naming it is created, and stays after they are deleted (it was seen).
 *
 * Data from before the set existed is folded in once, by whoever finds the set without its
 * marker (the empty string, never an environment name): what `backfill` returns is added, then
 * the marker. Racing backfills add the same names twice, which a set does not mind.
 */
import type { Keys, RedisClient } from './redis.js';

const MARKER = '';

export class KnownEnvironments {
  constructor(
    private readonly redis: RedisClient,
    private readonly k: Keys,
  ) {}

  async add(envs: readonly string[]): Promise<void> {
    if (envs.length) await this.redis.sadd(this.k.knownEnvs, ...envs);
  }

  /** Every environment named so far; `backfill` (the environments of what is stored now) runs once per Redis, the first time. */
  async all(backfill: () => Promise<string[]>): Promise<string[]> {
    const members = await this.redis.smembers(this.k.knownEnvs);
    if (members.includes(MARKER)) return members.filter((m) => m !== MARKER);
    const found = await backfill();
    await this.redis.sadd(this.k.knownEnvs, ...found, MARKER);
    return [...new Set([...members, ...found])];
  }
}
