/**
 * `/bluegreen` text → BlueGreenCommand. Job-card controls send the same text ("release web",
 * "rollback web 3"), so this is the single gate for blue-green input: it never throws, and
 * every refusal names what is wrong in words plus the usage line to show next to it.
 * Word splitting, flags and name/image/description rules are shared with `/release`.
 */
import { z } from 'zod';
import type { BlueGreenCommand } from './bluegreen-command.js';
import type { ParseResult } from './release-command.js';
import { GrammarError, didYouMean, quoteWord as code, scanWords, tokenize, type ScannedWords } from './tokenize.js';
import {
  DescriptionSchema, DurationSchema, EnvSchema, IMAGE_REF, OVERRIDE_FLAG, OverrideSchema, REASON_FLAG, ReasonSchema, SINCE_FLAG,
  check, fail, firstOnly, hasTagOrDigest, inRange, labelSchema, says, unquotedText,
} from './values.js';

type Command<K extends BlueGreenCommand['kind']> = Extract<BlueGreenCommand, { kind: K }>;

const HELP_WORDS = new Set(['help', '--help', '-h', '?']);
const SUBCOMMANDS = [
  'help', 'create', 'update', 'release', 'terminate', 'rollback', 'approve', 'reject', 'audit', 'history', 'show', 'list',
] as const;
type Subcommand = (typeof SUBCOMMANDS)[number];
/** Words people reach for, from other tools or the manual's button labels, that are not subcommands. */
const SYNONYMS: Record<string, Subcommand> = {
  promote: 'release', switch: 'release', abort: 'terminate', cancel: 'terminate', stop: 'terminate',
  upgrade: 'update', deploy: 'update', revert: 'rollback', undo: 'rollback', status: 'show', get: 'show',
  info: 'show', describe: 'show', versions: 'history', log: 'history', ls: 'list', new: 'create', add: 'create',
  deny: 'reject', decline: 'reject',
};
const EXAMPLE_IMAGE = 'registry.example.com/team/web:1.2.3';
const OVERRIDE = '[--override "reason"]';

/** Usage per subcommand. */
export const BLUEGREEN_USAGE = {
  help: '/bluegreen help',
  create: '/bluegreen create <job> --env <env> --workload <name> --image <image> [--replicas N] [--desc "text"]',
  update: `/bluegreen update <job> <image> ${OVERRIDE}`,
  release: `/bluegreen release <job> ${OVERRIDE}`,
  terminate: `/bluegreen terminate <job> ${OVERRIDE}`,
  rollback: `/bluegreen rollback <job> <revision> ${OVERRIDE}`,
  approve: '/bluegreen approve <job>',
  reject: '/bluegreen reject <job> [--reason "text"]',
  audit: '/bluegreen audit <job> [--since 7d] [--csv]',
  history: '/bluegreen history <job>',
  show: '/bluegreen show <job>',
  list: '/bluegreen list [--env <env>]',
} as const satisfies Record<Subcommand, string>;
export type BlueGreenUsageKey = keyof typeof BLUEGREEN_USAGE;

/** Every form, one per line: the usage shown when the subcommand itself is unknown. */
export const BLUEGREEN_USAGE_SUMMARY = Object.values(BLUEGREEN_USAGE).join('\n');

