/**
 * `/release` text → ReleaseCommand. Status-card buttons send the same text, so this is the
 * single gate for user input: it never throws, and every refusal names what is wrong in
 * words plus the usage line to show next to it.
 */
import { z } from 'zod';
import type { ParseResult, ReleaseCommand, TaskAction } from './release-command.js';
import { DEFAULT_PARALLEL, OPERATION_KEYWORDS, TASK_STATUSES } from '../domain/release-task.js';
import type { ComponentSpec, TaskStatus } from '../domain/release-task.js';
import { GrammarError, didYouMean, parseFlag, quoteWord as code, scanWords, tokenize, type FlagSpec, type ScannedWords } from './tokenize.js';
import {
  ComponentSchema, DescriptionSchema, DurationSchema, EnvSchema, OVERRIDE_FLAG, OverrideSchema, REASON_FLAG, ReasonSchema, SINCE_FLAG,
  check, fail, firstOnly, hasTagOrDigest, imageSchema, inRange, replicasSchema, says, unquotedText,
} from './values.js';

type Command<K extends ReleaseCommand['kind']> = Extract<ReleaseCommand, { kind: K }>;
type Keyword = keyof typeof OPERATION_KEYWORDS;

const ACTIONS: readonly TaskAction[] = ['start', 'suspend', 'resume', 'retry', 'rollback', 'delete'];
const KEYWORDS = Object.keys(OPERATION_KEYWORDS) as Keyword[];
const SUBCOMMANDS = ['help', 'create', ...ACTIONS, 'approve', 'reject', 'audit', 'show', 'list', 'components'];
const HELP_WORDS = new Set(['help', '--help', '-h', '?']);
const MAX_COMPONENTS = 200;
const OPTIONS = '[--best-effort] [--parallel N] [--desc "text"]';
const OVERRIDE = '[--override "reason"]';

const DEPLOY = `/release create <name> deploy --env <env> <component>=<image>[x<replicas>] … ${OPTIONS}`;
const UPGRADE = `/release create <name> upgrade --env <env> <component>=<image> … ${OPTIONS}`;
const CLONE = `/release create <name> clone --from <env> --env <env> <component> … ${OPTIONS}`;

/** Usage per subcommand; `deploy`/`upgrade`/`clone` are the single lines of `create`. */
export const RELEASE_USAGE = {
  help: '/release help',
  create: [DEPLOY, UPGRADE, CLONE].join('\n'),
  deploy: DEPLOY,
  upgrade: UPGRADE,
  clone: CLONE,
  start: `/release start <task-id> ${OVERRIDE}`,
  suspend: `/release suspend <task-id> ${OVERRIDE}`,
  resume: `/release resume <task-id> ${OVERRIDE}`,
  retry: `/release retry <task-id> ${OVERRIDE}`,
  rollback: `/release rollback <task-id> ${OVERRIDE}`,
  delete: `/release delete <task-id> ${OVERRIDE}`,
  approve: '/release approve <task-id>',
  reject: '/release reject <task-id> [--reason "text"]',
  audit: '/release audit [<task-id> | --env <env>] [--since 7d] [--csv]',
  show: '/release show <task-id>',
  list: '/release list [--status "<label>"] [--env <env>]',
  components: '/release components <env>',
} as const;
export type ReleaseUsageKey = keyof typeof RELEASE_USAGE;

/** Every form, one per line: the usage shown when the subcommand itself is unknown. */
export const RELEASE_USAGE_SUMMARY = [RELEASE_USAGE.help, RELEASE_USAGE.create, `/release ${ACTIONS.join('|')} <task-id> ${OVERRIDE}`]
  .concat([RELEASE_USAGE.approve, RELEASE_USAGE.reject, RELEASE_USAGE.audit, RELEASE_USAGE.show, RELEASE_USAGE.list, RELEASE_USAGE.components])
  .join('\n');

