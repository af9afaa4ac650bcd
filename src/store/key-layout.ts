/**
 * Moves data kept under the key names used before hash tags (before Redis Cluster support) to the
 * current names, once per prefix, so upgrading a bot on one Redis loses no blue-green job, card,
 * lock or simulated environment. Tasks are moved one by one as they are read (task-store.ts).
 *
 * RENAMENX keeps TTLs and never overwrites newer data; two processes starting at once is fine (the
 * second finds the keys gone). A cluster never had the old names, so there is nothing to do there.
 */
import type { Logger } from 'pino';
import { scanKeys, type Keys, type RedisClient } from './redis.js';

const LAYOUT = 2;

/** The current name of an old key (without the prefix), or null to drop it, or undefined to leave it. */
function currentName(k: Keys, rest: string): string | null | undefined {
  const after = (head: string) => (rest.startsWith(head) ? rest.slice(head.length) : undefined);
  const job = after('bgjob:');
  if (job !== undefined) return k.bgJob(job);
  const lock = after('lock:');
  if (lock !== undefined) return k.lock(lock);
  const card = after('card:');
  if (card !== undefined) {
    if (card.endsWith(':outbox-lease')) return null; // a lease of a few seconds: let it go
    if (card.endsWith(':outbox')) return k.outbox(card.slice(0, -':outbox'.length));
    return k.card(card);
  }
  if (rest === 'sim:envs') return k.simEnvs;
  if (rest === 'sim:applied') return k.simApplied;
  if (rest === 'sim:bg-switches') return k.simBgSwitches;
  const env = after('sim:env:');
  if (env !== undefined) return k.simEnv(env);
  const op = after('sim:op:');
  if (op !== undefined) return k.simOp(op);
  const bg = after('sim:bg:');
  if (bg !== undefined) {
    const slash = bg.indexOf('/');
    return slash > 0 ? k.simBg(bg.slice(0, slash), bg.slice(slash + 1)) : undefined;
  }
  return undefined;
}

export async function moveLegacyKeys(redis: RedisClient, prefix: string, k: Keys, log: Logger): Promise<number> {
  if (redis.isCluster) return 0;
  const marker = `${prefix}:layout`;
  if (Number(await redis.get(marker)) >= LAYOUT) return 0;
  let moved = 0;
  for (const pattern of ['bgjob:*', 'lock:*', 'card:*', 'sim:*']) {
    for (const key of await scanKeys(redis, `${prefix}:${pattern}`)) {
      const to = currentName(k, key.slice(prefix.length + 1));
      if (to === undefined) continue;
      try {
        if (to === null) await redis.del(key);
        else if ((await redis.renamenx(key, to)) === 1) moved++;
      } catch (err) {
        if (!/no such key/i.test((err as Error).message)) throw err; // another process moved it first
      }
    }
  }
  await redis.set(marker, String(LAYOUT));
  if (moved > 0) log.info({ moved }, 'moved keys to the hash-tagged layout');
  return moved;
}
