/**
 * The HTTP API's routes, version 1: what each does, whom it lets in, what it takes and answers.
 * This table is the API: api/server.ts serves it (auth, rate limit, body, Idempotency-Key) and
 * api/openapi.ts documents it, so a route cannot exist undocumented. Every change goes through
 * the same operations as a Slack command (pipeline, policy, approvals, audit, card, thread).
 */
import { z } from 'zod';
import type { ReleaseCommand } from '../commands/release-command.js';
import { parseReleaseCommand } from '../commands/release-grammar.js';
import type { BlueGreenJob } from '../domain/bluegreen-job.js';
import { jobRef, taskRef, type EntityRef } from '../domain/entity.js';
import { PublishedJob, PublishedTask, publishJob, publishTask } from '../domain/published.js';
import type { ReleaseTask } from '../domain/release-task.js';
import { scheduleBoundsRefusal } from '../domain/schedule.js';
import type { BlueGreenOperations } from '../operations/bluegreen-operations.js';
import type { Outcome } from '../operations/outcome.js';
import type { ReleaseOperations } from '../operations/release-operations.js';
import type { ApiTokenAction } from '../policy/policy-file.js';
import type { Policy } from '../policy/policy.js';
import type { TaskStore } from '../store/task-store.js';
import type { JobStore } from '../store/versioned-store.js';
import { allow, mayUse, type Caller } from './auth.js';
import { ApiProblem } from './problem.js';
import {
  CreateTaskBody, Created, JOB_API_ACTIONS, JobActionBody, JobParam, StartTaskBody, TASK_API_ACTIONS, TaskActionBody, TaskIdParam,
  TaskListQuery, UpdateJobBody, type JobApiAction, type TaskApiAction,
} from './schemas.js';

export interface ApiHandlerDeps {
  policy: Policy;
  release: ReleaseOperations;
  bluegreen: BlueGreenOperations;
  tasks: TaskStore;
  jobs: JobStore;
  /** The card's permalink once it is posted; `waitMs`: how long to wait for the post. */
  permalink(ref: EntityRef, waitMs?: number): Promise<string | null>;
}

export interface Answer {
  status: number;
  body: unknown;
}

export interface Request<B, Q> {
  caller: Caller;
  params: Record<string, string>;
  body: B;
  query: Q;
}

export interface ApiRoute<B = unknown, Q = unknown> {
  method: 'GET' | 'POST';
  /** With `:name` segments: `/api/v1/tasks/:id`. */
  path: string;
  summary: string;
  /** What the token must be allowed: checked against the environment the request acts on. */
  action: ApiTokenAction | 'read';
  params?: Record<string, z.ZodType<string>>;
  body?: z.ZodType<B>;
  query?: z.ZodType<Q>;
  /** Status -> what is answered (a problem+json for 4xx is added by the document). */
  responses: Record<number, { description: string; schema?: z.ZodType }>;
  handle(req: Request<B, Q>): Promise<Answer>;
}

/** How long a create waits for its card to be posted, so the answer can carry the permalink. */
const CARD_WAIT_MS = 3000;

export const PublishedTaskSummary = PublishedTask.omit({ components: true, url: true });
const TaskAnswer = PublishedTask.extend({
  awaitingApproval: z.object({ needed: z.int(), approvers: z.array(z.string()) }).optional()
    .meta({ description: 'The environment needs approval: the card asks in Slack, and the action runs once approved' }),
});
const JobAnswer = PublishedJob.extend({ awaitingApproval: TaskAnswer.shape.awaitingApproval });

