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
    const key = `${this.prefix}:usertz:${user}`;
    const cached = await this.redis.get(key);
    if (cached) return cached;
    try {
      const res = await this.client.users.info({ user });
      const tz = res.user?.tz;
      if (tz) await this.redis.set(key, tz, 'EX', CACHE_SECONDS);
      return tz || undefined;
    } catch (err) {
      this.log.warn({ user, err: (err as Error).message }, 'could not read a time zone');
      return undefined;
    }
  }

  private async members(group: string): Promise<string[]> {
    const key = `${this.prefix}:usergroup:${group}`;
    const cached = await this.redis.get(key);
    if (cached) return JSON.parse(cached) as string[];
    try {
      const res = await this.client.usergroups.users.list({ usergroup: group });
      const users = res.users ?? [];
      await this.redis.set(key, JSON.stringify(users), 'EX', CACHE_SECONDS);
      return users;
    } catch (err) {
      // Fail closed: nobody is in a group we cannot read.
      this.log.warn({ group, err: (err as Error).message }, 'could not resolve user group');
      return [];
    }
  }
}
