/**
 * Requests already acted on, so a replayed one is not acted on again: one key per request
 * signature (or Events API event_id) with a TTL, set with SET NX. In Redis, so every web replica
 * sees the same memory.
 */
import type { Keys, RedisClient } from './redis.js';

export class SeenRequests {
  constructor(
    private readonly redis: RedisClient,
    private readonly k: Keys,
  ) {}

  /** True the first time `id` is offered within `ttlSec`; false for a repeat. */
  async firstTime(id: string, ttlSec: number): Promise<boolean> {
    return (await this.redis.set(this.k.seenRequest(id), '1', 'EX', ttlSec, 'NX')) === 'OK';
  }

  /** Forget `id`, so its next offer is a first time again. */
  async forget(id: string): Promise<void> {
    await this.redis.del(this.k.seenRequest(id));
  }
}
