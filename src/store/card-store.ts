/**
 * Where each status card lives in Slack (channel + ts). Kept apart from the task so posting a
 * card does not bump the task's version, and kept in Redis so a restarted bot edits the same card.
 */
import type { Redis } from 'ioredis';
import type { Keys } from './redis.js';

export interface CardRef {
  channel: string;
  ts: string;
}

export class CardStore {
  constructor(
    private readonly redis: Redis,
    private readonly k: Keys,
  ) {}

  async get(entityId: string): Promise<CardRef | undefined> {
    const h = await this.redis.hgetall(this.k.card(entityId));
    return h.channel && h.ts ? { channel: h.channel, ts: h.ts } : undefined;
  }

  async set(entityId: string, ref: CardRef): Promise<void> {
    await this.redis.hset(this.k.card(entityId), ref);
  }

  async delete(entityId: string): Promise<void> {
    await this.redis.del(this.k.card(entityId));
  }
}
