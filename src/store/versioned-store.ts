/**
 * Versioned entities in Redis (blue-green jobs; release tasks have a layout of their own in
 * task-store.ts, sharing Refusal and UpdateResult): one hash per entity
 * ({v: version, json}) and a sorted index by creation. Writes are compare-and-set on the version,
 * so two clicks, a command and a worker can race on one entity and exactly one of each
 * conflicting pair wins.
 *
 * Redis Cluster: an entity and the index live in different slots, so no script touches both. The
 * index is written first on create and last on delete: an ID in the index whose entity is missing
 * (a create in progress or a crash in between) is skipped by list(), and an entity is never
 * left out of the index.
 */
import type { BlueGreenJob } from '../domain/bluegreen-job.js';
import type { Keys, RedisClient } from './redis.js';

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
return 1`;

const CREATE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'json', ARGV[2])
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
    private readonly redis: RedisClient,
    private readonly keyOf: (id: string) => string,
    private readonly indexKey: string,
    /** What users call it, for "No release task rt-…". */
    private readonly what: string,
  ) {}

  /** Store a new task; false if the ID is taken. */
  async create(task: T): Promise<boolean> {
    const score = String(Date.parse(task.createdAt));
    // NX: a failed create (the ID is taken) must not move the existing entity in the index.
    await this.redis.zadd(this.indexKey, 'NX', score, task.id);
    const created = (await this.redis.eval(CREATE, 1, this.keyOf(task.id), String(task.version), JSON.stringify(task))) === 1;
    // An entry left by an earlier entity of this ID (deleted by a crashed delete) gets our time.
    if (created) await this.redis.zadd(this.indexKey, score, task.id);
    return created;
  }

  async get(id: string): Promise<T | undefined> {
    const json = await this.redis.hget(this.keyOf(id), 'json');
    return json ? (JSON.parse(json) as T) : undefined;
  }

  /** Newest first. */
  async list(limit = 500): Promise<T[]> {
    const ids = await this.redis.zrevrange(this.indexKey, 0, limit - 1);
    // One read per entity, all at once (no pipeline: on a cluster the entities are in many
    // slots; the cluster connection autopipelines them per node).
    const rows = await Promise.all(ids.map((id) => this.redis.hget(this.keyOf(id), 'json')));
    return rows.flatMap((json) => (typeof json === 'string' ? [JSON.parse(json) as T] : []));
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
    const deleted = (await this.redis.eval(DELETE_AT, 1, this.keyOf(id), String(version))) === 1;
    if (deleted) await this.unindex(id);
    return deleted;
  }

  async delete(id: string): Promise<void> {
    await this.redis.del(this.keyOf(id));
    await this.unindex(id);
  }

  /** Drop a deleted entity from the index, unless a new one of the same ID was created meanwhile. */
  private async unindex(id: string): Promise<void> {
    await this.redis.zrem(this.indexKey, id);
    const again = await this.redis.hget(this.keyOf(id), 'json');
    if (again) await this.redis.zadd(this.indexKey, String(Date.parse((JSON.parse(again) as T).createdAt)), id);
  }
}

// A claim is "<job>|<ms>". It stands while its job exists, or for a minute while that job is
// being created; after that (the creation failed) another job may take it over. The claim and
// the job are in different slots, so whether the job exists is read outside the script, and the
// claim is then changed only if it is still the one that was read.
const CLAIM_TIMEOUT_MS = 60_000;

const CLAIM = `
if (redis.call('GET', KEYS[1]) or '') ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
return 1`;

const UNRESERVE = `
local cur = redis.call('GET', KEYS[1])
if cur and string.match(cur, '^(.-)|') == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

export class JobStore extends VersionedStore<BlueGreenJob> {
  constructor(
    private readonly r: RedisClient,
    private readonly keys: Keys,
  ) {
    super(r, keys.bgJob, keys.bgJobIndex, 'blue-green job');
  }

  /** The card's controls change meaning with the status, the run, an approval request, the pending version and the traffic. */
  protected override stamp(before: BlueGreenJob, next: BlueGreenJob): BlueGreenJob {
    const base = before.stateVersion ?? before.version;
    const changed = before.status !== next.status || before.run !== next.run || before.active !== next.active ||
      before.pending?.revision !== next.pending?.revision || JSON.stringify(before.approval) !== JSON.stringify(next.approval);
    // The version of the last write that changed their meaning: equal to `version` until a write
    // that does not (a check sample), so a card drawn since any meaningful write stays current.
    return { ...next, stateVersion: changed ? next.version : base };
  }

  /**
   * Claim a release object (env/workload) for job `name`, atomically: undefined when claimed, or
   * the name of the job that has it. A claim by a job that no longer exists is taken over.
   */
  async reserveWorkload(env: string, workload: string, name: string, now = Date.now()): Promise<string | undefined> {
    const key = this.keys.bgWorkload(env, workload);
    for (;;) {
      const cur = await this.r.get(key);
      const [, holder, at] = /^(.*)\|(\d+)$/.exec(cur ?? '') ?? [];
      if (holder !== undefined && holder !== name) {
        if (now - Number(at) < CLAIM_TIMEOUT_MS || (await this.r.exists(this.keys.bgJob(holder))) === 1) return holder;
      }
      if ((await this.r.eval(CLAIM, 1, key, cur ?? '', `${name}|${now}`)) === 1) return undefined;
      // Somebody changed the claim in between: look again.
    }
  }

  async releaseWorkload(env: string, workload: string, name: string): Promise<void> {
    await this.r.eval(UNRESERVE, 1, this.keys.bgWorkload(env, workload), name);
  }
}
