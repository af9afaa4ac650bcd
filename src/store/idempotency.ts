/**
 * The HTTP API's Idempotency-Key memory: the first answer to a key, per token, for 24 hours, so a
 * CI job that retries a POST (a timeout, a runner restart) gets that answer back and nothing is
 * done twice. A key is claimed with SET NX before the work, so two copies of a request racing
 * each other do the work once; the claim names the request (a hash of method, path and body), so
 * the same key on a different request is told apart.
 */
import { createHash } from 'node:crypto';
import type { Keys, RedisClient } from './redis.js';

export const IDEMPOTENCY_TTL_S = 24 * 3600;
/** How long a claim may stay unanswered (the work crashed mid-way) before the key can be used again. */
const CLAIM_TTL_S = 60;

export interface StoredAnswer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export type Claim =
  | { kind: 'claimed' }
  | { kind: 'answered'; answer: StoredAnswer }
  /** The first request with this key is still being worked on. */
  | { kind: 'in-progress' }
  /** The key was used for another request. */
  | { kind: 'mismatch' };

interface Entry {
  request: string;
  answer?: StoredAnswer;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

export class IdempotencyKeys {
  constructor(
    private readonly redis: RedisClient,
    private readonly k: Keys,
  ) {}

  /** Claim `key` of `token` for the request `fingerprint` (method, path, body), or say what it holds. */
  async claim(token: string, key: string, fingerprint: string): Promise<Claim> {
    const redisKey = this.k.idempotency(token, sha256(key));
    const request = sha256(fingerprint);
    const mine: Entry = { request };
    if ((await this.redis.set(redisKey, JSON.stringify(mine), 'EX', CLAIM_TTL_S, 'NX')) === 'OK') return { kind: 'claimed' };
    const raw = await this.redis.get(redisKey);
    // Gone between the two calls (the claim expired): try once more.
    if (raw === null) return (await this.redis.set(redisKey, JSON.stringify(mine), 'EX', CLAIM_TTL_S, 'NX')) === 'OK' ? { kind: 'claimed' } : { kind: 'in-progress' };
    const entry = JSON.parse(raw) as Entry;
    if (entry.request !== request) return { kind: 'mismatch' };
    return entry.answer ? { kind: 'answered', answer: entry.answer } : { kind: 'in-progress' };
  }

  /** Keep the answer to a claimed key for 24 hours. */
  async answer(token: string, key: string, fingerprint: string, answer: StoredAnswer): Promise<void> {
    const entry: Entry = { request: sha256(fingerprint), answer };
    await this.redis.set(this.k.idempotency(token, sha256(key)), JSON.stringify(entry), 'EX', IDEMPOTENCY_TTL_S);
  }

  /** Give a claimed key up (the work failed on our side): a retry may do it. */
  async release(token: string, key: string): Promise<void> {
    await this.redis.del(this.k.idempotency(token, sha256(key)));
  }
}
