/**
 * What a person's App Home shows, as queries over the task and job stores: approvals waiting for
 * them, their running releases, what each environment is releasing now, and recent failures.
 * Answers are plain data (entity references, statuses, ISO times); the Block Kit builder
 * (slack/blocks/home-view.ts) words them and adds links to the cards.
 */
import { actionWords } from '../domain/actions.js';
import { BUSY_JOB_STATUSES, type BlueGreenJob, type JobStatus } from '../domain/bluegreen-job.js';
import { jobRef, taskRef, type EntityRef } from '../domain/entity.js';
import { ACTIVE_STATUSES, type TaskHead, type TaskStatus } from '../domain/release-task.js';
import type { TaskStore } from '../store/task-store.js';
import type { JobStore } from '../store/versioned-store.js';
import type { Governance } from './governance.js';

/** One task or job as a Home section lists it. */
export interface HomeItem {
  ref: EntityRef;
  name: string;
  env: string;
  status: TaskStatus | JobStatus;
  /** When it came to be listed: the approval asked for, the run started, the failure. */
  since?: string;
  /** Who it is about: who asked for the approval, who started the run. */
  by?: string;
  /** The approval it waits for. */
  approval?: { what: string; got: number; needed: number; override?: string };
  /** Why it failed, when the entity says (a Degraded job's reason). */
  error?: string;
}

export interface HomeModel {
  user: string;
  /** Waiting for an approval this user may give. */
  approvals: HomeItem[];
  /** Running, and started (or created) by this user. */
  mine: HomeItem[];
  /** Everything running, by environment (environments in name order). */
  releasing: { env: string; items: HomeItem[] }[];
  /** Failed lately, most recent first, at most RECENT_FAILURES. */
  failures: HomeItem[];
}

/** How many recent failures the Home lists. */
export const RECENT_FAILURES = 10;
/** How far back the Home looks: the newest tasks and jobs, as the stores index them. */
const SCAN = 500;

const TASK_FAILED: readonly TaskStatus[] = ['Release failed', 'Rollback failed'];
const JOB_FAILED: readonly JobStatus[] = ['Degraded'];

export interface HomeQueriesDeps {
  tasks: Pick<TaskStore, 'heads'>;
  jobs: Pick<JobStore, 'list'>;
  governance: Pick<Governance, 'isApprover' | 'policy'>;
}

export class HomeQueries {
  constructor(private readonly d: HomeQueriesDeps) {}

  async forUser(user: string): Promise<HomeModel> {
    const [tasks, jobs] = await Promise.all([this.d.tasks.heads(SCAN), this.d.jobs.list(SCAN)]);
    const items = [...tasks.map(taskItem), ...jobs.map(jobItem)];
    const entities = [...tasks, ...jobs];
    const approver = memo((env: string) => this.d.governance.isApprover(env, user));

    const approvals: HomeItem[] = [];
    for (const [i, e] of entities.entries()) {
      if (await this.mayApprove(e, user, approver)) approvals.push(items[i]!);
    }
    const running = items.filter((it) => isRunning(it.status));
    const mine = items.filter((it, i) => isRunning(it.status) && (startedBy(entities[i]!) === user || entities[i]!.createdBy === user));
    const failures = items.filter((it) => TASK_FAILED.includes(it.status as TaskStatus) || JOB_FAILED.includes(it.status as JobStatus));
    return {
      user,
      approvals: approvals.sort(bySinceDesc),
      mine: mine.sort(bySinceDesc),
      releasing: byEnv(running),
      failures: failures.sort(bySinceDesc).slice(0, RECENT_FAILURES),
    };
  }

  /**
   * May `user` give the approval `e` waits for? An approver of its environment who has not
   * approved it yet, and, where approvers must be distinct, neither its creator nor the requester
   * (the same rules ApprovalFlow.approve applies to the click).
   */
  private async mayApprove(e: TaskHead | BlueGreenJob, user: string, approver: (env: string) => Promise<boolean>): Promise<boolean> {
    const req = e.approval;
    if (!req || req.approvals.length >= req.needed || req.approvals.some((a) => a.user === user)) return false;
    if (this.d.governance.policy.barredFromApproving(e.env, user, e.createdBy, req.requestedBy)) return false;
    return approver(e.env);
  }
}

function isRunning(status: string): boolean {
  return (ACTIVE_STATUSES as readonly string[]).includes(status) || (BUSY_JOB_STATUSES as readonly string[]).includes(status);
}

/** Who started what runs now: the person behind the last run, else whoever created it. */
function startedBy(e: TaskHead | BlueGreenJob): string | undefined {
  if ('workload' in e) return e.pending?.by ?? e.createdBy;
  return (e.status === 'Rolling back' ? e.rolledBackBy : e.startedBy) ?? e.releasedBy ?? e.createdBy;
}

function approvalOf(kind: EntityRef['kind'], e: TaskHead | BlueGreenJob): HomeItem['approval'] | undefined {
  const req = e.approval;
  if (!req) return undefined;
  return { what: actionWords(kind, req), got: req.approvals.length, needed: req.needed, ...(req.override ? { override: req.override.reason } : {}) };
}

function taskItem(t: TaskHead): HomeItem {
  const approval = approvalOf('task', t);
  const failed = TASK_FAILED.includes(t.status);
  const since = t.approval ? t.approval.requestedAt : failed ? t.endedAt : isRunning(t.status) ? t.startedAt : t.endedAt;
  const by = t.approval ? t.approval.requestedBy : isRunning(t.status) || failed ? startedBy(t) : undefined;
  return { ref: taskRef(t.id), name: t.name, env: t.env, status: t.status, ...(since ? { since } : {}), ...(by ? { by } : {}), ...(approval ? { approval } : {}) };
}

function jobItem(j: BlueGreenJob): HomeItem {
  const approval = approvalOf('bluegreen', j);
  const since = j.approval?.requestedAt ?? j.updatedAt;
  const by = j.approval?.requestedBy ?? (isRunning(j.status) || j.status === 'Degraded' ? startedBy(j) : undefined);
  return {
    ref: jobRef(j.id),
    name: j.name,
    env: j.env,
    status: j.status,
    since,
    ...(by ? { by } : {}),
    ...(approval ? { approval } : {}),
    ...(j.status === 'Degraded' && j.degradedReason ? { error: j.degradedReason } : {}),
  };
}

/** Newest first; items without a time last. */
function bySinceDesc(a: HomeItem, b: HomeItem): number {
  return (b.since ? Date.parse(b.since) : 0) - (a.since ? Date.parse(a.since) : 0);
}

function byEnv(items: HomeItem[]): HomeModel['releasing'] {
  const envs = new Map<string, HomeItem[]>();
  for (const it of [...items].sort(bySinceDesc)) envs.set(it.env, [...(envs.get(it.env) ?? []), it]);
  return [...envs].sort(([a], [b]) => a.localeCompare(b)).map(([env, list]) => ({ env, items: list }));
}

/** One answer per argument, asked once (one directory look-up per environment per Home). */
function memo<T>(fn: (key: string) => Promise<T>): (key: string) => Promise<T> {
  const seen = new Map<string, Promise<T>>();
  return (key) => {
    let p = seen.get(key);
    if (!p) seen.set(key, (p = fn(key)));
    return p;
  };
}
