/**
 * Which environments a release may name. With declared environments (the policy file's keys,
 * globs such as `preview-*` allowed) only those; without, any name except a never-seen one that
 * is within two edits of a known one (a typo of `staging` must not quietly make a new
 * environment), unless the person says it is new. Pure.
 */
import { closest } from './spelling.js';

/** Does `name` match a declared key: the key itself, or a glob whose `*` stands for any run of characters. */
export function matchesEnvironment(key: string, name: string): boolean {
  if (!key.includes('*')) return key === name;
  const pattern = key.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\-]/g, '\\$&')).join('[a-z0-9-]*');
  return new RegExp(`^${pattern}$`).test(name);
}

export type EnvironmentVerdict = { ok: true } | { ok: false; reason: string };

const quote = (names: readonly string[]) => names.map((n) => `\`${n}\``).join(', ');

/**
 * May a release name `env`? `declared`: the policy file's environment keys (undefined when it
 * declares none); `known`: environments that have tasks, jobs or components; `isNew`: the
 * person said `--new-env`.
 */
export function checkEnvironment(env: string, o: { declared?: readonly string[]; known: readonly string[]; isNew: boolean; flag: string }): EnvironmentVerdict {
  if (o.declared) {
    if (o.declared.some((key) => matchesEnvironment(key, env))) return { ok: true };
    const guess = closest(env, o.declared.filter((k) => !k.includes('*')));
    return {
      ok: false,
      reason:
        `\`${env}\` is not an environment of the policy file${guess ? ` (did you mean \`${guess}\`?)` : ''}: ` +
        `use one of ${quote(o.declared)}. Nothing was created.`,
    };
  }
  if (o.isNew || o.known.includes(env)) return { ok: true };
  const guess = closest(env, o.known);
  if (!guess) return { ok: true };
  return {
    ok: false,
    reason:
      `\`${env}\` has no releases yet and is one letter or two from \`${guess}\` (did you mean \`${guess}\`?). ` +
      `Known environments: ${quote([...o.known].sort())}. If \`${env}\` really is a new environment, add ${o.flag}. Nothing was created.`,
  };
}
