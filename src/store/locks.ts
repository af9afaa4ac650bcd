/**
 * Component locks: a component (environment + name) belongs to at most one active task.
 * Taking a task's locks is all-or-nothing and idempotent for the task that already holds them.
 * All locks of one environment share a hash tag (see keys()), so one script takes them on a
 * Redis Cluster too; a task's components are all in its one environment.
 */
import type { Keys, RedisClient } from './redis.js';

const ACQUIRE = `
for i, key in ipairs(KEYS) do
  local holder = redis.call('GET', key)
  if holder and holder ~= ARGV[1] then return {i, holder} end
end
for _, key in ipairs(KEYS) do redis.call('SET', key, ARGV[1]) end
return {0, ''}`;

const RELEASE = `
local n = 0
for _, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[1] then redis.call('DEL', key); n = n + 1 end
end
return n`;

export type LockResult = { ok: true } | { ok: false; component: string; heldBy: string };

export class ComponentLocks {
  constructor(
    private readonly redis: RedisClient,
    private readonly k: Keys,
  ) {}

  /** `components` are component keys (env/name) of one environment. */
  async acquire(taskId: string, components: string[]): Promise<LockResult> {
    if (components.length === 0) return { ok: true };
    const groups = byEnvironment(components);
    if (groups.length > 1) throw new Error(`locks are taken for one environment at a time, not ${groups.map((g) => g[0]).join(', ')}`);
    const [index, holder] = (await this.redis.eval(
      ACQUIRE,
      components.length,
      ...components.map(this.k.lock),
      taskId,
    )) as [number, string];
    return index === 0 ? { ok: true } : { ok: false, component: components[index - 1]!, heldBy: holder };
  }

  async release(taskId: string, components: string[]): Promise<void> {
    for (const group of byEnvironment(components)) {
      await this.redis.eval(RELEASE, group.length, ...group.map(this.k.lock), taskId);
    }
  }

  async holder(component: string): Promise<string | null> {
    return this.redis.get(this.k.lock(component));
  }
}

/** Component keys grouped by environment: one script may only touch the locks of one. */
function byEnvironment(components: string[]): string[][] {
  const groups = new Map<string, string[]>();
  for (const c of components) {
    const env = c.slice(0, c.indexOf('/'));
    const group = groups.get(env);
    if (group) group.push(c);
    else groups.set(env, [c]);
  }
  return [...groups.values()];
}
