/**
 * `/bluegreen` text → BlueGreenCommand: the /bluegreen table for the grammar engine
 * (grammar.ts). Job-card controls send the same text ("release web", "rollback web 3"), so
 * this is the single gate for blue-green input: it never throws, and every refusal names what
 * is wrong in words plus the usage line to show next to it. Every job action in the action
 * table is a subcommand; those without a builder of their own take just the job.
 */
import type { BlueGreenCommand, PlainJobAction } from './bluegreen-command.js';
import { ACTIONS, JOB_ACTIONS, type ActionSpec, type JobAction } from '../domain/actions.js';
import { CREATE_FLAGS, EXAMPLE_IMAGE, JOB, JobSchema, buildCreate, buildRollback, buildUpdate } from './bluegreen-builders.js';
import { helpText, parse, usageSummary, usages, type BuildInput, type Grammar, type ParseResult, type SubcommandSpec } from './grammar.js';
import { onSubject, readSubject } from './subject.js';
import { quoteWord as code } from './tokenize.js';
import { DurationSchema, EnvSchema, OVERRIDE_FLAG, REASON_FLAG, SINCE_FLAG, SINCE_NOTE, check, freezeNote, override, reason } from './values.js';

type Spec = SubcommandSpec<BlueGreenCommand>;
type Command<K extends BlueGreenCommand['kind']> = Extract<BlueGreenCommand, { kind: K }>;

const OVERRIDE = '[--override "reason"]';

/** The job actions with arguments of their own; every other one gets `plainAction`. */
const SPECIAL: Record<Exclude<JobAction, PlainJobAction>, Spec> = {
  update: {
    usage: `/bluegreen update <job> <image> ${OVERRIDE}`,
    help: [{
      what: 'Update Version: bring the new image up beside the serving one; the job pauses (Paused) with two main versions',
      examples: ['update web registry.example.com/team/web:1.3.0'],
    }],
    flags: { image: '<image>', ...OVERRIDE_FLAG }, positionals: 'one job name and one image',
    synonyms: ['upgrade', 'deploy'],
    build: buildUpdate,
  },
  rollback: {
    usage: `/bluegreen rollback <job> <revision> ${OVERRIDE} [--force]`,
    help: [{
      what: 'bring a historical version back up as a new version, ending Paused (revision: 3, rev3 or #3)', examples: ['rollback web 3'],
    }],
    flags: { ...OVERRIDE_FLAG, force: null }, positionals: 'one job name and one revision',
    synonyms: ['revert', 'undo'],
    build: buildRollback,
  },
};
const isSpecial = (a: JobAction): a is keyof typeof SPECIAL => Object.hasOwn(SPECIAL, a);

/** Words from other tools and the manual's button labels; grammar words, so not in the action table. */
const ACTION_SYNONYMS: Partial<Record<JobAction, readonly string[]>> = {
  release: ['promote', 'switch'],
  terminate: ['abort', 'cancel', 'stop'],
  delete: ['remove', 'rm', 'untrack', 'forget'],
};

/**
 * `/bluegreen <action> <job> [--override "reason"]`, from the action's row in the action table.
 * `--override` is offered only where it can matter: an action that is gated or stopped by a freeze.
 */
const plainAction = (action: PlainJobAction): Spec => {
  const spec: ActionSpec = ACTIONS.bluegreen[action];
  const overridable = spec.gated || spec.frozen !== undefined;
  return onSubject(JOB, {
    usage: `/bluegreen ${action} <job>${overridable ? ` ${OVERRIDE}` : ''}`,
    help: [{ what: spec.help, examples: [`${action} web`] }],
    flags: overridable ? OVERRIDE_FLAG : {},
    synonyms: ACTION_SYNONYMS[action],
  }, (job, s) => ({ kind: action, job, ...override(s) }) as Command<PlainJobAction>);
};

function buildAudit(input: BuildInput): Command<'audit'> {
  const s = input.scan();
  const job = readSubject(input, s, JOB, ' [--since 7d] [--csv]', ' --since 7d');
  if (s.positionals[1]) input.unexpected(s.positionals[1].word);
  const since = s.values.get('since');
  return { kind: 'audit', job, ...(since ? { sinceMs: check(DurationSchema, since.value) } : {}), csv: s.switches.has('csv') };
}

function buildList(input: BuildInput): Command<'list'> {
  const s = input.scan();
  const envFlag = s.values.get('env');
  const env = envFlag && check(EnvSchema, envFlag.value);
  const extra = s.positionals[0];
  if (extra) {
    const asEnv = !envFlag && EnvSchema.safeParse(extra.word).success ? ` (to filter by environment write --env ${extra.word})` : '';
    input.unexpected(extra.word, asEnv);
  }
  return { kind: 'list', ...(env ? { env } : {}) };
}

