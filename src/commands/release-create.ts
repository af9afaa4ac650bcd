/**
 * `/release create <name> deploy|upgrade|clone …`: the one /release subcommand with forms of
 * its own. The operation word picks the form, so from there on an error shows that form's
 * usage line only.
 */
import { z } from 'zod';
import type { ReleaseCommand } from './release-command.js';
import { DEFAULT_PARALLEL, OPERATION_KEYWORDS, type ComponentSpec } from '../domain/release-task.js';
import type { BuildInput } from './grammar.js';
import { didYouMean, parseFlag, quoteWord as code } from './tokenize.js';
import {
  ComponentSchema, DescriptionSchema, EnvSchema, check, fail, firstOnly, hasTagOrDigest, imageSchema, inRange, replicasSchema, says,
} from './values.js';

type Keyword = keyof typeof OPERATION_KEYWORDS;

const KEYWORDS = Object.keys(OPERATION_KEYWORDS) as Keyword[];
const MAX_COMPONENTS = 2000;
const OPTIONS = '[--best-effort] [--parallel N] [--desc "text"] [--new-env]';

/** The usage line of each operation. */
export const CREATE_FORMS = {
  deploy: `/release create <name> deploy --env <env> <component>=<image>[x<replicas>] … ${OPTIONS}`,
  upgrade: `/release create <name> upgrade --env <env> <component>=<image> … ${OPTIONS}`,
  clone: `/release create <name> clone --from <env> --env <env> <component> … ${OPTIONS}`,
} as const satisfies Record<Keyword, string>;

/** The flags of every operation; the builder refuses `--from` outside clone in words of its own. */
export const CREATE_FLAGS = { env: '<env>', from: '<env>', 'best-effort': null, parallel: 'N', desc: '"text"', 'new-env': null };
const EXAMPLES: Record<Keyword, string> = { deploy: 'web=nginx:1.27x2', upgrade: 'web=nginx:1.27', clone: 'web' };

const TaskNameSchema = z.string()
  .min(1, says(() => 'the task name is empty'))
  .max(80, firstOnly((v) => `the task name ${code(v)} is ${v.length} characters long: at most 80`))
  .regex(/^[A-Za-z0-9._-]+$/, says((v) => `the task name ${code(v)} may contain only letters, digits, ".", "_" and "-"`));

const ParallelSchema = z.string()
  .refine((v) => inRange(v, 32), says((v) => `\`--parallel\` must be a whole number from 1 to 32 (got ${code(v)})`))
  .transform(Number);

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

function components(words: readonly string[], keyword: Keyword): ComponentSpec[] {
  const list = words.map((word) => component(word, keyword));
  if (list.length === 0) fail(`no components: list at least one, e.g. ${EXAMPLES[keyword]}`);
  if (list.length > MAX_COMPONENTS) fail(`${list.length} components: a task takes at most ${MAX_COMPONENTS}`);
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

  const list = components(s.positionals.map((p) => p.word), keyword);
  const parallel = s.values.get('parallel');
  const desc = s.values.get('desc');
  const description = desc ? check(DescriptionSchema, desc.value) : ''; // empty means none
  return {
    kind: 'create', name, operation: OPERATION_KEYWORDS[keyword], env, ...(sourceEnv ? { sourceEnv } : {}),
    components: list,
    bestEffort: s.switches.has('best-effort'),
    parallel: parallel ? check(ParallelSchema, parallel.value) : DEFAULT_PARALLEL,
    ...(description ? { description } : {}),
    ...(s.switches.has('new-env') ? { newEnv: true as const } : {}),
  };
}