export const RELEASE_HELP = [
  '*`/release`: batch release tasks*',
  `• \`${RELEASE_USAGE.deploy}\`: deploy components (replicas default to 1)`,
  '   e.g. `/release create web-1.27 deploy --env staging web=registry.example.com/team/web:1.27x3 worker=worker:1.27`',
  `• \`${RELEASE_USAGE.upgrade}\`: change the image of running components`,
  '   e.g. `/release create api-2.0 upgrade --env prod api=api:2.0 cron=api:2.0 --best-effort --parallel 2`',
  `• \`${RELEASE_USAGE.clone}\`: copy components' images from one environment to another`,
  '   e.g. `/release create sync-prod clone --from staging --env prod web api --desc "Friday sync"`',
  `• \`${RELEASE_USAGE.start}\`: start releasing a task that is To release   e.g. \`/release start rt-7k2f9q\``,
  `• \`${RELEASE_USAGE.suspend}\`: pause a releasing task   e.g. \`/release suspend rt-7k2f9q\``,
  `• \`${RELEASE_USAGE.resume}\`: continue a suspended task   e.g. \`/release resume rt-7k2f9q\``,
  `• \`${RELEASE_USAGE.retry}\`: release the failed and never-started components again   e.g. \`/release retry rt-7k2f9q\``,
  `• \`${RELEASE_USAGE.rollback}\`: return an upgrade to the previous images   e.g. \`/release rollback rt-7k2f9q\``,
  `• \`${RELEASE_USAGE.delete}\`: delete a task that is not running   e.g. \`/release delete rt-7k2f9q\``,
  `• \`${RELEASE_USAGE.approve}\`: approve the operation waiting on a task in a protected environment   e.g. \`/release approve rt-7k2f9q\``,
  `• \`${RELEASE_USAGE.reject}\`: reject it; the operation does not run   e.g. \`/release reject rt-7k2f9q --reason "wrong image tag"\``,
  `• \`${RELEASE_USAGE.audit}\`: who did what, for one task, one environment or every task; \`--csv\` uploads it as a file`,
  '   e.g. `/release audit rt-7k2f9q`   e.g. `/release audit --env prod --since 7d --csv`',
  `• \`${RELEASE_USAGE.show}\`: a task's Release Info and History   e.g. \`/release show rt-7k2f9q\``,
  `• \`${RELEASE_USAGE.list}\`: tasks, optionally filtered   e.g. \`/release list --status "Release failed" --env prod\``,
  `• \`${RELEASE_USAGE.components}\`: components of an environment   e.g. \`/release components staging\``,
  `• \`${RELEASE_USAGE.help}\`: this message`,
  `*Create options* (any order after the operation; \`--opt=value\` works too): \`--best-effort\` keeps releasing the other components when one fails; \`--parallel N\` releases N components at once (1–32, default ${DEFAULT_PARALLEL}); \`--desc "text"\` up to 500 characters.`,
  '*Freeze windows*: an approver can go ahead anyway with `--override "reason"` (up to 300 characters), e.g. `/release start rt-7k2f9q --override "hotfix for INC-123"`',
  '*`--since`*: 30m, 12h, 7d or 2w (minutes, hours, days, weeks), from 1 minute to 365 days. `--reason` takes up to 300 characters.',
  `*Statuses*: ${TASK_STATUSES.join(', ')}. Task IDs look like \`rt-7k2f9q\`.`,
].join('\n');

const TaskIdSchema = z.string()
  .regex(/^rt-[0-9a-z]{6}$/i, says((v) => `${code(v)} is not a task ID: task IDs look like rt-7k2f9q`))
  .transform((v) => v.toLowerCase());

const TaskNameSchema = z.string()
  .min(1, says(() => 'the task name is empty'))
  .max(80, firstOnly((v) => `the task name ${code(v)} is ${v.length} characters long: at most 80`))
  .regex(/^[A-Za-z0-9._-]+$/, says((v) => `the task name ${code(v)} may contain only letters, digits, ".", "_" and "-"`));

const ParallelSchema = z.string()
  .refine((v) => inRange(v, 32), says((v) => `\`--parallel\` must be a whole number from 1 to 32 (got ${code(v)})`))
  .transform(Number);
const statusKey = (s: string) => s.trim().toLowerCase().replace(/[\s_-]+/g, ' ');
const findStatus = (s: string) => TASK_STATUSES.find((t) => statusKey(t) === statusKey(s));
const StatusSchema = z.string().transform((v, ctx): TaskStatus => {
  const valid = TASK_STATUSES.map((t) => `"${t}"`).join(', ');
  const found = findStatus(v);
  if (!found) ctx.addIssue({ code: 'custom', input: v, message: `unknown status ${code(v)}: use one of ${valid}` });
  return found ?? z.NEVER;
});