const SUBCOMMANDS = {
  create: {
    usage: '/bluegreen create <job> --env <env> --workload <name> --image <image> [--replicas N] [--desc "text"] [--new-env]',
    help: [{
      what: 'create a job and bring up its first version, which takes the traffic (replicas default to 1)',
      examples: [`create web --env prod --workload web --image ${EXAMPLE_IMAGE} --replicas 3 --desc "storefront"`],
    }],
    flags: CREATE_FLAGS, positionals: 'one job name, then --env, --workload, --image, --replicas and --desc',
    synonyms: ['new', 'add'],
    build: buildCreate,
  },
  ...(Object.fromEntries(JOB_ACTIONS.map((a) => [a, isSpecial(a) ? SPECIAL[a] : plainAction(a)])) as Record<JobAction, Spec>),
  approve: onSubject(JOB, {
    usage: '/bluegreen approve <job>', flags: {},
    help: [{ what: 'approve the operation waiting on a job in a protected environment', examples: ['approve web'] }],
  }, (job) => ({ kind: 'approve', job })),
  reject: onSubject(JOB, {
    usage: '/bluegreen reject <job> [--reason "text"]', flags: REASON_FLAG, synonyms: ['deny', 'decline'],
    help: [{ what: 'reject it; the operation does not run', examples: ['reject web --reason "wrong image tag"'] }],
  }, (job, s) => ({ kind: 'reject', job, ...reason(s) })),
  audit: {
    usage: '/bluegreen audit <job> [--since 7d] [--csv]',
    help: [{ what: 'who did what to a job; `--csv` uploads it as a file', examples: ['audit web --since 7d --csv'] }],
    flags: { ...SINCE_FLAG, csv: null }, positionals: 'one job name, then --since and --csv',
    build: buildAudit,
  },
  history: onSubject(JOB, {
    usage: '/bluegreen history <job>', flags: {}, synonyms: ['versions', 'log'],
    help: [{ what: 'every historical version of a job', examples: ['history web'] }],
  }, (job) => ({ kind: 'history', job })),
  show: onSubject(JOB, {
    usage: '/bluegreen show <job>', flags: {}, synonyms: ['status', 'get', 'info', 'describe'],
    help: [{ what: 'basic information, main versions and recent history', examples: ['show web'] }],
  }, (job) => ({ kind: 'show', job })),
  list: {
    usage: '/bluegreen list [--env <env>]',
    help: [{ what: 'jobs, optionally in one environment', examples: ['list --env prod'] }],
    flags: { env: '<env>' }, positionals: 'only --env <env>',
    synonyms: ['ls'],
    build: buildList,
  },
} satisfies Record<string, Spec>;

const BLUEGREEN: Grammar<BlueGreenCommand, keyof typeof SUBCOMMANDS> = {
  command: '/bluegreen',
  subcommands: SUBCOMMANDS,
  intro: [
    '*`/bluegreen`: blue-green release jobs*',
    'A job keeps two main versions of one workload, *blue* and *green*. *Active* marks the version that receives the traffic, *Stable* the one last released.',
  ],
  quickStart: [
    `1. \`/bluegreen create web --env prod --workload web --image ${EXAMPLE_IMAGE}\` creates a job and posts its card here`,
    '2. `/bluegreen update web registry.example.com/team/web:1.3.0` brings a new version up beside the serving one (Paused)',
    '3. Click *Release* on the card (or `/bluegreen release web`) to switch the traffic; `/bluegreen show web` shows the job',
  ],
  groups: [
    { title: 'Create', names: ['create'] },
    { title: 'Run', names: ['update', 'release', 'terminate', 'rollback', 'delete'] },
    { title: 'Approve', names: ['approve', 'reject'] },
    { title: 'Look', names: ['list', 'show', 'history', 'audit'] },
  ],
  notes: [
    { text: freezeNote('/bluegreen release web'), about: ['update', 'release', 'terminate', 'rollback'] },
    { text: SINCE_NOTE, about: ['audit', 'reject'] },
    {
      text: '*Names*: jobs, environments and workloads are lower case: letters, digits and "-", up to 63 characters. Images need a tag or a digest. `--desc` takes up to 500 characters; `--opt=value` works too.',
      about: ['create', 'update'],
    },
    {
      text: '*Statuses*: Healthy, Progressing (new version coming up), Paused (two versions, waiting for Release or Terminate), Promoting, Terminating, Degraded (the new version never became ready: Terminate it).',
      about: ['show', 'list'],
    },
  ],
  // A task ID after it means /release was meant. Any lower-case word is a possible job name, so
  // a "did you mean" wins over reading it as one.
  unknownHint: (word, rest, guess) => {
    if (/^rt-[0-9a-z]{6}\b/i.test(rest)) return `Release tasks have a command of their own: ${code(`/release ${word} ${rest}`)}.`;
    return !guess && JobSchema.safeParse(word).success ? `To see that job write \`/bluegreen show ${word}\`.` : undefined;
  },
};

/** Usage per subcommand. */
export const BLUEGREEN_USAGE = usages(BLUEGREEN);
/** A subcommand whose usage can go with an error. */
export type BlueGreenUsageKey = keyof typeof BLUEGREEN_USAGE;

/** Every form, one per line: the usage shown when the subcommand itself is unknown. */
export const BLUEGREEN_USAGE_SUMMARY = usageSummary(BLUEGREEN);

/** The reply to `/bluegreen help`: quick start and the subcommands by group. */
export const BLUEGREEN_HELP = helpText(BLUEGREEN);

/** The reply to `/bluegreen help [<subcommand> | all]`. */
export function blueGreenHelp(topic?: string): string {
  return helpText(BLUEGREEN, topic);
}

/** Parse `/bluegreen` text (empty text is `help`). Never throws, whatever the input. */
export function parseBlueGreenCommand(text: string): ParseResult<BlueGreenCommand> {
  return parse(BLUEGREEN, text);
}
