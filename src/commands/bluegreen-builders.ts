/**
 * The /bluegreen subcommands with arguments of their own (create, update, rollback), and the
 * values they read: job and workload names, a bare image, replicas, a revision. Word splitting,
 * flags and the shared value rules come from tokenize.ts and values.ts.
 */
import { z } from 'zod';
import type { BlueGreenCommand } from './bluegreen-command.js';
import type { BuildInput } from './grammar.js';
import { readSubject, type Subject } from './subject.js';
import { quoteWord as code, type ScannedWords } from './tokenize.js';
import {
  DescriptionSchema, EnvSchema, IMAGE_REF, check, fail, firstOnly, hasTagOrDigest, inRange, labelSchema, override, says, unquotedText,
} from './values.js';

type Command<K extends BlueGreenCommand['kind']> = Extract<BlueGreenCommand, { kind: K }>;

/** The image the help and the messages show as an example. */
export const EXAMPLE_IMAGE = 'registry.example.com/team/web:1.2.3';

/** A job name: lower-case letters, digits and "-", up to 63 characters (a DNS label). */
export const JobSchema = labelSchema('job');
const WorkloadSchema = labelSchema('workload');
/** The job every subcommand but create and list acts on. */
export const JOB: Subject<string> = { what: 'job', placeholder: '<job>', example: 'web', alone: 'one job name', schema: JobSchema };

/** An image given on its own (`--image x`, `update web x`); same rules as /release's <component>=<image>. */
export const ImageSchema = z.string()
  .min(1, says(() => `the image is empty: write e.g. ${EXAMPLE_IMAGE}`))
  .max(255, firstOnly((v) => `the image ${code(v)} is ${v.length} characters long: at most 255`))
  .refine((v) => !/\s/.test(v), firstOnly((v) => `the image ${code(v)} contains a space`))
  .refine((v) => hasTagOrDigest(v) && IMAGE_REF.test(v), says((v) => {
    if (!hasTagOrDigest(v) && IMAGE_REF.test(`${v}:1.27`)) return `the image ${code(v)} has no tag: write ${v}:1.27 (any tag), or pin a digest with @sha256:…`;
    if (IMAGE_REF.test(v.toLowerCase())) return `the image ${code(v)} must be lower case (only the tag may have capitals)`;
    return `${code(v)} is not a valid image reference: expected e.g. ${EXAMPLE_IMAGE}`;
  }));

const ReplicasSchema = z.string()
  .refine((v) => inRange(v, 100), says((v) => `\`--replicas\` must be a whole number from 1 to 100 (got ${code(v)})`))
  .transform(Number);