export const BLUEGREEN_HELP = [
  '*`/bluegreen`: blue-green release jobs*',
  'A job keeps two main versions of one workload, *blue* and *green*. *Active* marks the version that receives the traffic, *Stable* the one last released.',
  `• \`${BLUEGREEN_USAGE.create}\`: create a job and bring up its first version, which takes the traffic (replicas default to 1)`,
  `   e.g. \`/bluegreen create web --env prod --workload web --image ${EXAMPLE_IMAGE} --replicas 3 --desc "storefront"\``,
  `• \`${BLUEGREEN_USAGE.update}\`: Update Version: bring the new image up beside the serving one; the job pauses (Paused) with two main versions`,
  '   e.g. `/bluegreen update web registry.example.com/team/web:1.3.0`',
  `• \`${BLUEGREEN_USAGE.release}\`: Release: the new version receives the traffic and the old one is deleted   e.g. \`/bluegreen release web\``,
  `• \`${BLUEGREEN_USAGE.terminate}\`: Terminate Release: the new version is deleted; the traffic stays where it is   e.g. \`/bluegreen terminate web\``,
  `• \`${BLUEGREEN_USAGE.rollback}\`: bring a historical version back up as a new version, ending Paused (revision: 3, rev3 or #3)   e.g. \`/bluegreen rollback web 3\``,
  `• \`${BLUEGREEN_USAGE.approve}\`: approve the operation waiting on a job in a protected environment   e.g. \`/bluegreen approve web\``,
  `• \`${BLUEGREEN_USAGE.reject}\`: reject it; the operation does not run   e.g. \`/bluegreen reject web --reason "wrong image tag"\``,
  `• \`${BLUEGREEN_USAGE.audit}\`: who did what to a job; \`--csv\` uploads it as a file   e.g. \`/bluegreen audit web --since 7d --csv\``,
  `• \`${BLUEGREEN_USAGE.history}\`: every historical version of a job   e.g. \`/bluegreen history web\``,
  `• \`${BLUEGREEN_USAGE.show}\`: basic information, main versions and recent history   e.g. \`/bluegreen show web\``,
  `• \`${BLUEGREEN_USAGE.list}\`: jobs, optionally in one environment   e.g. \`/bluegreen list --env prod\``,
  `• \`${BLUEGREEN_USAGE.help}\`: this message`,
  '*Freeze windows*: an approver can go ahead anyway with `--override "reason"` (up to 300 characters), e.g. `/bluegreen release web --override "hotfix for INC-123"`',
  '*`--since`*: 30m, 12h, 7d or 2w (minutes, hours, days, weeks), from 1 minute to 365 days. `--reason` takes up to 300 characters.',
  '*Names*: jobs, environments and workloads are lower case: letters, digits and "-", up to 63 characters. Images need a tag or a digest. `--desc` takes up to 500 characters; `--opt=value` works too.',
  '*Statuses*: Healthy, Progressing (new version coming up), Paused (two versions, waiting for Release or Terminate), Promoting, Terminating, Degraded (the new version never became ready: Terminate it).',
].join('\n');

const JobSchema = labelSchema('job');
const WorkloadSchema = labelSchema('workload');

/** An image given on its own (`--image x`, `update web x`); same rules as /release's <component>=<image>. */
const ImageSchema = z.string()
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

const CREATE_FLAGS = { env: '<env>', workload: '<name>', image: '<image>', replicas: 'N', desc: '"text"' };

function parseCreate(words: readonly string[]): Command<'create'> {
  const s = scanWords(words, '/bluegreen create', CREATE_FLAGS);
  const [first, extra] = s.positionals;
  if (!first) fail('the job name is missing: write /bluegreen create <job> --env <env> --workload <name> --image <image>');
  const job = check(JobSchema, first.word);
  if (extra) {
    const w = extra.word;
    const hint = looksLikeImage(w) && !s.values.has('image') ? ` (to set the image write --image ${w})`
      : w.includes('=') ? ` (write --workload <name> --image <image>, not <component>=<image>)`
      : '';
    fail(`unexpected ${code(w)}${hint}: /bluegreen create takes one job name, then --env, --workload, --image, --replicas and --desc`);
  }
  const envFlag = s.values.get('env');
  if (!envFlag) fail('`--env <env>` is missing: which environment the workload runs in');
  const env = check(EnvSchema, envFlag.value);
  const workloadFlag = s.values.get('workload');
  if (!workloadFlag) fail(`\`--workload <name>\` is missing: which workload in ${env} the job releases, e.g. --workload ${job}`);
  const workload = check(WorkloadSchema, workloadFlag.value);
  const imageFlag = s.values.get('image');
  if (!imageFlag) fail(`\`--image <image>\` is missing: the first version to bring up, e.g. --image ${EXAMPLE_IMAGE}`);
  const image = check(ImageSchema, imageFlag.value);
  const replicas = s.values.get('replicas');
  const desc = s.values.get('desc');
  const description = desc ? check(DescriptionSchema, desc.value) : ''; // empty means none
  return {
    kind: 'create', job, env, workload, image,
    replicas: replicas ? check(ReplicasSchema, replicas.value) : 1,
    ...(description ? { description } : {}),
  };
}

