/**
 * Repairs what a crash between two writes can leave behind: a task or job that is busy with no run
 * queued (the status was written, the enqueue never happened), a scheduled start with no delayed
 * job (the same, or the queue's data lost), and component locks held by a task that is not
 * running. Runs when workers start and then every few minutes; every repair is safe to repeat
 * (run and scheduled-start job IDs are deterministic, lock release checks the holder).
 */
import type { Logger } from 'pino';
import { needsRun } from '../domain/bluegreen-job.js';
import { isActive } from '../domain/release-task.js';
import { scanKeys, type Keys, type RedisClient } from '../store/redis.js';
import type { ComponentLocks } from '../store/locks.js';
import type { TaskStore } from '../store/task-store.js';
import type { JobStore } from '../store/versioned-store.js';
import type { BullRunQueue } from './run-queue.js';

export interface ReconcilerDeps {
  redis: RedisClient;
  keys: Keys;
  tasks: TaskStore;
  jobs: JobStore;
  locks: ComponentLocks;
  runs: BullRunQueue;
  log: Logger;
}

async function orphanedLocks(d: ReconcilerDeps): Promise<Array<{ key: string; holder: string }>> {
  const out: Array<{ key: string; holder: string }> = [];
  for (const key of await scanKeys(d.redis, d.keys.lockPattern)) {
    const holder = await d.redis.get(key);
    const task = holder ? await d.tasks.runState(holder) : undefined;
    if (holder && (!task || !isActive(task.status))) out.push({ key, holder });
  }
  return out;
}

/** One pass; returns what it repaired. */
export async function reconcile(d: ReconcilerDeps, graceMs = 10_000): Promise<{ runs: number; schedules: number; locks: number }> {
  let runs = 0;
  let schedules = 0;
  const heads = await d.tasks.heads(10_000);
  for (const t of heads.filter((t) => isActive(t.status))) {
    if (!(await d.runs.hasTaskRun(t))) {
      await d.runs.taskRun(t);
      runs++;
    }
  }
  // A schedule past its time is queued too: its job says in the thread when it is too late to run.
  for (const t of heads) {
    if (t.schedule && !(await d.runs.hasScheduledStart(t.schedule.jobId))) {
      await d.runs.scheduleStart(t.id, t.schedule);
      schedules++;
    }
  }
  for (const j of (await d.jobs.list(10_000)).filter(needsRun)) {
    if (!(await d.runs.hasJobRun(j))) {
      await d.runs.jobRun(j);
      runs++;
    }
  }
  // A start takes its locks a moment before it writes Releasing: only a lock whose holder is still
  // not running after a grace period is left behind.
  const suspects = await orphanedLocks(d);
  if (suspects.length) await new Promise((r) => setTimeout(r, graceMs).unref());
  let locks = 0;
  for (const { key, holder } of suspects) {
    const task = await d.tasks.runState(holder);
    if ((await d.redis.get(key)) === holder && (!task || !isActive(task.status))) {
      await d.locks.release(holder, [d.keys.lockedComponent(key)]);
      locks++;
    }
  }
  if (runs || schedules || locks) d.log.warn({ runs, schedules, locks }, 'reconciler repaired runs, scheduled starts and locks left behind');
  return { runs, schedules, locks };
}

/** Reconcile now and every `everyMs`; returns a stop function. */
export function startReconciler(d: ReconcilerDeps, everyMs = 5 * 60_000): () => void {
  const pass = () => void reconcile(d).catch((err: Error) => d.log.error({ err: err.message }, 'reconciler failed'));
  pass();
  const timer = setInterval(pass, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
