/** Label and field selectors as in `?labelSelector=app=web,tier!=db` and `?fieldSelector=metadata.name=web`. */
import { badRequest } from './errors.js';
import type { KubeObject } from './types.js';

type Requirement = (labels: Record<string, string>) => boolean;

/** Split on commas outside parentheses (`a in (x,y),b=c`). */
function splitTerms(s: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      terms.push(cur);
      cur = '';
    } else cur += ch;
  }
  terms.push(cur);
  return terms.map((t) => t.trim()).filter(Boolean);
}

/** Equality-based (`a=b`, `a==b`, `a!=b`) and set-based (`a in (x,y)`, `a notin (x)`, `a`, `!a`) terms. */
export function parseLabelSelector(selector: string | undefined): Requirement {
  const reqs: Requirement[] = [];
  for (const term of splitTerms(selector ?? '')) {
    let m: RegExpMatchArray | null;
    if ((m = term.match(/^([^\s!=]+)\s+(in|notin)\s+\(([^)]*)\)$/))) {
      const [, key, op, list] = m as unknown as [string, string, string, string];
      const values = list.split(',').map((v) => v.trim());
      reqs.push(op === 'in'
        ? (l) => key in l && values.includes(l[key]!)
        : (l) => !(key in l) || !values.includes(l[key]!));
    } else if ((m = term.match(/^([^\s!=]+)\s*(==|=|!=)\s*([^\s,]*)$/))) {
      const [, key, op, value] = m as unknown as [string, string, string, string];
      reqs.push(op === '!=' ? (l) => l[key] !== value : (l) => l[key] === value);
    } else if ((m = term.match(/^!\s*([^\s!=]+)$/))) {
      const key = m[1]!;
      reqs.push((l) => !(key in l));
    } else if ((m = term.match(/^([^\s!=()]+)$/))) {
      const key = m[1]!;
      reqs.push((l) => key in l);
    } else {
      throw badRequest(`unable to parse requirement: found '${term}', expected: identifier`);
    }
  }
  return (labels) => reqs.every((r) => r(labels ?? {}));
}

/** `metadata.name=x`, `metadata.namespace!=y`, `status.phase=Running` (any dotted path, equality only). */
export function parseFieldSelector(selector: string | undefined): (obj: KubeObject) => boolean {
  const reqs: ((o: KubeObject) => boolean)[] = [];
  for (const term of splitTerms(selector ?? '')) {
    const m = term.match(/^([\w.]+)\s*(==|=|!=)\s*(.*)$/);
    if (!m) throw badRequest(`invalid selector: '${term}'; can't understand '${term}'`);
    const [, path, op, value] = m as unknown as [string, string, string, string];
    const get = (o: KubeObject) => {
      let cur: unknown = o;
      for (const p of path.split('.')) cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[p] : undefined;
      return cur === undefined ? '' : String(cur);
    };
    reqs.push(op === '!=' ? (o) => get(o) !== value : (o) => get(o) === value);
  }
  return (o) => reqs.every((r) => r(o));
}

/** A LabelSelector object (matchLabels + matchExpressions) as a predicate. */
export function matchesLabelSelector(
  selector: { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] } | undefined,
  labels: Record<string, string> = {},
): boolean {
  if (!selector) return false;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = e.key in labels;
    const v = labels[e.key];
    if (e.operator === 'In' && !(has && (e.values ?? []).includes(v!))) return false;
    if (e.operator === 'NotIn' && has && (e.values ?? []).includes(v!)) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}
