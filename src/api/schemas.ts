/**
 * What the HTTP API accepts, as zod schemas: the request bodies and queries that validate
 * requests, and from which the OpenAPI document is generated (api/openapi.ts). Values reuse the
 * command grammar's schemas, so a bad environment, component, image or name gets the same words
 * in the API as in Slack; what depends on several fields (deploy needs images, clone needs
 * `from`, …) is left to the grammar itself (api/handlers.ts).
 */
import { z } from 'zod';
import { ImageSchema, JobSchema } from '../commands/bluegreen-builders.js';
import { PatternSchema, TagSchema, TaskNameSchema } from '../commands/release-create.js';
import { ComponentSchema, DescriptionSchema, EnvSchema, imageSchema } from '../commands/values.js';
import { TASK_STATUSES } from '../domain/release-task.js';
import { MAX_TASK_COMPONENTS, isPattern } from '../domain/selection.js';

const between = (what: string, min: number, max: number) =>
  z.int({ error: (i) => `${what} must be a whole number from ${min} to ${max} (got ${JSON.stringify(i.input)})` })
    .min(min, { error: (i) => `${what} must be a whole number from ${min} to ${max} (got ${JSON.stringify(i.input)})` })
    .max(max, { error: (i) => `${what} must be a whole number from ${min} to ${max} (got ${JSON.stringify(i.input)})` });

const flag = (what: string) => z.boolean({ error: `${what} is true or false` });

/** A component by name (or a name pattern such as `web-*` on upgrade and clone), with its image and replicas. */
export const ComponentBody = z
  .object({
    name: z.string({ error: 'the component name is a string' }).superRefine((v, ctx) => {
      const r = (isPattern(v) ? PatternSchema : ComponentSchema).safeParse(v);
      if (!r.success) ctx.addIssue({ code: 'custom', message: r.error.issues[0]?.message ?? 'not a component name', input: v });
    }).meta({ description: 'A component name, or a pattern (`web-*`, `api-?`) choosing the existing components it matches (upgrade with `tag`, clone)' }),
    image: z.string({ error: 'the image is a string' }).optional().meta({ description: 'deploy and upgrade: the image to run, with a tag or digest' }),
    replicas: between('replicas', 1, 100).optional().meta({ description: 'deploy only (default 1)' }),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.image === undefined || typeof c.name !== 'string') return;
    const r = imageSchema(`${c.name}=${c.image}`, c.name).safeParse(c.image);
    if (!r.success) ctx.addIssue({ code: 'custom', path: ['image'], message: r.error.issues[0]?.message ?? 'not an image', input: c.image });
  });

export const CreateTaskBody = z
  .object({
    name: TaskNameSchema.meta({ description: 'The task name: letters, digits, ".", "_" and "-"' }),
    operation: z.enum(['deploy', 'upgrade', 'clone'], { error: 'the operation is deploy, upgrade or clone' }),
    env: EnvSchema.meta({ description: 'The environment the task releases to' }),
    from: EnvSchema.optional().meta({ description: 'clone only: the environment whose images are copied' }),
    components: z.array(ComponentBody, { error: 'components is a list of { name, image?, replicas? }' })
      .max(MAX_TASK_COMPONENTS, `a task takes at most ${MAX_TASK_COMPONENTS} components`).optional(),
    all: flag('all').optional().meta({ description: 'upgrade (with tag) and clone: every component of the environment' }),
    tag: TagSchema.optional().meta({ description: "upgrade: each chosen component keeps its repository and gets this tag" }),
    bestEffort: flag('bestEffort').optional().meta({ description: 'Best Effort Policy: On carries on past a failed component (default false)' }),
    parallel: between('parallel', 1, 32).optional().meta({ description: 'Components released at once (default 4)' }),
    description: DescriptionSchema.optional(),
    channel: z.string().regex(/^[CG][A-Z0-9]{2,}$/, 'channel is a Slack channel ID (C…)').optional()
      .meta({ description: "Where the status card goes; default: the environment's channel in the policy file" }),
    newEnv: flag('newEnv').optional().meta({ description: 'The environment is new on purpose (not a typo of a known one)' }),
  })
  .strict();
export type CreateTaskBody = z.infer<typeof CreateTaskBody>;

/** The actions on a task, as `POST /api/v1/tasks/{id}/{action}`. */
export const TASK_API_ACTIONS = ['start', 'suspend', 'resume', 'retry', 'rollback'] as const;
export type TaskApiAction = (typeof TASK_API_ACTIONS)[number];

export const TaskActionBody = z.object({}).strict();
/** Start takes `at`: a start scheduled for later, through the same gate when its time comes. */
export const StartTaskBody = z
  .object({
    at: z.iso.datetime({ offset: true, error: 'at is a time in ISO 8601 with its offset, e.g. 2026-12-05T06:30:00Z or 2026-12-05T07:30:00+01:00' }).optional()
      .meta({ description: 'Start then instead of now (at most 30 days ahead): approvals, freeze windows and locks are checked at that time' }),
  })
  .strict();

export const JOB_API_ACTIONS = ['update', 'release', 'terminate'] as const;
export type JobApiAction = (typeof JOB_API_ACTIONS)[number];

export const UpdateJobBody = z.object({ image: ImageSchema.meta({ description: 'The new version’s image, with a tag or digest' }) }).strict();
export const JobActionBody = z.object({}).strict();

export const TaskListQuery = z
  .object({
    env: EnvSchema.optional(),
    status: z.enum([...TASK_STATUSES, 'Scheduled'], { error: `status is one of ${TASK_STATUSES.join(', ')}, Scheduled` }).optional()
      .meta({ description: 'A status, or Scheduled: To release with a start scheduled' }),
  })
  .strict();

export const TaskIdParam = z.string().regex(/^rt-[a-z0-9]{1,32}$/, 'a task ID such as rt-7k2f9q');
export const JobParam = JobSchema;

/** RFC 9457 problem details, with every invalid field named. */
export const Problem = z.object({
  type: z.string(),
  title: z.string(),
  status: z.int(),
  detail: z.string(),
  errors: z.array(z.object({ pointer: z.string().meta({ description: 'A JSON Pointer into the request body (`#/components/2/image`), or `#/` for the whole body' }), detail: z.string() })).optional(),
});
export type Problem = z.infer<typeof Problem>;

export const Created = z.object({ id: z.string(), status: z.string(), url: z.string().nullable().meta({ description: "The status card's permalink, or null while it is being posted (GET the task for it later)" }) });
