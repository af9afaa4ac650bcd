/**
 * `/release create <name> deploy|upgrade|clone …`: the one /release subcommand with forms of
 * its own. The operation word picks the form, so from there on an error shows that form's
 * usage line(s) only. Upgrade and clone may choose components without naming each one
 * (`--all`, name patterns, `--tag`): the command carries the choice, and the operations layer
 * resolves it against what runs now.
 */
import { z } from 'zod';
import type { ReleaseCommand, Selection } from './release-command.js';
import { DEFAULT_PARALLEL, OPERATION_KEYWORDS, type ComponentSpec } from '../domain/release-task.js';
import { MAX_TASK_COMPONENTS, isPattern } from '../domain/selection.js';
import type { BuildInput } from './grammar.js';
import { didYouMean, parseFlag, quoteWord as code } from './tokenize.js';
import {
  ComponentSchema, DescriptionSchema, EnvSchema, check, checkImage, checkLabel, fail, firstOnly, hasTagOrDigest, inRange, replicasSchema, says,
} from './values.js';

type Keyword = keyof typeof OPERATION_KEYWORDS;

const KEYWORDS = Object.keys(OPERATION_KEYWORDS) as Keyword[];
const OPTIONS = '[--best-effort] [--parallel N] [--desc "text"] [--new-env]';
/** What `--all` and patterns are written as in usage lines. */
const CHOSEN = "<component>|'<pattern>'|--all";

/** The usage line(s) of each operation; upgrade has two, by image or by `--tag`. */
export const CREATE_FORMS = {
  deploy: `/release create <name> deploy --env <env> <component>=<image>[x<replicas>] … ${OPTIONS}`,
  upgrade: `/release create <name> upgrade --env <env> <component>=<image> … ${OPTIONS}\n` +
    `/release create <name> upgrade --env <env> --tag <tag> ${CHOSEN} … ${OPTIONS}`,
  clone: `/release create <name> clone --from <env> --env <env> ${CHOSEN} … ${OPTIONS}`,
} as const satisfies Record<Keyword, string>;

/** The flags of every operation; the builder refuses `--from`, `--tag` and `--all` where they do not belong, in words of its own. */
export const CREATE_FLAGS = {
  env: '<env>', from: '<env>', 'best-effort': null, parallel: 'N', desc: '"text"', 'new-env': null, all: null, tag: '<tag>',
};
const EXAMPLES: Record<Keyword, string> = { deploy: 'web=nginx:1.27x2', upgrade: 'web=nginx:1.27', clone: "web (or choose them with 'web-*' or --all)" };

export const TaskNameSchema = z.string()
  .min(1, says(() => 'the task name is empty'))
  .max(80, firstOnly((v) => `the task name ${code(v)} is ${v.length} characters long: at most 80`))
  .regex(/^[A-Za-z0-9._-]+$/, says((v) => `the task name ${code(v)} may contain only letters, digits, ".", "_" and "-"`));

const ParallelSchema = z.string()
  .refine((v) => inRange(v, 32), says((v) => `\`--parallel\` must be a whole number from 1 to 32 (got ${code(v)})`))
  .transform(Number);

/** A name pattern: a component name with `*` (any run) and `?` (one character) in it. */
export const PatternSchema = z.string()
  .max(63, firstOnly((v) => `the pattern ${code(v)} is longer than 63 characters`))
  .refine((v) => v === v.toLowerCase() || !/^[a-z0-9*?-]+$/.test(v.toLowerCase()),
    firstOnly((v) => `component names are lower case: write ${code(v.toLowerCase())}, not ${code(v)}`))
  .regex(/^[a-z0-9*?-]+$/, says((v) => `the pattern ${code(v)} may contain only lower-case letters, digits, "-", "*" (any run) and "?" (one character)`));

