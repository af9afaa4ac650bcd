/**
 * Choosing many components without typing each one: `--all`, name patterns (`web-*`, `api-?`)
 * and `--tag` (a new tag on each chosen component's current image). The grammar checks the
 * words; what they choose is decided here, against what runs in the environment now. Pure.
 */
import { editDistance } from './spelling.js';
import type { ComponentSpec, OperationType } from './release-task.js';

/** The most components one task takes (listed and selected together). */
export const MAX_TASK_COMPONENTS = 2000;

/** A word that chooses components by name pattern rather than naming one: it has `*` or `?`. */
export const isPattern = (word: string) => !word.includes('=') && /[*?]/.test(word);

/** `*`: any run of characters (none too); `?`: exactly one. Component names are DNS labels. */
export function patternMatcher(pattern: string): (name: string) => boolean {
  const source = Array.from(pattern, (ch) => (ch === '*' ? '[a-z0-9-]*' : ch === '?' ? '[a-z0-9-]' : ch.replace(/[.+^${}()|[\]\\-]/g, '\\$&'))).join('');
  const re = new RegExp(`^${source}$`);
  return (name) => re.test(name);
}

/**
 * `image` with its tag set to `tag`: the repository (and registry) stay; an existing tag is
 * replaced, and so is a digest (`@sha256:…`), since a digest pins one image and the tag names another.
 */
export function retag(image: string, tag: string): string {
  const repository = image.split('@')[0]!.replace(/:[^/]*$/, '');
  return `${repository}:${tag}`;
}

/** What a selection needs from a create request. */
export interface SelectionRequest {
  operation: OperationType;
  env: string;
  sourceEnv?: string;
  components: readonly ComponentSpec[];
  select?: { all: boolean; globs: readonly string[]; tag?: string };
}

/** Does the request choose components from what runs (so the environment must be listed)? */
export const selects = (req: Pick<SelectionRequest, 'select'>) => !!req.select && (req.select.all || req.select.globs.length > 0);

/** The environment a selection chooses from: `--from` for a clone, else `--env`. */
export const selectionEnv = (req: Pick<SelectionRequest, 'operation' | 'env' | 'sourceEnv'>) =>
  req.operation === 'Bulk Clone' && req.sourceEnv ? req.sourceEnv : req.env;

export type SelectionResult = { ok: true; components: ComponentSpec[] } | { ok: false; reasons: string[] };

const quote = (names: readonly string[]) => names.map((n) => `\`${n}\``).join(', ');
const SHOWN = 5;

/** Up to five names of `pool` nearest to what the pattern spells out around its wildcards. */
function nearest(pattern: string, pool: readonly string[]): string[] {
  const head = pattern.split(/[*?]/)[0]!;
  const tail = pattern.split(/[*?]/).at(-1)!;
  const distance = (name: string) =>
    head ? editDistance(head, name.slice(0, head.length), 64) : editDistance(tail, name.slice(Math.max(0, name.length - tail.length)), 64);
  return pool
    .map((name, i) => ({ name, d: distance(name), i }))
    .sort((a, b) => a.d - b.d || a.i - b.i)
    .slice(0, SHOWN)
    .map((x) => x.name);
}

/**
 * The components of a request: the listed ones first, in the order given (they win over a
 * pattern or `--all` that also chooses them), then the selected ones by name. `pool`: the names
 * of the components in `selectionEnv(req)` now, sorted (needed only when `selects(req)`). A
 * pattern or `--all` that chooses nothing is refused, naming the environment and what it has.
 */
export function selectComponents(req: SelectionRequest, pool: readonly string[] = []): SelectionResult {
  const listed = [...req.components];
  if (!selects(req)) return { ok: true, components: listed };
  const where = selectionEnv(req);
  const whereWords = req.operation === 'Bulk Clone' ? `${where} (\`--from\`)` : where;
  const reasons: string[] = [];
  const chosen = new Set<string>();
  if (req.select!.all) {
    if (pool.length === 0) reasons.push(`\`--all\` chooses nothing: ${whereWords} has no components`);
    for (const name of pool) chosen.add(name);
  }
  for (const pattern of req.select!.globs) {
    const matches = pool.filter(patternMatcher(pattern));
    if (matches.length === 0) {
      const has = pool.length === 0
        ? `${whereWords} has no components`
        : pool.length <= SHOWN
          ? `${whereWords} has ${quote(pool)}`
          : `${whereWords} has ${pool.length}, the closest ${quote(nearest(pattern, pool))}, …`;
      reasons.push(`\`${pattern}\` matches no component: ${has}`);
    }
    for (const name of matches) chosen.add(name);
  }
  if (reasons.length) return { ok: false, reasons };
  const named = new Set(listed.map((c) => c.name));
  const components = [...listed, ...[...chosen].filter((n) => !named.has(n)).sort().map((name) => ({ name }))];
  if (components.length > MAX_TASK_COMPONENTS) {
    const what = req.select!.all ? '`--all`' : 'the patterns';
    return {
      ok: false,
      reasons: [`${what} chose ${components.length} components of ${where}: a task takes at most ${MAX_TASK_COMPONENTS}; narrow it with patterns such as 'web-*', or split it into several tasks`],
    };
  }
  return { ok: true, components };
}

/** `--tag`: each component without an image gets its current one (from `now`) with the new tag; a missing one stays without. */
export function applyTag(components: readonly ComponentSpec[], now: ReadonlyMap<string, { image: string } | undefined>, tag: string): ComponentSpec[] {
  return components.map((c) => {
    const cur = now.get(c.name);
    return c.image || !cur ? c : { ...c, image: retag(cur.image, tag) };
  });
}

/** How a request chose its components, in words: "`--all` of prod, --tag 1.4", "`web-*` in staging (`--from`)". */
export function describeSelection(req: Pick<SelectionRequest, 'operation' | 'env' | 'sourceEnv' | 'select'>): string {
  const s = req.select;
  if (!s) return '';
  const where = req.operation === 'Bulk Clone' ? `${selectionEnv(req)} (\`--from\`)` : selectionEnv(req);
  const how = [...(s.all ? ['`--all`'] : []), ...s.globs.map((g) => `\`${g}\``)];
  const chosen = how.length ? `chosen by ${how.join(', ')} in ${where}` : '';
  const tag = s.tag ? `\`--tag ${s.tag}\` on each current image` : '';
  return [chosen, tag].filter(Boolean).join('; ');
}
