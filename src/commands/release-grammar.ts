/**
 * `/release` text → ReleaseCommand: the /release table for the grammar engine (grammar.ts).
 * Status-card buttons send the same text, so this is the single gate for user input: it never
 * throws, and every refusal names what is wrong in words plus the usage line to show next to it.
 * The action subcommands (start, suspend, …) are the rows of the task action table.
 */
import { z } from 'zod';
import type { ReleaseCommand } from './release-command.js';
import { ACTIONS, TASK_ACTIONS, type ActionSpec, type TaskAction } from '../domain/actions.js';
import { DEFAULT_PARALLEL, TASK_STATUSES, type TaskStatus } from '../domain/release-task.js';
import { SCHEDULED, SCHEDULE_FORMS, readScheduleTime } from '../domain/schedule.js';
import { MAX_TASK_COMPONENTS } from '../domain/selection.js';
import { helpText, parse, usageSummary, usages, type BuildInput, type Grammar, type ParseResult, type SubcommandSpec } from './grammar.js';
import { onSubject, readSubject, type Subject } from './subject.js';
import { CREATE_FLAGS, CREATE_FORMS, buildCreate } from './release-create.js';
import { parseFlag, quoteWord as code } from './tokenize.js';
import {
  DETAIL_PAGE_SIZE, DurationSchema, EnvSchema, OVERRIDE_FLAG, PageSchema, REASON_FLAG, SINCE_FLAG, SINCE_NOTE, check, fail, freezeNote, override, reason, says,
  unquotedText,
} from './values.js';

type Command<K extends ReleaseCommand['kind']> = Extract<ReleaseCommand, { kind: K }>;

const OVERRIDE = '[--override "reason"]';
const [UPGRADE_BY_IMAGE, UPGRADE_BY_TAG] = CREATE_FORMS.upgrade.split('\n') as [string, string];
const TASK_ID_FORM = /^rt-[0-9a-z]{6}$/i;

const TaskIdSchema = z.string()
  .regex(TASK_ID_FORM, says((v) => `${code(v)} is not a task ID: task IDs look like rt-7k2f9q`))
  .transform((v) => v.toLowerCase());
const TASK_ID: Subject<string> = { what: 'task ID', placeholder: '<task-id>', example: 'rt-7k2f9q', alone: 'one task ID', schema: TaskIdSchema };
const ENV: Subject<string> = { what: 'environment', placeholder: '<env>', example: 'staging', alone: 'one environment', schema: EnvSchema };

/** What `--status` takes: a task status, or Scheduled (To release with a scheduled start). */
const LIST_STATUSES = [...TASK_STATUSES, SCHEDULED] as const;
type ListStatus = (typeof LIST_STATUSES)[number];
const statusKey = (s: string) => s.trim().toLowerCase().replace(/[\s_-]+/g, ' ');
const findStatus = (s: string) => LIST_STATUSES.find((t) => statusKey(t) === statusKey(s));
const StatusSchema = z.string().transform((v, ctx): ListStatus => {
  const valid = LIST_STATUSES.map((t) => `"${t}"`).join(', ');
  const found = findStatus(v);
  if (!found) ctx.addIssue({ code: 'custom', input: v, message: `unknown status ${code(v)}: use one of ${valid}` });
  return found ?? z.NEVER;
});

function buildList(input: BuildInput): Command<'list'> {
  const s = input.scan();
  let extra = s.positionals;
  const statusFlag = s.values.get('status');
  if (statusFlag && !findStatus(statusFlag.value) && extra[0]?.at === statusFlag.at + 1) {
    // Two-word statuses typed without quotes (`--status rolled back`) are unambiguous: accept them.
    const joined = `${statusFlag.value} ${extra[0].word}`;
    if (findStatus(joined)) [statusFlag.value, extra] = [joined, extra.slice(1)];
  }
  const status = statusFlag && check(StatusSchema, statusFlag.value);
  const envFlag = s.values.get('env');
  const env = envFlag && check(EnvSchema, envFlag.value);
  if (extra[0]) {
    const asEnv = EnvSchema.safeParse(extra[0].word).success ? ` (to filter by environment write --env ${extra[0].word})` : '';
    input.unexpected(extra[0].word, asEnv);
  }
  return { kind: 'list', ...(status ? { status } : {}), ...(env ? { env } : {}) };
}

