/**
 * Versioned entities in Redis (blue-green jobs; release tasks have a layout of their own in
 * task-store.ts, sharing Refusal and UpdateResult): one hash per entity
 * ({v: version, json}) and a sorted index by creation. Writes are compare-and-set on the version,
 * so two clicks, a command and a worker can race on one entity and exactly one of each
 * conflicting pair wins.
 */
import type { Redis } from 'ioredis';
import type { BlueGreenJob } from '../domain/bluegreen-job.js';
import type { Keys } from './redis.js';

interface Versioned {
  id: string;
  version: number;
  createdAt: string;
}

const CAS = `
local v = redis.call('HGET', KEYS[1], 'v')
if not v then return -1 end
if v ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[2], 'json', ARGV[3])
return 1`;

const DELETE_AT = `
if redis.call('HGET', KEYS[1], 'v') ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[2])
return 1`;

const CREATE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'json', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
return 1`;

/** Returned by an update function to leave the task as it is and say why. */
export class Refusal {
  constructor(readonly reason: string) {}
}

export type UpdateResult<T> = { ok: true; task: T; before: T } | { ok: false; reason: string; task?: T };

/** What the operation pipeline needs of a store (VersionedStore for jobs, TaskStore for tasks). */
export interface EntityStore<T> {
  get(id: string): Promise<T | undefined>;
  update(id: string, change: (entity: T) => T | Refusal): Promise<UpdateResult<T>>;
  deleteAt(id: string, version: number): Promise<boolean>;
}

export class VersionedStore<T extends Versioned> implements EntityStore<T> {
  constructor(
    private readonly redis: Redis,
    private readonly keyOf: (id: string) => string,
    private readonly indexKey: string,
    /** What users call it, for "No release task rt-…". */
    private readonly what: string,
  ) {}

  /** Store a new task; false if the ID is taken. */
  async create(task: T): Promise<boolean> {
    const r = await this.redis.eval(
      CREATE,
      2,
      this.keyOf(task.id),
      this.indexKey,
      String(task.version),
      JSON.stringify(task),
      String(Date.parse(task.createdAt)),
      task.id,
    );
    return r === 1;
  }

  async get(id: string): Promise<T | undefined> {
    const json = await this.redis.hget(this.keyOf(id), 'json');
    return json ? (JSON.parse(json) as T) : undefined;
  }

  /** Newest first. */
  async list(limit = 500): Promise<T[]> {
    const ids = await this.redis.zrevrange(this.indexKey, 0, limit - 1);
    if (ids.length === 0) return [];
    const pipe = this.redis.pipeline();
    for (const id of ids) pipe.hget(this.keyOf(id), 'json');
    const rows = (await pipe.exec()) ?? [];
    return rows.flatMap(([, json]) => (typeof json === 'string' ? [JSON.parse(json) as T] : []));
  }

  /**
   * Apply `change` to the current task and write it if nobody wrote in between; on a conflict,
   * re-read and apply again. `change` returns a Refusal to leave the task alone.
   */
  async update(id: string, change: (entity: T) => T | Refusal): Promise<UpdateResult<T>> {
    for (let attempt = 0; attempt < 50; attempt++) {
      const before = await this.get(id);
      if (!before) return { ok: false, reason: `No ${this.what} ${id}` };
      const next = change(before);
      if (next instanceof Refusal) return { ok: false, reason: next.reason, task: before };
      const task = this.stamp(before, { ...next, version: before.version + 1 });
      const r = await this.redis.eval(CAS, 1, this.keyOf(id), String(before.version), String(task.version), JSON.stringify(task));
      if (r === 1) return { ok: true, task, before };
      if (r === -1) return { ok: false, reason: `No ${this.what} ${id}` };
    }
    throw new Error(`${this.what} ${id}: too many concurrent writes`);
  }

  /** Derived bookkeeping applied to every write (see TaskStore). */
  protected stamp(_before: T, next: T): T {
    return next;
  }

  /** Delete only if nobody wrote since `version` was read; false if somebody did. */
  async deleteAt(id: string, version: number): Promise<boolean> {
    return (await this.redis.eval(DELETE_AT, 2, this.keyOf(id), this.indexKey, String(version), id)) === 1;
  }

  async delete(id: string): Promise<void> {
    await this.redis.multi().del(this.keyOf(id)).zrem(this.indexKey, id).exec();
  }
}

// A claim is "<job>|<ms>". It stands while its job exists, or for a minute while that job is
// being created; after that (the creation failed) another job may take it over.
const RESERVE = `
local cur = redis.call('GET', KEYS[1])
if cur then
  local name, at = string.match(cur, '^(.-)|(%d+)$')
  if name and name ~= ARGV[1] and (redis.call('EXISTS', ARGV[2] .. name) == 1 or tonumber(ARGV[3]) - tonumber(at) < 60000) then
    return name
  end
end
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. ARGV[3])
return false`;

const UNRESERVE = `
local cur = redis.call('GET', KEYS[1])
if cur and string.match(cur, '^(.-)|') == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

export class JobStore extends VersionedStore<BlueGreenJob> {
  constructor(
    private readonly r: Redis,
    private readonly keys: Keys,
  ) {
    super(r, keys.bgJob, keys.bgJobIndex, 'blue-green job');
  }

  /**
   * Claim a release object (env/workload) for job `name`, atomically: undefined when claimed, or
   * the name of the job that has it. A claim by a job that no longer exists is taken over.
   */
  async reserveWorkload(env: string, workload: string, name: string, now = Date.now()): Promise<string | undefined> {
    const holder = await this.r.eval(RESERVE, 1, this.keys.bgWorkload(env, workload), name, this.keys.bgJob(''), String(now));
    return typeof holder === 'string' ? holder : undefined;
  }

  async releaseWorkload(env: string, workload: string, name: string): Promise<void> {
    await this.r.eval(UNRESERVE, 1, this.keys.bgWorkload(env, workload), name);
  }
}
