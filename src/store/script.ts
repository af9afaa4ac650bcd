/**
 * A Lua script sent by its SHA1 (EVALSHA) and loaded on first use (EVAL after NOSCRIPT), so the
 * hot paths do not resend their source on every call. Works on a single Redis and on a cluster
 * node alike: the script is routed by its keys, which must share one hash slot.
 */
import { createHash } from 'node:crypto';

/** What a script needs of a connection (ioredis Redis and Cluster both have it). */
export interface ScriptRunner {
  evalsha(sha: string, numKeys: number, ...args: Array<string | number>): Promise<unknown>;
  eval(script: string, numKeys: number, ...args: Array<string | number>): Promise<unknown>;
}

export class Script {
  private readonly sha: string;

  constructor(private readonly lua: string) {
    this.sha = createHash('sha1').update(lua).digest('hex');
  }

  async run(redis: ScriptRunner, keys: readonly string[], args: ReadonlyArray<string | number>): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!String((err as Error).message).includes('NOSCRIPT')) throw err;
      return redis.eval(this.lua, keys.length, ...keys, ...args);
    }
  }
}
