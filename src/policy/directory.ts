/**
 * Who is in a list of Slack user IDs and user-group IDs. Groups are resolved with
 * usergroups.users.list and cached in Redis for a few minutes, so an approval check costs a
 * Slack call at most once per group per cache period, shared by every web process.
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