function component(word: string, keyword: Keyword): ComponentSpec {
  const eq = word.indexOf('=');
  const example = (name: string) => (ComponentSchema.safeParse(name).success ? name : 'web');
  if (keyword === 'clone') {
    if (eq >= 0) fail(`${code(word)}: clone copies each image from \`--from\`, so write just the component name, e.g. ${example(word.slice(0, eq))}`);
    return { name: check(ComponentSchema, word) };
  }
  if (eq < 0 && example(word) === word) fail(`${code(word)} has no image: write ${word}=<image>, e.g. ${word}=nginx:1.27`);
  if (eq < 0) fail(`${code(word)} is not <component>=<image>: write e.g. web=nginx:1.27`);
  if (eq === 0) fail(`${code(word)} has no component name before "=": write <component>=<image>, e.g. web=nginx:1.27`);
  const name = check(ComponentSchema, word.slice(0, eq));
  const image = word.slice(eq + 1);
  // `xN` counts as replicas only right after a tag or digest character, so tags such as
  // `linux-x86` survive; the length cap keeps the backtracking regex cheap on junk.
  const suffix = image.length <= 300 ? /^(.*[A-Za-z0-9])x(\d+)$/.exec(image) : null;
  if (suffix && hasTagOrDigest(suffix[1]!)) {
    const base = check(imageSchema(word, name), suffix[1]!);
    if (keyword === 'upgrade') {
      fail(`${code(word)}: replicas (x${suffix[2]}) can only be set on deploy; upgrade keeps each component's replicas, so write ${name}=${base}`);
    }
    return { name, image: base, replicas: check(replicasSchema(word), suffix[2]!) };
  }
  const checked = check(imageSchema(word, name), image);
  return keyword === 'deploy' ? { name, image: checked, replicas: 1 } : { name, image: checked };
}

const CREATE_FLAGS = { env: '<env>', from: '<env>', 'best-effort': null, parallel: 'N', desc: '"text"' };
const EXAMPLES: Record<Keyword, string> = { deploy: 'web=nginx:1.27x2', upgrade: 'web=nginx:1.27', clone: 'web' };

function parseCreate(words: readonly string[], ctx: { usage: string }): Command<'create'> {
  const [nameWord, opWord, ...rest] = words;
  const isKeyword = (w: string | undefined): w is string => w !== undefined && Object.hasOwn(OPERATION_KEYWORDS, w.toLowerCase());
  if (nameWord === undefined || parseFlag(nameWord) || (isKeyword(nameWord) && !isKeyword(opWord))) {
    fail('the task name is missing: write /release create <name> deploy|upgrade|clone …');
  }
  const name = check(TaskNameSchema, nameWord);
  if (opWord === undefined) fail(`the operation is missing: write /release create ${name} deploy, upgrade or clone, then the options`);
  if (!isKeyword(opWord)) fail(`unknown operation ${code(opWord)}${didYouMean(opWord, KEYWORDS)}: right after the task name write deploy, upgrade or clone`);
  const keyword = opWord.toLowerCase() as Keyword;
  ctx.usage = RELEASE_USAGE[keyword];

  const s = scanWords(rest, '/release create', CREATE_FLAGS);
  const envFlag = s.values.get('env');
  if (!envFlag) fail('`--env <env>` is missing: which environment the task releases to');
  const env = check(EnvSchema, envFlag.value);
  const fromFlag = s.values.get('from');
  if (keyword !== 'clone' && fromFlag) fail(`\`--from\` is only for clone: ${keyword} takes each image from <component>=<image>`);
  if (keyword === 'clone' && !fromFlag) fail('`--from <env>` is missing: clone copies images from that environment into `--env`');
  const sourceEnv = fromFlag && check(EnvSchema, fromFlag.value);
  if (sourceEnv === env) fail(`\`--from\` and \`--env\` are both ${code(env)}: clone copies between two different environments`);

  const components = s.positionals.map((p) => component(p.word, keyword));
  if (components.length === 0) fail(`no components: list at least one, e.g. ${EXAMPLES[keyword]}`);
  if (components.length > MAX_COMPONENTS) fail(`${components.length} components: a task takes at most ${MAX_COMPONENTS}`);
  const seen = new Set<string>();
  for (const { name: c } of components) {
    if (seen.has(c)) fail(`component ${code(c)} is listed twice: list each component once`);
    seen.add(c);
  }
  const parallel = s.values.get('parallel');
  const desc = s.values.get('desc');
  const description = desc ? check(DescriptionSchema, desc.value) : ''; // empty means none
  return {
    kind: 'create', name, operation: OPERATION_KEYWORDS[keyword], env, ...(sourceEnv ? { sourceEnv } : {}), components,
    bestEffort: s.switches.has('best-effort'),
    parallel: parallel ? check(ParallelSchema, parallel.value) : DEFAULT_PARALLEL,
    ...(description ? { description } : {}),
  };
}

function parseList(words: readonly string[]): Command<'list'> {
  const s = scanWords(words, '/release list', { status: '"<label>"', env: '<env>' });
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
    fail(`unexpected ${code(extra[0].word)}${asEnv}: /release list takes only --status "<label>" and --env <env>`);
  }
  return { kind: 'list', ...(status ? { status } : {}), ...(env ? { env } : {}) };
}

