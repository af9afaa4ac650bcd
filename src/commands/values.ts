/**
 * Values shared by the /release and /bluegreen grammars: names, image references, replicas,
 * descriptions, freeze-window overrides, rejection reasons, audit durations. Each schema's
 * messages quote the offending input back, in plain words.
 */
import { z } from 'zod';
import { GrammarError, quoteWord as code, type ScannedWords } from './tokenize.js';

export function fail(message: string): never {
  throw new GrammarError(message);
}

// Zod messages are built from the offending input so each one can quote it back.
export const says = (message: (input: string) => string) => ({ error: (iss: { input?: unknown }) => message(String(iss.input)) });
export const firstOnly = (message: (input: string) => string) => ({ ...says(message), abort: true });

export const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
export const labelSchema = (what: 'environment' | 'component' | 'job' | 'workload') => z.string()
  .min(1, says(() => `the ${what} name is empty`))
  .max(63, firstOnly((v) => `the ${what} name ${code(v)} is longer than 63 characters`))
  .refine((v) => v === v.toLowerCase() || !DNS_LABEL.test(v.toLowerCase()),
    firstOnly((v) => `${what} names are lower case: write ${code(v.toLowerCase())}, not ${code(v)}`))
  .regex(/^[a-z0-9-]*$/, says((v) => `the ${what} name ${code(v)} may contain only lower-case letters, digits and "-"`))
  .regex(DNS_LABEL, says((v) => `the ${what} name ${code(v)} must start and end with a letter or digit`));
export const EnvSchema = labelSchema('environment');
export const ComponentSchema = labelSchema('component');

// Docker's reference grammar, slightly simplified: [host[:port]/]path[:tag][@algo:hex].
export const HOST = '[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?';
export const PATH = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
export const IMAGE_REF = new RegExp(`^(?:${HOST}(?:\\.${HOST})*(?::\\d+)?/)?${PATH}(?:/${PATH})*` +
  '(?::\\w[\\w.-]{0,127})?(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?$');
/** A `:` after the last `/` is a tag; one before it is a registry port. */
export const hasTagOrDigest = (image: string) => image.includes('@') || /:[^/]*$/.test(image);

export const imageSchema = (word: string, component: string) => z.string()
  .min(1, says(() => `${code(word)} has no image: write ${component}=<image>, e.g. ${component}=nginx:1.27`))
  .max(255, firstOnly((v) => `the image in ${code(word)} is ${v.length} characters long: at most 255`))
  .refine((v) => !/\s/.test(v), firstOnly(() => `the image in ${code(word)} contains a space`))
  .refine((v) => hasTagOrDigest(v) && IMAGE_REF.test(v), says((v) => {
    if (!hasTagOrDigest(v) && IMAGE_REF.test(`${v}:1.27`)) {
      return `${code(word)} has no tag: write ${component}=${v}:1.27 (any tag), or pin a digest with @sha256:…`;
    }
    // Capitals are legal in the host and the tag, so if lower-casing helps they were in the path.
    if (IMAGE_REF.test(v.toLowerCase())) return `the image in ${code(word)} must be lower case (only the tag may have capitals)`;
    return `${code(word)} is not a valid image reference: expected e.g. ${component}=registry.example.com/team/${component}:1.2.3`;
  }));

/**
 * `image` from `word`, checked as imageSchema checks it. A valid image (nearly every one) is
 * accepted by the same tests without building that schema, which is built per word for its
 * messages and costs more than the check: it matters on the ack path and for 2,000 components.
 */
export function checkImage(word: string, component: string, image: string): string {
  if (image.length >= 1 && image.length <= 255 && !/\s/.test(image) && hasTagOrDigest(image) && IMAGE_REF.test(image)) return image;
  return check(imageSchema(word, component), image);
}

/** A component or environment name: a valid one by the DNS label test alone, else the schema for its message. */
export function checkLabel(schema: ReturnType<typeof labelSchema>, value: string): string {
  return DNS_LABEL.test(value) ? value : check(schema, value);
}

export const inRange = (v: string, max: number) => /^\d{1,3}$/.test(v) && Number(v) >= 1 && Number(v) <= max;
export const replicasSchema = (word: string) => z.string()
  .refine((v) => inRange(v, 100), says((v) => `${code(word)}: replicas must be from 1 to 100 (got x${v})`))
  .transform(Number);
/** Components per page of `/release show`. */
export const DETAIL_PAGE_SIZE = 20;
export const PageSchema = z.string()
  .refine((v) => /^\d{1,4}$/.test(v) && Number(v) >= 1, says((v) => `\`--page\` must be a whole number from 1 (got ${code(v)})`))
  .transform(Number);