/** The job name every subcommand but create/list starts with. */
function jobName(s: ScannedWords, sub: Subcommand, then = '', example = ''): string {
  const first = s.positionals[0];
  if (!first) fail(`which job? write /bluegreen ${sub} <job>${then}, e.g. /bluegreen ${sub} web${example}`);
  return check(JobSchema, first.word);
}

function noMore(s: ScannedWords, from: number, sub: Subcommand, takes: string): void {
  const extra = s.positionals[from];
  if (!extra) return;
  const asReason = sub === 'reject' && !s.values.has('reason') ? ' (to give a reason write --reason "text")' : '';
  fail(`unexpected ${code(extra.word)}${asReason}: /bluegreen ${sub} takes ${takes}`);
}

/** `--override "reason"`, checked, as a spreadable property. */
function override(s: ScannedWords): { override?: string } {
  const flag = s.values.get('override');
  return flag ? { override: check(OverrideSchema, flag.value) } : {};
}

function parseUpdate(words: readonly string[]): Command<'update'> {
  // `--image` as in create is accepted too: people carry it over.
  const s = scanWords(words, '/bluegreen update', { image: '<image>', ...OVERRIDE_FLAG });
  const flag = s.values.get('image');
  unquotedText(s, flag ? 1 : 2);
  const job = jobName(s, 'update', ' <image>', ` ${EXAMPLE_IMAGE}`);
  const given = s.positionals[1];
  if (flag && given) fail(`two images, ${code(given.word)} and ${code(flag.value)}: /bluegreen update takes one`);
  const word = flag?.value ?? given?.word;
  if (word === undefined) fail(`the new image is missing: write /bluegreen update ${job} <image>, e.g. /bluegreen update ${job} ${EXAMPLE_IMAGE}`);
  const eq = word.indexOf('=');
  if (eq > 0 && looksLikeImage(word.slice(eq + 1))) {
    fail(`${code(word)}: /bluegreen update takes just the image, e.g. /bluegreen update ${job} ${word.slice(eq + 1)}`);
  }
  const image = check(ImageSchema, word);
  noMore(s, flag ? 1 : 2, 'update', 'one job name and one image');
  return { kind: 'update', job, image, ...override(s) };
}

function parseRollback(words: readonly string[]): Command<'rollback'> {
  const s = scanWords(words, '/bluegreen rollback', OVERRIDE_FLAG);
  const job = jobName(s, 'rollback', ' <revision>', ' 3');
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
  if (extra !== undefined) fail(`unexpected ${code(extra)}: /bluegreen rollback takes one job name and one revision`);
  return { kind: 'rollback', job, revision, ...override(s) };
}

function parseList(words: readonly string[]): Command<'list'> {
  const s = scanWords(words, '/bluegreen list', { env: '<env>' });
  const envFlag = s.values.get('env');
  const env = envFlag && check(EnvSchema, envFlag.value);
  const extra = s.positionals[0];
  if (extra) {
    const asEnv = !envFlag && EnvSchema.safeParse(extra.word).success ? ` (to filter by environment write --env ${extra.word})` : '';
    fail(`unexpected ${code(extra.word)}${asEnv}: /bluegreen list takes only --env <env>`);
  }
  return { kind: 'list', ...(env ? { env } : {}) };
}

