/**
 * Release tasks in Redis, laid out so a run's progress never rewrites the whole task:
 *
 * - `<prefix>:{<id>}:task`, a hash: the task without its components (`json`), its version `v`,
 *   `status` and `run` (read by scripts without decoding JSON), and `cv`, a counter bumped by
 *   every component write.
 * - `<prefix>:{<id>}:components`, a hash: one field per component, its state as JSON with its
 *   position `i` in the task.
 * - `<prefix>:tasks`, a sorted set of IDs by creation (in another hash slot: never written in the
 *   same script as a task).
 *
 * Task-level writes (start, suspend, approvals, the end of a run) are compare-and-set on `v` and
 * `cv` together, so they see every component write or retry. A component's begin and finish
 * during a run are one script each on that component's field alone: O(1) whatever the task's
 * size, and only while the run is the task's current one and still active.
 *
 * The `{<id>}` hash tag keeps a task's two keys in one Redis Cluster slot.
 */
import { ACTIVE_STATUSES, type ComponentState, type ReleaseTask, type TaskHead, type TaskStatus } from '../domain/release-task.js';
import type { Keys, RedisClient } from './redis.js';
import { Script } from './script.js';
import { Refusal, type EntityStore, type UpdateResult } from './versioned-store.js';


/** Field pairs per HSET inside a script (Lua's unpack has a limit of a few thousand values). */
const PAIRS_PER_HSET = 500;
const HSET_PAIRS = `
local function hsetPairs(key, from)
  local step = ${PAIRS_PER_HSET * 2}
  for i = from, #ARGV, step do
    redis.call('HSET', key, unpack(ARGV, i, math.min(i + step - 1, #ARGV)))
  end
end`;

const CREATE = new Script(`${HSET_PAIRS}
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'json', ARGV[2], 'status', ARGV[3], 'run', ARGV[4], 'cv', '0')
redis.call('DEL', KEYS[2])
hsetPairs(KEYS[2], 5)
return 1`);

const UPDATE = new Script(`${HSET_PAIRS}
local cur = redis.call('HMGET', KEYS[1], 'v', 'cv')
if not cur[1] then return -1 end
if cur[1] ~= ARGV[1] or cur[2] ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[3], 'json', ARGV[4], 'status', ARGV[5], 'run', ARGV[6])
hsetPairs(KEYS[2], 7)
return 1`);

const ACTIVE_LUA = ACTIVE_STATUSES.map((s) => `s == '${s}'`).join(' or ');
const PROGRESS = new Script(`
local cur = redis.call('HMGET', KEYS[1], 'run', 'status')
if not cur[1] then return -1 end
local s = cur[2]
if cur[1] ~= ARGV[1] or not (${ACTIVE_LUA}) then return 0 end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
redis.call('HINCRBY', KEYS[1], 'cv', 1)
return 1`);

const DELETE_AT = new Script(`
if redis.call('HGET', KEYS[1], 'v') ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1], KEYS[2])
return 1`);

interface Read {
  task: ReleaseTask;
  cv: string;
  /** Each component's stored JSON, to write back only what changed. */
  stored: Map<string, string>;
}

function componentJson(c: ComponentState, i: number): string {
  return JSON.stringify({ i, ...c });
}

function parseComponents(fields: Record<string, string>): { components: ComponentState[]; stored: Map<string, string> } {
  const rows: Array<{ i: number } & ComponentState> = [];
  const stored = new Map<string, string>();
  for (const [name, json] of Object.entries(fields)) {
    rows.push(JSON.parse(json) as { i: number } & ComponentState);
    stored.set(name, json);
  }
  rows.sort((a, b) => a.i - b.i);
  return { components: rows.map(({ i: _i, ...c }) => c), stored };
}

function headOf(task: ReleaseTask): TaskHead {
  const { components: _c, ...head } = task;
  return head;
}

export class TaskStore implements EntityStore<ReleaseTask> {
  constructor(
    private readonly redis: RedisClient,
    private readonly k: Keys,
  ) {}

  /** Store a new task; false if the ID is taken. */
  async create(task: ReleaseTask): Promise<boolean> {
    // The index first: a crash before the task is written leaves an ID that lists skip. NX: an ID
    // that is taken keeps its place.
    const score = Date.parse(task.createdAt);
    await this.redis.zadd(this.k.taskIndex, 'NX', score, task.id);
    const pairs = task.components.flatMap((c, i) => [c.name, componentJson(c, i)]);
    const r = await CREATE.run(this.redis, [this.k.task(task.id), this.k.taskComponents(task.id)], [
      task.version, JSON.stringify(headOf(task)), task.status, task.run, ...pairs,
    ]);
    if (r !== 1) return false;
    await this.redis.zadd(this.k.taskIndex, score, task.id); // an entry a crashed delete left gets our time
    return true;
  }

  async get(id: string): Promise<ReleaseTask | undefined> {
    return (await this.read(id))?.task;
  }

  /** The task without its components: one small read, whatever the task's size. */
  async head(id: string): Promise<TaskHead | undefined> {
    const json = await this.redis.hget(this.k.task(id), 'json');
    if (json) return JSON.parse(json) as TaskHead;
    const legacy = await this.read(id);
    return legacy && headOf(legacy.task);
  }