/** "3", "rev3", "rev-3", "#3" (any case). */
const REVISION = /^(?:rev-?|#)?(\d+)$/i;
const RevisionSchema = z.string().transform((v, ctx): number => {
  const m = REVISION.exec(v);
  const n = m && m[1]!.length <= 9 ? Number(m[1]) : NaN;
  if (n >= 1) return n;
  const message = n === 0
    ? `there is no revision 0: revisions start at 1`
    : `${code(v)} is not a revision: write its number, e.g. 3 (or rev3, #3)`;
  ctx.addIssue({ code: 'custom', input: v, message });
  return z.NEVER;
});

const looksLikeImage = (w: string) => /[:@/]/.test(w) && !w.includes('=');

/** create's flags, with the placeholders its messages show. */
export const CREATE_FLAGS = { env: '<env>', workload: '<name>', image: '<image>', replicas: 'N', desc: '"text"', 'new-env': null };

/** A value flag create cannot do without, checked; `missing` says what it is for. */
function required<T>(s: ScannedWords, name: string, schema: z.ZodType<T, string>, missing: string): T {
  const flag = s.values.get(name);
  if (!flag) fail(`\`--${name} ${CREATE_FLAGS[name as keyof typeof CREATE_FLAGS]}\` is missing: ${missing}`);
  return check(schema, flag.value);
}

/** `create <job> --env … --workload … --image …`: one positional, the rest flags in any order. */
export function buildCreate(input: BuildInput): Command<'create'> {
  const s = input.scan();
  const [first, extra] = s.positionals;
  if (!first) fail('the job name is missing: write /bluegreen create <job> --env <env> --workload <name> --image <image>');
  const job = check(JobSchema, first.word);
  if (extra) {
    const w = extra.word;
    const hint = looksLikeImage(w) && !s.values.has('image') ? ` (to set the image write --image ${w})`
      : w.includes('=') ? ` (write --workload <name> --image <image>, not <component>=<image>)`
      : '';
    input.unexpected(w, hint);
  }
  const env = required(s, 'env', EnvSchema, 'which environment the workload runs in');
  const workload = required(s, 'workload', WorkloadSchema, `which workload in ${env} the job releases, e.g. --workload ${job}`);
  const image = required(s, 'image', ImageSchema, `the first version to bring up, e.g. --image ${EXAMPLE_IMAGE}`);
  const replicas = s.values.get('replicas');
  const desc = s.values.get('desc');
  const description = desc ? check(DescriptionSchema, desc.value) : ''; // empty means none
  return {
    kind: 'create', job, env, workload, image,
    replicas: replicas ? check(ReplicasSchema, replicas.value) : 1,
    ...(description ? { description } : {}),
    ...(s.switches.has('new-env') ? { newEnv: true as const } : {}),
  };
}

/** `update <job> <image>`; `--image` as in create is accepted too, because people carry it over. */
export function buildUpdate(input: BuildInput): Command<'update'> {
  const s = input.scan();
  const flag = s.values.get('image');
  unquotedText(s, flag ? 1 : 2);
  const job = readSubject(input, s, JOB, ' <image>', ` ${EXAMPLE_IMAGE}`);
  const given = s.positionals[1];
  if (flag && given) fail(`two images, ${code(given.word)} and ${code(flag.value)}: /bluegreen update takes one`);
  const word = flag?.value ?? given?.word;
  if (word === undefined) fail(`the new image is missing: write /bluegreen update ${job} <image>, e.g. /bluegreen update ${job} ${EXAMPLE_IMAGE}`);
  const problem = updateImageProblem(job, word);
  if (problem) fail(problem);
  const image = word;
  const extra = s.positionals[flag ? 1 : 2];
  if (extra) input.unexpected(extra.word);
  return { kind: 'update', job, image, ...override(s) };
}

/**
 * What is wrong with `word` as Update Version's new image of `job`, or undefined: the one check
 * behind `/bluegreen update` and the card's Update Version modal.
 */
export function updateImageProblem(job: string, word: string): string | undefined {
  const eq = word.indexOf('=');
  if (eq > 0 && looksLikeImage(word.slice(eq + 1))) {
    return `${code(word)}: /bluegreen update takes just the image, e.g. /bluegreen update ${job} ${word.slice(eq + 1)}`;
  }
  const r = ImageSchema.safeParse(word);
  return r.success ? undefined : (r.error.issues[0]?.message ?? `${code(word)} is not a valid image reference`);
}

/** `rollback <job> <revision>`: the revision as 3, rev3, rev-3, #3 or `rev 3`. */
export function buildRollback(input: BuildInput): Command<'rollback'> {
  const s = input.scan();
  const job = readSubject(input, s, JOB, ' <revision>', ' 3');
  let rest = s.positionals.slice(1).map((p) => p.word);
  let takes = 2;
  // `rev 3` typed as two words is unambiguous.
  if (rest.length >= 2 && /^rev$/i.test(rest[0]!) && /^\d+$/.test(rest[1]!)) [rest, takes] = [[`rev${rest[1]}`, ...rest.slice(2)], 3];
  unquotedText(s, takes);
  const [word, extra] = rest;
  if (word === undefined) {
    fail(`which revision? write /bluegreen rollback ${job} <revision>, e.g. /bluegreen rollback ${job} 3 (\`/bluegreen history ${job}\` lists them)`);
  }
  const revision = check(RevisionSchema, word);
  if (extra !== undefined) input.unexpected(extra);
  return { kind: 'rollback', job, revision, ...override(s), ...(s.switches.has('force') ? { force: true as const } : {}) };
}