export const DescriptionSchema = z.string().trim()
  .max(500, says((v) => `the description is ${v.length} characters long: at most 500`));

/** Free text after `--override`: the reason to go ahead during a freeze window (an operator's asks the approvers) or over failing checks (approvers only). */
export const OVERRIDE_MISSING = '`--override` needs a reason in quotes, e.g. --override "hotfix for INC-123"';
export const OverrideSchema = z.string().trim()
  .min(1, says(() => OVERRIDE_MISSING))
  .max(300, says((v) => `the override reason is ${v.length} characters long: at most 300`));
/** Free text after `--reason`: why an approver rejected an operation. */
export const REASON_MISSING = '`--reason` needs text in quotes, e.g. --reason "wrong image tag"';
export const ReasonSchema = z.string().trim()
  .min(1, says(() => REASON_MISSING))
  .max(300, says((v) => `the reason is ${v.length} characters long: at most 300`));

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
export const MAX_SINCE_MS = 365 * UNIT_MS.d;
export const DURATION_FORMS = '<n>m, <n>h, <n>d or <n>w (minutes, hours, days, weeks), from 1m to 365d, e.g. --since 7d';
/**
 * `--since 30m|12h|7d|2w` → milliseconds, 1 minute to 365 days. Only `m` is case-sensitive
 * (`1M` reads as a month, so it is refused rather than taken as a minute).
 */
export const DurationSchema = z.string().transform((v, ctx): number => {
  const m = /^(\d+)([mhdwHDW])$/.exec(v);
  const ms = m ? Number(m[1]) * UNIT_MS[m[2]!.toLowerCase() as keyof typeof UNIT_MS] : NaN;
  if (ms >= UNIT_MS.m && ms <= MAX_SINCE_MS) return ms;
  const message = m
    ? `${code(`--since ${v}`)} is out of range: write ${DURATION_FORMS}`
    : `\`--since\` takes a duration, not ${code(v)}: write ${DURATION_FORMS}`;
  ctx.addIssue({ code: 'custom', input: v, message });
  return z.NEVER;
});

/** scanWords specs for the shared flags. */
export const OVERRIDE_FLAG = { override: { missing: OVERRIDE_MISSING } } as const;
export const REASON_FLAG = { reason: { missing: REASON_MISSING } } as const;
export const SINCE_FLAG = { since: { missing: `\`--since\` needs a duration: write ${DURATION_FORMS}` } } as const;

/** `--override "reason"`, checked, as a spreadable property (absent when not given). */
export function override(s: ScannedWords): { override?: string } {
  const flag = s.values.get('override');
  return flag ? { override: check(OverrideSchema, flag.value) } : {};
}

/** `--reason "text"`, checked, as a spreadable property (absent when not given). */
export function reason(s: ScannedWords): { reason?: string } {
  const flag = s.values.get('reason');
  return flag ? { reason: check(ReasonSchema, flag.value) } : {};
}

/** Help notes on the shared flags; `example` is a command that takes `--override`. */
export const freezeNote = (example: string) =>
  `*Freeze windows*: \`--override "reason"\` (up to 300 characters) goes ahead anyway: an approver's at once, an operator's once the approvers approve it, e.g. \`${example} --override "hotfix for INC-123"\``;
export const SINCE_NOTE =
  '*`--since`*: 30m, 12h, 7d or 2w (minutes, hours, days, weeks), from 1 minute to 365 days. `--reason` takes up to 300 characters.';

/**
 * A multi-word reason typed without quotes (`--override hotfix for INC-123`) leaves its later
 * words as stray positionals. Call with the number of positionals the command takes: when one
 * beyond that is part of the run of words right after a `--override`/`--reason` value, say to
 * quote the reason instead of "unexpected `for`".
 */
export function unquotedText(s: ScannedWords, takes: number): void {
  const byIndex = new Map(s.positionals.map((p, i) => [p.at, { word: p.word, stray: i >= takes }]));
  for (const name of ['override', 'reason']) {
    const flag = s.values.get(name);
    if (!flag) continue;
    const run = [];
    for (let at = flag.at + 1; byIndex.has(at); at++) run.push(byIndex.get(at)!);
    if (!run.some((p) => p.stray)) continue;
    fail(`put the whole reason in quotes: write ${code(`--${name} "${[flag.value, ...run.map((p) => p.word)].join(' ')}"`)}`);
  }
}

export function check<S extends z.ZodType>(schema: S, value: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) fail(result.error.issues[0]?.message ?? `${code(value)} is not valid here`);
  return result.data;
}
