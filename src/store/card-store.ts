/**
 * Where each status card lives in Slack (channel + ts), when it was last edited, and the thread
 * replies waiting to be posted under it. Kept apart from the task so posting a card does not bump
 * the task's version, and kept in Redis so a restarted bot edits the same card.
 */
import type { Keys, RedisClient } from './redis.js';

export interface CardRef {
  channel: string;
  ts: string;
}

export class CardStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly k: Keys,
  ) {}

  async get(entityId: string): Promise<CardRef | undefined> {
    const h = await this.redis.hgetall(this.k.card(entityId));
    return h.channel && h.ts ? { channel: h.channel, ts: h.ts } : undefined;
  }

  /** When the card was last posted or edited (ms since epoch), 0 if never. */
  async lastEdit(entityId: string): Promise<number> {
    return Number((await this.redis.hget(this.k.card(entityId), 'editedAt')) ?? 0);
  }

  async edited(entityId: string, at: number): Promise<void> {
    await this.redis.hset(this.k.card(entityId), 'editedAt', String(at));
  }

  /** Queue a thread reply; replies are posted strictly in this order (see slack/delivery.ts). */
  async pushReply(entityId: string, text: string): Promise<void> {
    await this.redis.rpush(this.k.outbox(entityId), text);
  }

  async nextReply(entityId: string): Promise<string | null> {
    return this.redis.lindex(this.k.outbox(entityId), 0);
  }

  async replyPosted(entityId: string): Promise<void> {
    await this.redis.lpop(this.k.outbox(entityId));
  }

  /** One poster per card at a time; the lease outlives a crashed poster by `ms`. */
  async claimOutbox(entityId: string, owner: string, ms: number): Promise<boolean> {
    return (await this.redis.set(this.k.outboxLease(entityId), owner, 'PX', ms, 'NX')) === 'OK';
  }

  async releaseOutbox(entityId: string, owner: string): Promise<void> {
    await this.redis.eval(`if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`, 1, this.k.outboxLease(entityId), owner);
  }

  /** A post of the card is about to go out (ms since epoch): if its answer is lost, look for it. */
  async posting(entityId: string, at: number): Promise<void> {
    await this.redis.hset(this.k.card(entityId), 'postingAt', String(at));
  }

  /** Whether a post of this card went out before (for a card not stored yet: its answer was lost). */
  async postAttempted(entityId: string): Promise<boolean> {
    return (await this.redis.hexists(this.k.card(entityId), 'postingAt')) === 1;
  }

  async set(entityId: string, ref: CardRef): Promise<void> {
    await this.redis.hset(this.k.card(entityId), ref);
  }

  async delete(entityId: string): Promise<void> {
    await this.redis.del(this.k.card(entityId), this.k.outbox(entityId));
  }
}