/** Docker's tag grammar: a word character, then up to 127 of word characters, "." and "-". */
export const TagSchema = z.string().transform((v, ctx): string => {
  if (/^\w[\w.-]{0,127}$/.test(v)) return v;
  const justTag = /[:@/]/.test(v) ? /:([^:/@]+)$/.exec(v)?.[1] : undefined;
  const message = /[:@/]/.test(v)
    ? `\`--tag\` takes just the tag, not an image: write --tag ${justTag && /^\w[\w.-]{0,127}$/.test(justTag) ? justTag : '1.4'} (each component keeps its repository)`
    : `${code(`--tag ${v}`)} is not an image tag: use letters, digits, "_", "." and "-" (at most 128, not starting with "." or "-"), e.g. --tag 1.4`;
  ctx.addIssue({ code: 'custom', input: v, message });
  return z.NEVER;
});

/** One listed component. `tagged`: upgrade with `--tag`, where the tag decides the image, so a name is all there is to write. */
function component(word: string, keyword: Keyword, tagged: boolean): ComponentSpec {
  const eq = word.indexOf('=');
  const example = (name: string) => (ComponentSchema.safeParse(name).success ? name : 'web');
  if (keyword === 'clone') {
    if (eq >= 0) fail(`${code(word)}: clone copies each image from \`--from\`, so write just the component name, e.g. ${example(word.slice(0, eq))}`);
    return { name: checkLabel(ComponentSchema, word) };
  }
  if (tagged) {
    if (eq >= 0) {
      fail(`${code(word)} gives an image, but \`--tag\` sets the image of every component chosen: write just ${example(word.slice(0, eq))}, or leave out --tag and give each component its image`);
    }
    return { name: checkLabel(ComponentSchema, word) };
  }
  const orTag = keyword === 'upgrade' ? `, or add --tag <tag> to give its current image a new tag` : '';
  if (eq < 0 && example(word) === word) fail(`${code(word)} has no image: write ${word}=<image>, e.g. ${word}=nginx:1.27${orTag}`);
  if (eq < 0) fail(`${code(word)} is not <component>=<image>: write e.g. web=nginx:1.27`);
  if (eq === 0) fail(`${code(word)} has no component name before "=": write <component>=<image>, e.g. web=nginx:1.27`);
  const name = checkLabel(ComponentSchema, word.slice(0, eq));
  const image = word.slice(eq + 1);
  // `xN` counts as replicas only right after a tag or digest character, so tags such as
  // `linux-x86` survive; the length cap keeps the backtracking regex cheap on junk.
  const suffix = image.length <= 300 ? /^(.*[A-Za-z0-9])x(\d+)$/.exec(image) : null;
  if (suffix && hasTagOrDigest(suffix[1]!)) {
    const base = checkImage(word, name, suffix[1]!);
    if (keyword === 'upgrade') {
      fail(`${code(word)}: replicas (x${suffix[2]}) can only be set on deploy; upgrade keeps each component's replicas, so write ${name}=${base}`);
    }
    return { name, image: base, replicas: check(replicasSchema(word), suffix[2]!) };
  }
  const checked = checkImage(word, name, image);
  return keyword === 'deploy' ? { name, image: checked, replicas: 1 } : { name, image: checked };
}

/**
 * `--all`, `--tag` and the patterns among the positionals, refused where they cannot mean
 * anything: deploy creates components, so there is nothing to choose from; a pattern or `--all`
 * on upgrade needs `--tag` to say which image.
 */
function selection(keyword: Keyword, all: boolean, patterns: readonly string[], tagValue: string | undefined): Selection | undefined {
  if (keyword === 'deploy' && (all || patterns.length)) {
    const what = all ? '`--all`' : `${code(patterns[0]!)} is a pattern: it`;
    fail(`${what} chooses components that exist, and deploy creates new ones: name each with its image, e.g. web=nginx:1.27 (patterns and --all work with upgrade and clone)`);
  }
  if (keyword !== 'upgrade' && tagValue !== undefined) {
    fail(keyword === 'clone'
      ? '`--tag` is only for upgrade: clone copies each image from `--from` as it is'
      : '`--tag` is only for upgrade: deploy takes each image from <component>=<image>');
  }
  const tag = tagValue === undefined ? undefined : check(TagSchema, tagValue);
  if (keyword === 'upgrade' && !tag && (all || patterns.length)) {
    const what = all ? '`--all`' : code(patterns[0]!);
    fail(`${what} chooses components but not their image: say which image with --tag <tag> (each keeps its repository and gets that tag), e.g. --tag 1.4`);
  }
  const globs = patterns.map((p) => check(PatternSchema, p));
  const seen = new Set<string>();
  for (const g of globs) {
    if (seen.has(g)) fail(`the pattern ${code(g)} is given twice: give each pattern once`);
    seen.add(g);
  }
  return all || globs.length || tag ? { all, globs, ...(tag ? { tag } : {}) } : undefined;
}