/** The one positional argument of a subcommand (a task ID, an environment), and the flags around it. */
function single(
  words: readonly string[], sub: string, what: string, placeholder: string, example: string, flags: Record<string, FlagSpec> = {},
): { word: string; s: ScannedWords } {
  const s = scanWords(words, `/release ${sub}`, flags);
  unquotedText(s, 1);
  const [first, extra] = s.positionals;
  if (!first) fail(`which ${what}? write /release ${sub} ${placeholder}, e.g. /release ${sub} ${example}`);
  if (extra) {
    const asReason = Object.hasOwn(flags, 'reason') && !s.values.has('reason') ? ' (to give a reason write --reason "text")' : '';
    fail(`unexpected ${code(extra.word)}${asReason}: /release ${sub} takes one ${what}`);
  }
  return { word: first.word, s };
}
const taskIdAnd = (words: readonly string[], sub: string, flags: Record<string, FlagSpec> = {}) => {
  const { word, s } = single(words, sub, 'task ID', '<task-id>', 'rt-7k2f9q', flags);
  return { taskId: check(TaskIdSchema, word), s };
};
const taskId = (words: readonly string[], sub: string) => taskIdAnd(words, sub).taskId;

function parseAction(action: TaskAction, words: readonly string[]): Command<'action'> {
  const { taskId, s } = taskIdAnd(words, action, OVERRIDE_FLAG);
  const flag = s.values.get('override');
  const override = flag && check(OverrideSchema, flag.value);
  return { kind: 'action', action, taskId, ...(override ? { override } : {}) };
}

function parseReject(words: readonly string[]): Command<'reject'> {
  const { taskId, s } = taskIdAnd(words, 'reject', REASON_FLAG);
  const flag = s.values.get('reason');
  const reason = flag && check(ReasonSchema, flag.value);
  return { kind: 'reject', taskId, ...(reason ? { reason } : {}) };
}

const AUDIT_FLAGS = { env: '<env>', ...SINCE_FLAG, csv: null };

function parseAudit(words: readonly string[]): Command<'audit'> {
  const s = scanWords(words, '/release audit', AUDIT_FLAGS);
  const [first, extra] = s.positionals;
  if (extra) fail(`unexpected ${code(extra.word)}: /release audit takes at most one task ID, then --env, --since and --csv`);
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

function usageFor(word: string): string {
  const w = word.toLowerCase();
  if (HELP_WORDS.has(w)) return RELEASE_USAGE.help;
  const known = Object.hasOwn(RELEASE_USAGE, w) && !Object.hasOwn(OPERATION_KEYWORDS, w);
  return known ? RELEASE_USAGE[w as ReleaseUsageKey] : RELEASE_USAGE_SUMMARY;
}

/** Parse `/release` text (empty text is `help`). Never throws, whatever the input. */
export function parseReleaseCommand(text: string): ParseResult<ReleaseCommand> {
  const ctx = { usage: RELEASE_USAGE_SUMMARY };
  try {
    const raw = typeof text === 'string' ? text : '';
    ctx.usage = usageFor(raw.trim().split(/\s+/)[0] ?? ''); // before tokenizing, so quote errors get it too
    const [first, ...rest] = tokenize(raw);
    const sub = (first ?? 'help').toLowerCase();
    const ok = (command: ReleaseCommand): ParseResult<ReleaseCommand> => ({ ok: true, command });
    if (HELP_WORDS.has(sub)) return ok({ kind: 'help' });
    if (sub === 'create') return ok(parseCreate(rest, ctx));
    if (ACTIONS.includes(sub as TaskAction)) return ok(parseAction(sub as TaskAction, rest));
    if (sub === 'approve') return ok({ kind: 'approve', taskId: taskId(rest, sub) });
    if (sub === 'reject') return ok(parseReject(rest));
    if (sub === 'audit') return ok(parseAudit(rest));
    if (sub === 'show') return ok({ kind: 'show', taskId: taskId(rest, sub) });
    if (sub === 'list') return ok(parseList(rest));
    if (sub === 'components') return ok({ kind: 'components', env: check(EnvSchema, single(rest, sub, 'environment', '<env>', 'staging').word) });
    const guess = /^rt-[0-9a-z]{6}$/i.test(sub) ? ` (to see that task write /release show ${sub})` : didYouMean(sub, SUBCOMMANDS);
    fail(`unknown subcommand ${code(first ?? '')}${guess}: use ${SUBCOMMANDS.join(', ')}`);
  } catch (err) {
    const error = err instanceof GrammarError ? err.message : `could not read the command (${String(err)})`;
    return { ok: false, error, usage: ctx.usage };
  }
}
