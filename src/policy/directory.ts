/**
 * Who is in a list of Slack user IDs and user-group IDs, and people's time zones. Groups are
 * resolved with usergroups.users.list and time zones with users.info, each cached in Redis for a
 * few minutes, so an approval check or a scheduled start costs a Slack call at most once per group
 * or person per cache period, shared by every process.
 */
import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import type { RedisClient } from '../store/redis.js';

const CACHE_SECONDS = 300;

export class Directory {
  constructor(
    private readonly client: WebClient,
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly log: Logger,
  ) {}

  /** Is `user` listed, directly or through one of the listed user groups? */
  async includes(refs: readonly string[], user: string): Promise<boolean> {
    if (refs.includes(user)) return true;
    for (const group of refs.filter((r) => r.startsWith('S'))) {
      if ((await this.members(group)).includes(user)) return true;
    }
    return false;
  }

  /** The user's time zone as Slack has it (IANA, e.g. "Europe/Berlin"); undefined when it cannot be read. */
  async timeZone(user: string): Promise<string | undefined> {
    return this.cached(`usertz:${user}`, async () => (await this.client.users.info({ user })).user?.tz || undefined, { user }, 'could not read a time zone');
  }

  private async members(group: string): Promise<string[]> {
    // Fail closed: nobody is in a group we cannot read.
    return (await this.cached(`usergroup:${group}`, async () => (await this.client.usergroups.users.list({ usergroup: group })).users ?? [], { group }, 'could not resolve user group')) ?? [];
  }

  /** What `fetch` answers, kept in Redis for CACHE_SECONDS under `<prefix>:<key>`; undefined when Slack cannot answer (not cached). */
  private async cached<T>(key: string, fetch: () => Promise<T | undefined>, context: object, failure: string): Promise<T | undefined> {
    const at = `${this.prefix}:${key}`;
    const hit = await this.redis.get(at);
    if (hit) return JSON.parse(hit) as T;
    try {
      const value = await fetch();
      if (value !== undefined) await this.redis.set(at, JSON.stringify(value), 'EX', CACHE_SECONDS);
      return value;
    } catch (err) {
      this.log.warn({ ...context, err: (err as Error).message }, failure);
      return undefined;
    }
  }
}