function components(words: readonly string[], keyword: Keyword, select: Selection | undefined): ComponentSpec[] {
  const list = words.map((word) => component(word, keyword, !!select?.tag));
  if (list.length === 0 && !select?.all && !select?.globs.length) {
    fail(select?.tag ? "no components: with --tag, name them (web api), give a pattern ('web-*') or --all" : `no components: list at least one, e.g. ${EXAMPLES[keyword]}`);
  }
  if (list.length > MAX_TASK_COMPONENTS) fail(`${list.length} components: a task takes at most ${MAX_TASK_COMPONENTS}`);
  const seen = new Set<string>();
  for (const { name } of list) {
    if (seen.has(name)) fail(`component ${code(name)} is listed twice: list each component once`);
    seen.add(name);
  }
  return list;
}

/** Builds `create`: the name and operation come first, in that order; flags and components follow in any order. */
export function buildCreate(input: BuildInput): Extract<ReleaseCommand, { kind: 'create' }> {
  const [nameWord, opWord, ...rest] = input.words;
  const isKeyword = (w: string | undefined): w is string => w !== undefined && Object.hasOwn(OPERATION_KEYWORDS, w.toLowerCase());
  if (nameWord === undefined || parseFlag(nameWord) || (isKeyword(nameWord) && !isKeyword(opWord))) {
    fail('the task name is missing: write /release create <name> deploy|upgrade|clone …');
  }
  const name = check(TaskNameSchema, nameWord);
  if (opWord === undefined) fail(`the operation is missing: write /release create ${name} deploy, upgrade or clone, then the options`);
  if (!isKeyword(opWord)) fail(`unknown operation ${code(opWord)}${didYouMean(opWord, KEYWORDS)}: right after the task name write deploy, upgrade or clone`);
  const keyword = opWord.toLowerCase() as Keyword;
  input.narrowUsage(CREATE_FORMS[keyword]);

  const s = input.scan(rest);
  const envFlag = s.values.get('env');
  if (!envFlag) fail('`--env <env>` is missing: which environment the task releases to');
  const env = check(EnvSchema, envFlag.value);
  const fromFlag = s.values.get('from');
  if (keyword !== 'clone' && fromFlag) fail(`\`--from\` is only for clone: ${keyword} takes each image from <component>=<image>`);
  if (keyword === 'clone' && !fromFlag) fail('`--from <env>` is missing: clone copies images from that environment into `--env`');
  const sourceEnv = fromFlag && check(EnvSchema, fromFlag.value);
  if (sourceEnv === env) fail(`\`--from\` and \`--env\` are both ${code(env)}: clone copies between two different environments`);

  const words = s.positionals.map((p) => p.word);
  const select = selection(keyword, s.switches.has('all'), words.filter(isPattern), s.values.get('tag')?.value);
  const list = components(words.filter((w) => !isPattern(w)), keyword, select);
  const parallel = s.values.get('parallel');
  const desc = s.values.get('desc');
  const description = desc ? check(DescriptionSchema, desc.value) : ''; // empty means none
  return {
    kind: 'create', name, operation: OPERATION_KEYWORDS[keyword], env, ...(sourceEnv ? { sourceEnv } : {}),
    components: list,
    ...(select ? { select } : {}),
    bestEffort: s.switches.has('best-effort'),
    parallel: parallel ? check(ParallelSchema, parallel.value) : DEFAULT_PARALLEL,
    ...(description ? { description } : {}),
    ...(s.switches.has('new-env') ? { newEnv: true as const } : {}),
  };
}
