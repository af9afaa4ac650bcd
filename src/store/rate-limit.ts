/**
 * Requests per token per minute, for the HTTP API: a counter per fixed one-minute window (INCR,
 * expiring with the window), shared by every web process. A fixed window lets a token burst up
 * to twice its limit across a window's edge; that is fine for keeping one runaway CI loop from
 * crowding out the others, which is what it is for.
 */
import type { Keys, RedisClient } from './redis.js';

const WINDOW_S = 60;

export type RateVerdict = { ok: true; remaining: number } | { ok: false; retryAfterS: number };

export class RateLimiter {
  constructor(
    private readonly redis: RedisClient,
    private readonly k: Keys,
    private readonly nowMs: () => number = Date.now,
  ) {}

  /** Count one request of `token`, allowed `limit` a minute. */
  async take(token: string, limit: number): Promise<RateVerdict> {
    const now = this.nowMs() / 1000;
    const window = Math.floor(now / WINDOW_S);
    const key = this.k.rateWindow(token, window);
    const [[, count]] = (await this.redis.multi().incr(key).expire(key, WINDOW_S * 2).exec()) as [[unknown, number], unknown];
    if (count <= limit) return { ok: true, remaining: limit - count };
    return { ok: false, retryAfterS: Math.max(1, Math.ceil((window + 1) * WINDOW_S - now)) };
  }
}
