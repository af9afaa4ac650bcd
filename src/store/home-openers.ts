/**
 * Who opened the bot's App Home tab lately: a sorted set of user IDs scored by their last open.
 * Only their Home views are refreshed when a card changes, so the Slack calls a release costs
 * grow with the people looking, not with the workspace. Entries older than the window are
 * dropped as the set is read, and the set is capped, so it never grows without bound.
 */
import type { Keys, RedisClient } from './redis.js';

/** A Home opened longer ago than this is not refreshed any more (until it is opened again). */
export const HOME_WINDOW_MS = 7 * 24 * 3600 * 1000;
/** At most this many Homes are kept fresh: the most recently opened. */
export const HOME_MAX_OPENERS = 500;

export class HomeOpeners {
  constructor(
    private readonly redis: RedisClient,
    private readonly k: Keys,
  ) {}

  /** `user` opened the Home tab at `at` (ms since epoch). */
  async opened(user: string, at: number): Promise<void> {
    await this.redis.zadd(this.k.homeOpeners, at, user);
    // Keep the newest HOME_MAX_OPENERS: ranks 0 … -(max+1) are the oldest beyond the cap.
    await this.redis.zremrangebyrank(this.k.homeOpeners, 0, -(HOME_MAX_OPENERS + 1));
  }

  /** Has anyone opened the Home tab within the window? One cheap read, asked on every card change. */
  async any(now: number): Promise<boolean> {
    return (await this.redis.zcount(this.k.homeOpeners, now - HOME_WINDOW_MS, '+inf')) > 0;
  }

  /** Who opened it within the window, most recent first; older entries are forgotten. */
  async recent(now: number): Promise<string[]> {
    await this.redis.zremrangebyscore(this.k.homeOpeners, '-inf', `(${now - HOME_WINDOW_MS}`);
    return this.redis.zrevrange(this.k.homeOpeners, 0, HOME_MAX_OPENERS - 1);
  }
}
