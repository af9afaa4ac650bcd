/** The audit stream: every operation, who, what, which task, from which status to which, when. */
import type { AuditEntry } from '../domain/audit.js';
import type { Keys, RedisClient } from './redis.js';

const MAX_ENTRIES = 100_000;

export class AuditLog {
  constructor(
    private readonly redis: RedisClient,
    private readonly k: Keys,
  ) {}

  async record(entry: AuditEntry): Promise<void> {
    const fields = Object.entries(entry).flatMap(([key, v]) => (v === undefined || key === 'id' ? [] : [key, String(v)]));
    await this.redis.xadd(this.k.audit, 'MAXLEN', '~', String(MAX_ENTRIES), '*', ...fields);
  }

  /**
   * Newest first. `target` narrows to one task or job, `env` to one environment, `since` to
   * entries newer than that time (stream IDs are timestamps, so Redis does that part). Scans at
   * most `scan` entries.
   */
  async recent(opts: { target?: string; env?: string; since?: Date; limit?: number; scan?: number } = {}): Promise<AuditEntry[]> {
    const limit = opts.limit ?? 20;
    const from = opts.since ? `${opts.since.getTime()}-0` : '-';
    const rows = await this.redis.xrevrange(this.k.audit, '+', from, 'COUNT', opts.scan ?? 5000);
    const out: AuditEntry[] = [];
    for (const [id, flat] of rows) {
      const e: Record<string, string> = { id };
      for (let i = 0; i < flat.length; i += 2) e[flat[i]!] = flat[i + 1]!;
      if (opts.target && e.target !== opts.target) continue;
      if (opts.env && e.env !== opts.env) continue;
      out.push(e as unknown as AuditEntry);
      if (out.length >= limit) break;
    }
    return out;
  }
}