  /** Just what the run loop checks between steps: the current run and status. */
  async runState(id: string): Promise<{ run: number; status: TaskStatus } | undefined> {
    const [run, status] = await this.redis.hmget(this.k.task(id), 'run', 'status');
    if (run && status) return { run: Number(run), status: status as TaskStatus };
    const head = await this.head(id); // not there, or not moved to this layout yet
    return head && { run: head.run, status: head.status };
  }

  /** Newest first. */
  async list(limit = 500): Promise<ReleaseTask[]> {
    const ids = await this.redis.zrevrange(this.k.taskIndex, 0, limit - 1);
    const found = await Promise.all(ids.map((id) => this.get(id)));
    return found.filter((t): t is ReleaseTask => t !== undefined);
  }

  /** Newest first, without components. */
  async heads(limit = 500): Promise<TaskHead[]> {
    const ids = await this.redis.zrevrange(this.k.taskIndex, 0, limit - 1);
    const found = await Promise.all(ids.map((id) => this.head(id)));
    return found.filter((t): t is TaskHead => t !== undefined);
  }

  /**
   * Apply `change` to the current task and write it if nobody wrote in between (the task or any
   * of its components); on a conflict, re-read and apply again. `change` returns a Refusal to
   * leave the task alone. Only components that changed are written.
   */
  async update(id: string, change: (task: ReleaseTask) => ReleaseTask | Refusal): Promise<UpdateResult<ReleaseTask>> {
    for (let attempt = 0; attempt < 50; attempt++) {
      const read = await this.read(id);
      if (!read) return { ok: false, reason: `No release task ${id}` };
      const before = read.task;
      const next = change(before);
      if (next instanceof Refusal) return { ok: false, reason: next.reason, task: before };
      const task = stamp(before, { ...next, version: before.version + 1 });
      const pairs: string[] = [];
      task.components.forEach((c, i) => {
        const json = componentJson(c, i);
        if (read.stored.get(c.name) !== json) pairs.push(c.name, json);
      });
      const r = await UPDATE.run(this.redis, [this.k.task(id), this.k.taskComponents(id)], [
        before.version, read.cv, task.version, JSON.stringify(headOf(task)), task.status, task.run, ...pairs,
      ]);
      if (r === 1) return { ok: true, task, before };
      if (r === -1) return { ok: false, reason: `No release task ${id}` };
    }
    throw new Error(`release task ${id}: too many concurrent writes`);
  }

  /**
   * Write one component's state during run `run`: one script on that component's field, done only
   * while `run` is the task's current run and the task is still active. False when it is not (the
   * run was settled, superseded or the task deleted): the caller's run is over.
   */
  async progress(id: string, run: number, index: number, component: ComponentState): Promise<boolean> {
    const r = await PROGRESS.run(this.redis, [this.k.task(id), this.k.taskComponents(id)], [
      run, component.name, componentJson(component, index),
    ]);
    return r === 1;
  }

  /** Delete only if nobody wrote the task since `version` was read; false if somebody did. */
  async deleteAt(id: string, version: number): Promise<boolean> {
    const r = await DELETE_AT.run(this.redis, [this.k.task(id), this.k.taskComponents(id)], [version]);
    if (r !== 1) return false;
    await this.redis.zrem(this.k.taskIndex, id);
    return true;
  }

  async delete(id: string): Promise<void> {
    await this.redis.del(this.k.task(id), this.k.taskComponents(id));
    await this.redis.zrem(this.k.taskIndex, id);
  }

  private async read(id: string): Promise<Read | undefined> {
    // MULTI: the task and its components as of one moment.
    const rows = await this.redis.multi().hmget(this.k.task(id), 'json', 'cv').hgetall(this.k.taskComponents(id)).exec();
    const [headErr, headRow] = rows?.[0] ?? [];
    const [compErr, compRow] = rows?.[1] ?? [];
    if (headErr || compErr) throw headErr ?? compErr;
    const [json, cv] = headRow as [string | null, string | null];
    if (!json) return this.migrate(id);
    const { components, stored } = parseComponents(compRow as Record<string, string>);
    return { task: { ...(JSON.parse(json) as TaskHead), components }, cv: cv ?? '0', stored };
  }

  /**
   * A task stored before components had keys of their own (one JSON under `<prefix>:task:<id>`):
   * move it to the current layout on first read. Safe to race: the create refuses a second copy.
   */
  private async migrate(id: string): Promise<Read | undefined> {
    const json = await this.redis.hget(this.k.legacyTask(id), 'json');
    if (!json) return undefined;
    await this.create(JSON.parse(json) as ReleaseTask);
    await this.redis.del(this.k.legacyTask(id));
    return this.read(id);
  }
}

/** The card's buttons change meaning with the status, the run, an approval request and a schedule. */
function stamp(before: ReleaseTask, next: ReleaseTask): ReleaseTask {
  const changed = before.status !== next.status || before.run !== next.run || JSON.stringify(before.approval) !== JSON.stringify(next.approval) ||
    before.schedule?.jobId !== next.schedule?.jobId;
  return changed ? { ...next, stateVersion: before.stateVersion + 1 } : next;
}