const notFound = (what: string) => new ApiProblem(404, what);
/** Slack mrkdwn out of an operation's words: the API's readers are not in Slack. */
const plain = (text: string) => text
  .replace(/<@([A-Z0-9]+)>/g, '$1').replace(/<!date\^\d+\^[^|>]*\|([^>]*)>/g, '$1')
  .replace(/`/g, '').replace(/\*([^*\s][^*]*?)\*/g, '$1')
  .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
const refused = (o: Outcome, status = 409) => new ApiProblem(status, plain(o.text));

/** The words `/release create` would be typed with, so the grammar checks what depends on several fields. */
function createText(b: CreateTaskBody): string {
  const words = [b.name, b.operation, '--env', b.env];
  if (b.from) words.push('--from', b.from);
  if (b.all) words.push('--all');
  if (b.tag !== undefined) words.push('--tag', b.tag);
  if (b.bestEffort) words.push('--best-effort');
  if (b.parallel !== undefined) words.push('--parallel', String(b.parallel));
  if (b.newEnv) words.push('--new-env');
  for (const c of b.components ?? []) {
    words.push(c.image === undefined ? c.name : `${c.name}=${c.image}${c.replicas !== undefined ? `x${c.replicas}` : ''}`);
  }
  return `create ${words.join(' ')}`;
}

export function apiRoutes(d: ApiHandlerDeps): ApiRoute<any, any>[] {
  const taskFor = async (req: Request<unknown, unknown>, action: ApiTokenAction | 'read'): Promise<ReleaseTask> => {
    const task = await d.tasks.get(req.params.id!);
    if (!task) throw notFound(`There is no release task ${req.params.id}.`);
    allow(req.caller, action, task.env);
    return task;
  };
  const jobFor = async (req: Request<unknown, unknown>, action: ApiTokenAction | 'read'): Promise<BlueGreenJob> => {
    const job = await d.jobs.get(req.params.job!);
    if (!job) throw notFound(`There is no blue-green job ${req.params.job}.`);
    allow(req.caller, action, job.env);
    return job;
  };
  const approvers = (env: string) => d.policy.approvers(env) ?? [];
  const task = async (t: ReleaseTask) => publishTask(t, await d.permalink(taskRef(t.id)), approvers(t.env));
  const job = async (j: BlueGreenJob) => publishJob(j, await d.permalink(jobRef(j.id)), approvers(j.env));
  /** 202 with the task or job as it is now, saying what awaits approval; a refusal is a 409. */
  const accepted = async <E extends { approval?: { action: string; needed: number }; env: string }>(
    outcome: Outcome, action: string, now: E, publish: (e: E) => Promise<object>,
  ): Promise<Answer> => {
    if (!outcome.changed) throw refused(outcome);
    const awaiting = now.approval?.action === action ? { awaitingApproval: { needed: now.approval.needed, approvers: [...approvers(now.env)] } } : {};
    return { status: 202, body: { ...(await publish(now)), ...awaiting } };
  };

  const createTask: ApiRoute<CreateTaskBody> = {
    method: 'POST', path: '/api/v1/tasks', summary: 'Create a release task (its card is posted in Slack)', action: 'create',
    body: CreateTaskBody,
    responses: { 201: { description: 'Created: the task ID, its status and its card', schema: Created }, 422: { description: 'Invalid body, or a plan that cannot succeed' } },
    async handle({ caller, body }) {
      allow(caller, 'create', body.env);
      const channel = body.channel ?? d.policy.channel(body.env);
      if (!channel) {
        const detail = `channel is required: the policy file gives ${body.env} no channel, so say where the card goes (a channel ID, C…)`;
        throw new ApiProblem(422, detail, [{ pointer: '#/channel', detail }]);
      }
      const parsed = parseReleaseCommand(createText(body));
      if (!parsed.ok) throw new ApiProblem(422, plain(parsed.error));
      const cmd = { ...parsed.command, ...(body.description ? { description: body.description } : {}) } as Extract<ReleaseCommand, { kind: 'create' }>;
      const outcome = await d.release.handle(cmd, { user: caller.actor, channel });
      if (!outcome.created) throw refused(outcome, 422);
      const created = (await d.tasks.get(outcome.created.id))!;
      return { status: 201, body: { id: created.id, status: created.status, url: await d.permalink(outcome.created, CARD_WAIT_MS) } };
    },
  };

  const listTasks: ApiRoute<unknown, z.infer<typeof TaskListQuery>> = {
    method: 'GET', path: '/api/v1/tasks', summary: "List release tasks (newest first) in the token's environments", action: 'read',
    query: TaskListQuery,
    responses: { 200: { description: 'The tasks, without their components', schema: z.object({ tasks: z.array(PublishedTaskSummary) }) } },
    async handle({ caller, query }) {
      if (query.env) allow(caller, 'read', query.env);
      const status = (t: { status: string; schedule?: unknown }) => !query.status || (query.status === 'Scheduled' ? t.status === 'To release' && !!t.schedule : t.status === query.status);
      const heads = (await d.tasks.heads()).filter((t) => mayUse(caller, t.env) && (!query.env || t.env === query.env) && status(t));
      return { status: 200, body: { tasks: heads.map((h) => PublishedTaskSummary.parse(publishTask({ ...h, components: [] }, null, approvers(h.env)))) } };
    },
  };

  const getTask: ApiRoute = {
    method: 'GET', path: '/api/v1/tasks/:id', summary: 'A release task: status, components, approval, times, card', action: 'read',
    params: { id: TaskIdParam },
    responses: { 200: { description: 'The task', schema: PublishedTask }, 404: { description: 'No such task' } },
    async handle(req) {
      return { status: 200, body: await task(await taskFor(req, 'read')) };
    },
  };

  const taskAction = (action: TaskApiAction): ApiRoute<{ at?: string }> => ({
    method: 'POST', path: `/api/v1/tasks/:id/${action}`,
    summary: `${action[0]!.toUpperCase()}${action.slice(1)} a release task, as its card's button would${action === 'start' ? ' (now, or `at` a later time)' : ''}`, action,
    params: { id: TaskIdParam }, body: action === 'start' ? StartTaskBody : TaskActionBody,
    responses: {
      202: { description: 'Accepted: the task now, with `awaitingApproval` where approvers must approve in Slack first', schema: TaskAnswer },
      404: { description: 'No such task' },
      409: { description: 'Refused: not in a status that allows it, frozen, or busy; the detail says why' },
    },
    async handle(req) {
      const t = await taskFor(req, action);
      const actor = { user: req.caller.actor, channel: t.channel };
      let outcome: Outcome;
      if (req.body.at !== undefined) {
        const at = new Date(req.body.at);
        const wrong = scheduleBoundsRefusal(at, new Date());
        if (wrong) throw new ApiProblem(422, `at: ${wrong}`, [{ pointer: '#/at', detail: wrong }]);
        outcome = await d.release.schedule(t.id, at, actor);
      } else {
        outcome = await d.release.pipeline.act(t.id, action, actor);
      }
      return accepted(outcome, action, outcome.changed ? ((await d.tasks.get(t.id)) ?? t) : t, task);
    },
  });

  const getJob: ApiRoute = {
    method: 'GET', path: '/api/v1/bluegreen/:job', summary: 'A blue-green job: status, versions, history, approval, card', action: 'read',
    params: { job: JobParam },
    responses: { 200: { description: 'The job', schema: PublishedJob }, 404: { description: 'No such job' } },
    async handle(req) {
      return { status: 200, body: await job(await jobFor(req, 'read')) };
    },
  };

  const jobAction = (action: JobApiAction): ApiRoute<{ image?: string }> => ({
    method: 'POST', path: `/api/v1/bluegreen/:job/${action}`,
    summary: action === 'update' ? 'Update Version: bring up a new image beside the serving one (then Paused)' : action === 'release' ? 'Release the new version: traffic moves to it' : 'Terminate Release: delete the new version',
    action, params: { job: JobParam }, body: action === 'update' ? UpdateJobBody : JobActionBody,
    responses: {
      202: { description: 'Accepted: the job now, with `awaitingApproval` where approvers must approve in Slack first', schema: JobAnswer },
      404: { description: 'No such job' },
      409: { description: 'Refused: not in a status that allows it, frozen, or busy; the detail says why' },
    },
    async handle(req) {
      const j = await jobFor(req, action);
      const outcome = await d.bluegreen.pipeline.act(j.id, action, { user: req.caller.actor, channel: j.channel }, req.body.image ? { image: req.body.image } : {});
      return accepted(outcome, action, outcome.changed ? ((await d.jobs.get(j.id)) ?? j) : j, job);
    },
  });

  return [createTask, listTasks, getTask, ...TASK_API_ACTIONS.map(taskAction), getJob, ...JOB_API_ACTIONS.map(jobAction)];
}
