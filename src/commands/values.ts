/**
 * Values shared by the /release and /bluegreen grammars: names, image references, replicas,
 * descriptions. Each schema's messages quote the offending input back, in plain words.
 */
import { z } from 'zod';
import { GrammarError, quoteWord as code } from './tokenize.js';

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

export const inRange = (v: string, max: number) => /^\d{1,3}$/.test(v) && Number(v) >= 1 && Number(v) <= max;
export const replicasSchema = (word: string) => z.string()
  .refine((v) => inRange(v, 100), says((v) => `${code(word)}: replicas must be from 1 to 100 (got x${v})`))
  .transform(Number);
export const DescriptionSchema = z.string().trim()
  .max(500, says((v) => `the description is ${v.length} characters long: at most 500`));

export function check<S extends z.ZodType>(schema: S, value: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) fail(result.error.issues[0]?.message ?? `${code(value)} is not valid here`);
  return result.data;
}