function buildAudit(input: BuildInput): Command<'audit'> {
  const s = input.scan();
  const [first, extra] = s.positionals;
  if (extra) input.unexpected(extra.word);
  const envFlag = s.values.get('env');
  if (first && envFlag) {
    fail(`both a task ID (${code(first.word)}) and \`--env\`: /release audit takes one task ID or --env <env>, not both`);
  }
  // An environment name where the task ID goes; `rt-12` is a mistyped task ID, not an environment.
  if (first && !/^rt-/i.test(first.word) && EnvSchema.safeParse(first.word).success) {
    fail(`${code(first.word)} is not a task ID (to audit an environment write --env ${first.word}): task IDs look like rt-7k2f9q`);
  }
  const taskId = first && check(TaskIdSchema, first.word);
  const env = envFlag && check(EnvSchema, envFlag.value);
  const since = s.values.get('since');
  const sinceMs = since && check(DurationSchema, since.value);
  return {
    kind: 'audit', ...(taskId ? { taskId } : {}), ...(env ? { env } : {}), ...(sinceMs ? { sinceMs } : {}),
    csv: s.switches.has('csv'),
  };
}

/** An action subcommand, from its row in the task action table. */
const actionSpec = (action: TaskAction): SubcommandSpec<ReleaseCommand> => {
  const row: ActionSpec = ACTIONS.task[action];
  return onSubject(TASK_ID, {
    usage: `/release ${action} <task-id> ${OVERRIDE}${row.force ? ' [--force]' : ''}`,
    summary: `/release ${TASK_ACTIONS.join('|')} <task-id> ${OVERRIDE}`,
    help: [{ what: `${row.help}${row.force ? ` (\`--force\`: ${row.force})` : ''}`, examples: [`${action} rt-7k2f9q`] }],
    flags: row.force ? { ...OVERRIDE_FLAG, force: null } : OVERRIDE_FLAG,
  }, (taskId, s) => ({ kind: 'action', action, taskId, ...override(s), ...(s.switches.has('force') ? { force: true as const } : {}) }));
};

const AT_USAGE = '/release start <task-id> --at <time>';
const AT_FLAG = { at: { missing: `\`--at\` needs a time: write ${SCHEDULE_FORMS}` } } as const;

/**
 * `start`, now or at a time (`--at`). `--at tomorrow 06:30` typed without quotes leaves `06:30`
 * as the word after the flag's value: it is unambiguous, so it is taken as part of the time.
 */
function startSpec(): SubcommandSpec<ReleaseCommand> {
  const now = actionSpec('start');
  return {
    ...now,
    usage: `${now.usage}\n${AT_USAGE}`,
    help: [
      ...now.help.map((line) => ({ usage: now.usage, ...line })),
      {
        usage: AT_USAGE,
        what: 'start it later: the same checks as Release run then (approval, freeze windows, busy components); `/release cancel` or Cancel on the card drops it',
        examples: ['start rt-7k2f9q --at 22:00', 'start rt-7k2f9q --at "tomorrow 06:30"', 'start rt-7k2f9q --at 2026-12-05T06:30Z'],
      },
    ],
    flags: { ...OVERRIDE_FLAG, ...AT_FLAG },
    build: (input) => {
      const s = input.scan();
      const at = s.values.get('at');
      const next = at && s.positionals.findIndex((p) => p.at === at.at + 1);
      if (at && next !== undefined && next >= 0 && /^tomorrow$/i.test(at.value)) {
        at.value = `${at.value} ${s.positionals[next]!.word}`;
        s.positionals.splice(next, 1);
      }
      unquotedText(s, 1);
      const taskId = readSubject(input, s, TASK_ID);
      const extra = s.positionals[1];
      if (extra) input.unexpected(extra.word, at ? ` (a time of two words goes in quotes: --at "tomorrow 06:30")` : '');
      if (!at) return { kind: 'action', action: 'start', taskId, ...override(s) };
      input.narrowUsage(AT_USAGE);
      if (s.values.has('override')) {
        fail('`--override` lets a start through a freeze now; a scheduled start meets the freeze windows of its own time. Schedule it without --override, or start it now with --override');
      }
      const read = readScheduleTime(at.value);
      if (!read.ok) fail(`\`--at\`: ${read.reason}`);
      return { kind: 'schedule', taskId, at: read.at };
    },
  };
}

/** `--at` anywhere but on start is refused in words, not as an unknown flag. */
function startOnlyAt(name: string, spec: SubcommandSpec<ReleaseCommand>): SubcommandSpec<ReleaseCommand> {
  return {
    ...spec,
    build: (input) => {
      if (input.words.some((w) => parseFlag(w)?.name === 'at')) {
        fail(`\`--at\` schedules a start only: write ${AT_USAGE}${name === 'cancel' ? '' : ` (/release ${name} cannot be scheduled)`}`);
      }
      return spec.build(input);
    },
  };
}

const TABLE = {
  create: {
    usage: Object.values(CREATE_FORMS).join('\n'),
    help: [
      {
        usage: CREATE_FORMS.deploy, what: 'deploy components (replicas default to 1)',
        examples: ['create web-1.27 deploy --env staging web=registry.example.com/team/web:1.27x3 worker=worker:1.27'],
      },
      {
        usage: UPGRADE_BY_IMAGE, what: 'change the image of running components',
        examples: ['create api-2.0 upgrade --env prod api=api:2.0 cron=api:2.0 --best-effort --parallel 2'],
      },
      {
        usage: UPGRADE_BY_TAG,
        what: "give each chosen component's current image a new tag (the repository stays; a digest @sha256:… is replaced by the tag too). " +
          "Choose by name, by pattern (`*` any run, `?` one character; quotes optional) or `--all` of the environment",
        examples: ['create r-1.4 upgrade --env prod --all --tag 1.4', "create r-web upgrade --env prod 'web-*' --tag 1.4"],
      },
      {
        usage: CREATE_FORMS.clone, what: "copy components' images from one environment to another: named ones, those matching a pattern, or `--all` of `--from`",
        examples: ['create sync-prod clone --from staging --env prod web api --desc "Friday sync"', 'create c1 clone --from staging --env prod --all'],
      },
    ],
    flags: CREATE_FLAGS, positionals: 'a task name, an operation and components',
    build: buildCreate,
  },
  ...(Object.fromEntries(TASK_ACTIONS.map((a) => [a, a === 'start' ? startSpec() : actionSpec(a)])) as Record<TaskAction, SubcommandSpec<ReleaseCommand>>),
  cancel: onSubject(TASK_ID, {
    usage: '/release cancel <task-id>', flags: {}, synonyms: ['unschedule'],
    help: [{ what: 'drop the scheduled start of a task (it stays To release)', examples: ['cancel rt-7k2f9q'] }],
  }, (taskId) => ({ kind: 'cancel', taskId })),
  approve: onSubject(TASK_ID, {
    usage: '/release approve <task-id>', flags: {},
    help: [{ what: 'approve the operation waiting on a task in a protected environment', examples: ['approve rt-7k2f9q'] }],
  }, (taskId) => ({ kind: 'approve', taskId })),
  reject: onSubject(TASK_ID, {
    usage: '/release reject <task-id> [--reason "text"]', flags: REASON_FLAG,
    help: [{ what: 'reject it; the operation does not run', examples: ['reject rt-7k2f9q --reason "wrong image tag"'] }],
  }, (taskId, s) => ({ kind: 'reject', taskId, ...reason(s) })),
  audit: {
    usage: '/release audit [<task-id> | --env <env>] [--since 7d] [--csv]',
    help: [{
      what: 'who did what, for one task, one environment or every task; `--csv` uploads it as a file',
      examples: ['audit rt-7k2f9q', 'audit --env prod --since 7d --csv'],
    }],
    flags: { env: '<env>', ...SINCE_FLAG, csv: null }, positionals: 'at most one task ID, then --env, --since and --csv',
    build: buildAudit,
  },
  show: onSubject(TASK_ID, {
    usage: '/release show <task-id> [--page N]', flags: { page: 'N' },
    help: [{ what: `a task's Release Info and History, ${DETAIL_PAGE_SIZE} components a page (failures and in-flight first)`, examples: ['show rt-7k2f9q', 'show rt-7k2f9q --page 2'] }],
  }, (taskId, s) => {
    const page = s.values.get('page');
    return { kind: 'show', taskId, ...(page ? { page: check(PageSchema, page.value) } : {}) };
  }),
  plan: {
    usage: Object.values(CREATE_FORMS).map((f) => f.replaceAll('/release create', '/release plan')).join('\n'),
    help: [{
      what: 'what create would do, component by component (what runs now -> the target), without creating anything',
      examples: ['plan web-1.4 upgrade --env prod web=registry.example.com/team/web:1.4'],
    }],
    flags: CREATE_FLAGS, positionals: 'a task name, an operation and components, as for create',
    build: (input) => ({ ...buildCreate(input), kind: 'plan' }),
  },
  list: {
    usage: '/release list [--status "<label>"] [--env <env>]',
    help: [{ what: 'tasks, optionally filtered', examples: ['list --status "Release failed" --env prod'] }],
    flags: { status: '"<label>"', env: '<env>' }, positionals: 'only --status "<label>" and --env <env>',
    build: buildList,
  },
  components: onSubject(ENV, {
    usage: '/release components <env>', flags: {},
    help: [{ what: 'components of an environment', examples: ['components staging'] }],
  }, (env) => ({ kind: 'components', env })),
} satisfies Record<string, SubcommandSpec<ReleaseCommand>>;

const SUBCOMMANDS = Object.fromEntries(
  Object.entries(TABLE).map(([name, spec]) => [name, name === 'start' ? spec : startOnlyAt(name, spec)]),
) as typeof TABLE;

const RELEASE: Grammar<ReleaseCommand, keyof typeof SUBCOMMANDS> = {
  command: '/release',
  subcommands: SUBCOMMANDS,
  intro: ['*`/release`: batch release tasks*'],
  quickStart: [
    '1. `/release create web-1.4 deploy --env staging web=registry.example.com/web:1.4` creates a task and posts its card here',
    '2. Click *Release* on the card (or `/release start rt-7k2f9q`) to release it; the card and its thread follow the run',
    '3. `/release list` shows the tasks; `/release show rt-7k2f9q` shows one in detail',
  ],
  groups: [
    { title: 'Create', names: ['create', 'plan'] },
    { title: 'Run', names: ['start', 'suspend', 'resume', 'retry', 'rollback', 'cancel', 'delete'] },
    { title: 'Approve', names: ['approve', 'reject'] },
    { title: 'Look', names: ['list', 'show', 'components', 'audit'] },
  ],
  notes: [
    {
      text: `*Create options* (any order after the operation; \`--opt=value\` works too): \`--best-effort\` keeps releasing the other components when one fails; \`--parallel N\` releases N components at once (1–32, default ${DEFAULT_PARALLEL}); \`--desc "text"\` up to 500 characters. A task takes at most ${MAX_TASK_COMPONENTS.toLocaleString('en-US')} components; a pattern or \`--all\` that chooses nothing is refused, and a component both named and chosen is taken as named.`,
      about: ['create', 'plan'],
    },
    { text: freezeNote('/release start rt-7k2f9q'), about: ['start', 'retry', 'rollback', 'resume'] },
    { text: SINCE_NOTE, about: ['audit', 'reject'] },
    {
      text: `*\`--at\`* takes ${SCHEDULE_FORMS}; at most 30 days ahead. A scheduled task stays To release; \`/release list --status ${SCHEDULED}\` lists them.`,
      about: ['start', 'cancel'],
    },
    { text: `*Statuses*: ${TASK_STATUSES.join(', ')}. Task IDs look like \`rt-7k2f9q\`.`, about: ['list'] },
  ],
  // A task ID where the subcommand goes is certain enough to win over a "did you mean"; an
  // operation there is a create without its name.
  unknownHint: (word, rest) => {
    if (TASK_ID_FORM.test(word)) return `To see that task write \`/release show ${word.toLowerCase()}\`.`;
    const op = word.toLowerCase();
    if (op === 'deploy' || op === 'upgrade' || op === 'clone') return `A task is created with a name first: ${code(`/release create <name> ${op}${rest ? ` ${rest}` : ''}`)}.`;
    return undefined;
  },
};

const { help, create, ...rest } = usages(RELEASE);
/** Usage per subcommand; `deploy`/`upgrade`/`clone` are the single lines of `create`. */
export const RELEASE_USAGE = { help, create, ...CREATE_FORMS, ...rest };
/** A subcommand, or one of create's operations, whose usage can go with an error. */
export type ReleaseUsageKey = keyof typeof RELEASE_USAGE;

/** Every form, one per line (the actions share one): the usage shown when the subcommand itself is unknown. */
export const RELEASE_USAGE_SUMMARY = usageSummary(RELEASE);

/** The reply to `/release help`: quick start and the subcommands by group. */
export const RELEASE_HELP = helpText(RELEASE);

/** The reply to `/release help [<subcommand> | all]`. */
export function releaseHelp(topic?: string): string {
  return helpText(RELEASE, topic);
}

/** Parse `/release` text (empty text is `help`). Never throws, whatever the input. */
export function parseReleaseCommand(text: string): ParseResult<ReleaseCommand> {
  return parse(RELEASE, text);
}