/** approve, history, show: just the job name; release and terminate also take --override. */
function parseJobOnly<K extends 'release' | 'terminate' | 'approve' | 'history' | 'show'>(kind: K, words: readonly string[]): Command<K> {
  const overridable = kind === 'release' || kind === 'terminate';
  const s = scanWords(words, `/bluegreen ${kind}`, overridable ? OVERRIDE_FLAG : {});
  unquotedText(s, 1);
  const job = jobName(s, kind);
  noMore(s, 1, kind, 'one job name');
  return { kind, job, ...override(s) } as Command<K>;
}

function parseReject(words: readonly string[]): Command<'reject'> {
  const s = scanWords(words, '/bluegreen reject', REASON_FLAG);
  unquotedText(s, 1);
  const job = jobName(s, 'reject');
  noMore(s, 1, 'reject', 'one job name');
  const flag = s.values.get('reason');
  return { kind: 'reject', job, ...(flag ? { reason: check(ReasonSchema, flag.value) } : {}) };
}

function parseAudit(words: readonly string[]): Command<'audit'> {
  const s = scanWords(words, '/bluegreen audit', { ...SINCE_FLAG, csv: null });
  const job = jobName(s, 'audit', ' [--since 7d] [--csv]', ' --since 7d');
  noMore(s, 1, 'audit', 'one job name, then --since and --csv');
  const since = s.values.get('since');
  return { kind: 'audit', job, ...(since ? { sinceMs: check(DurationSchema, since.value) } : {}), csv: s.switches.has('csv') };
}

function usageFor(word: string): string {
  const w = word.toLowerCase();
  if (HELP_WORDS.has(w)) return BLUEGREEN_USAGE.help;
  return Object.hasOwn(BLUEGREEN_USAGE, w) ? BLUEGREEN_USAGE[w as BlueGreenUsageKey] : BLUEGREEN_USAGE_SUMMARY;
}

function unknownSubcommand(word: string): never {
  const w = word.toLowerCase();
  const synonym = Object.hasOwn(SYNONYMS, w) ? ` (did you mean ${SYNONYMS[w]}?)` : '';
  const guess = synonym || didYouMean(w, SUBCOMMANDS);
  const asJob = !guess && JobSchema.safeParse(word).success ? ` (to see that job write /bluegreen show ${word})` : '';
  fail(`unknown subcommand ${code(word)}${guess}${asJob}: use ${SUBCOMMANDS.join(', ')}`);
}

/** Parse `/bluegreen` text (empty text is `help`). Never throws, whatever the input. */
export function parseBlueGreenCommand(text: string): ParseResult<BlueGreenCommand> {
  let usage = BLUEGREEN_USAGE_SUMMARY;
  try {
    const raw = typeof text === 'string' ? text : '';
    usage = usageFor(raw.trim().split(/\s+/)[0] ?? ''); // before tokenizing, so quote errors get it too
    const [first, ...rest] = tokenize(raw);
    const sub = (first ?? 'help').toLowerCase();
    const ok = (command: BlueGreenCommand): ParseResult<BlueGreenCommand> => ({ ok: true, command });
    if (HELP_WORDS.has(sub)) return ok({ kind: 'help' });
    switch (sub) {
      case 'create':
        return ok(parseCreate(rest));
      case 'update':
        return ok(parseUpdate(rest));
      case 'rollback':
        return ok(parseRollback(rest));
      case 'list':
        return ok(parseList(rest));
      case 'reject':
        return ok(parseReject(rest));
      case 'audit':
        return ok(parseAudit(rest));
      case 'release':
      case 'terminate':
      case 'approve':
      case 'history':
      case 'show':
        return ok(parseJobOnly(sub, rest));
      default:
        unknownSubcommand(first ?? '');
    }
  } catch (err) {
    const error = err instanceof GrammarError ? err.message : `could not read the command (${String(err)})`;
    return { ok: false, error, usage };
  }
}
