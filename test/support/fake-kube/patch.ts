/**
 * The three PATCH flavours the API server accepts: JSON merge patch (RFC 7386), a strategic merge
 * patch good enough for Deployments/Services (lists with a merge key merge by that key), and JSON
 * Patch (RFC 6902). Each returns a new document; the input is left alone.
 */
import { type Json, clone, deepEqual, isPlainObject } from './types.js';

export class PatchError extends Error {}

/** RFC 7386: objects merge recursively, null deletes, everything else (arrays too) replaces. */
export function mergePatch(target: Json, patch: Json): Json {
  if (!isPlainObject(patch)) return clone(patch);
  const out: Record<string, Json> = isPlainObject(target) ? clone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** patchMergeKey of the list fields a release bot touches (from the Kubernetes API types). */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  imagePullSecrets: 'name',
  hostAliases: 'ip',
  conditions: 'type',
  ownerReferences: 'uid',
  topologySpreadConstraints: 'topologyKey',
  resourceClaims: 'name',
};

/** Service spec.ports merge on `port`; container ports on `containerPort`. */
function mergeKeyFor(path: string[], field: string): string | undefined {
  if (field === 'ports') return path.length === 1 && path[0] === 'spec' ? 'port' : 'containerPort';
  return MERGE_KEYS[field];
}

/**
 * Strategic merge patch (simplified): like a merge patch, but lists with a merge key merge element
 * by element, honouring `$patch: delete|replace` and `$deleteFromPrimitiveList/…`, `$retainKeys`;
 * `$setElementOrder/…` (sent by kubectl apply) is accepted and ignored.
 */
export function strategicMergePatch(target: Json, patch: Json, path: string[] = []): Json {
  if (!isPlainObject(patch)) return clone(patch);
  if (patch.$patch === 'delete') return undefined;
  const { $patch, $retainKeys, ...fields } = patch as Record<string, Json>;
  const out: Record<string, Json> = $patch === 'replace' || !isPlainObject(target) ? {} : clone(target);
  for (const [k, v] of Object.entries(fields)) {
    if (k.startsWith('$setElementOrder/')) continue;
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const field = k.slice('$deleteFromPrimitiveList/'.length);
      const drop = Array.isArray(v) ? v : [];
      if (Array.isArray(out[field])) out[field] = (out[field] as Json[]).filter((x) => !drop.some((d) => deepEqual(d, x)));
      continue;
    }
    if (v === null) {
      delete out[k];
      continue;
    }
    const key = mergeKeyFor(path, k);
    if (Array.isArray(v) && key) out[k] = mergeList(Array.isArray(out[k]) ? out[k] : [], v, key, [...path, k]);
    else {
      const merged = strategicMergePatch(out[k], v, [...path, k]);
      if (merged === undefined) delete out[k];
      else out[k] = merged;
    }
  }
  if (Array.isArray($retainKeys)) {
    for (const k of Object.keys(out)) if (!$retainKeys.includes(k)) delete out[k];
  }
  return out;
}

function mergeList(orig: Json[], patch: Json[], key: string, path: string[]): Json[] {
  if (patch.some((e) => isPlainObject(e) && e.$patch === 'replace')) {
    return patch.filter((e) => !(isPlainObject(e) && e.$patch === 'replace')).map((e) => strategicMergePatch(undefined, e, path));
  }
  const out = clone(orig);
  for (const item of patch) {
    if (!isPlainObject(item) || item[key] === undefined) {
      out.push(clone(item));
      continue;
    }
    const at = out.findIndex((e) => isPlainObject(e) && e[key] === item[key]);
    if (item.$patch === 'delete') {
      if (at >= 0) out.splice(at, 1);
      continue;
    }
    if (at >= 0) out[at] = strategicMergePatch(out[at], item, path);
    else out.push(strategicMergePatch(undefined, item, path));
  }
  return out;
}

interface JsonPatchOp {
  op: string;
  path: string;
  from?: string;
  value?: Json;
}

function pointer(p: unknown): string[] {
  if (typeof p !== 'string') throw new PatchError(`invalid JSON pointer ${JSON.stringify(p)}`);
  if (p === '') return [];
  if (!p.startsWith('/')) throw new PatchError(`invalid JSON pointer "${p}": must start with "/"`);
  return p.slice(1).split('/').map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function arrayIndex(arr: Json[], token: string, forAdd: boolean, path: string): number {
  if (forAdd && token === '-') return arr.length;
  if (!/^(0|[1-9]\d*)$/.test(token)) throw new PatchError(`invalid array index "${token}" in ${path}`);
  const i = Number(token);
  if (i > arr.length || (!forAdd && i === arr.length)) throw new PatchError(`array index ${i} out of bounds in ${path}`);
  return i;
}

/** The container holding the last token of `tokens`, or a PatchError naming the missing path. */
function parentOf(doc: Json, tokens: string[], op: string, path: string): Json {
  let cur = doc;
  for (const t of tokens.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[arrayIndex(cur, t, false, path)];
    else if (isPlainObject(cur) && t in cur) cur = cur[t];
    else cur = undefined;
    if (cur === undefined || cur === null || typeof cur !== 'object') {
      throw new PatchError(`${op} operation does not apply: doc is missing path: "${path}": missing value`);
    }
  }
  return cur;
}

function getAt(doc: Json, tokens: string[], op: string, path: string): Json {
  if (tokens.length === 0) return doc;
  const parent = parentOf(doc, tokens, op, path);
  const last = tokens[tokens.length - 1]!;
  if (Array.isArray(parent)) return parent[arrayIndex(parent, last, false, path)];
  if (!(last in parent)) throw new PatchError(`${op} operation does not apply: doc is missing key: ${path}: missing value`);
  return parent[last];
}

/** RFC 6902 on a copy of `doc`. */
export function jsonPatch(doc: Json, ops: unknown): Json {
  if (!Array.isArray(ops)) throw new PatchError('a JSON patch must be an array of operations');
  let root = clone(doc);
  const set = (tokens: string[], value: Json, op: string, path: string, insert: boolean) => {
    if (tokens.length === 0) {
      root = value;
      return;
    }
    const parent = parentOf(root, tokens, op, path);
    const last = tokens[tokens.length - 1]!;
    if (Array.isArray(parent)) {
      const i = arrayIndex(parent, last, insert, path);
      if (insert) parent.splice(i, 0, value);
      else parent[i] = value;
    } else {
      if (!insert && !(last in parent)) throw new PatchError(`${op} operation does not apply: doc is missing key: ${path}: missing value`);
      parent[last] = value;
    }
  };
  const remove = (tokens: string[], op: string, path: string): Json => {
    if (tokens.length === 0) throw new PatchError(`${op} operation does not apply: cannot remove the document root`);
    const parent = parentOf(root, tokens, op, path);
    const last = tokens[tokens.length - 1]!;
    if (Array.isArray(parent)) return parent.splice(arrayIndex(parent, last, false, path), 1)[0];
    if (!(last in parent)) throw new PatchError(`${op} operation does not apply: doc is missing path: "${path}": missing value`);
    const v = parent[last];
    delete parent[last];
    return v;
  };
  for (const raw of ops) {
    if (!isPlainObject(raw)) throw new PatchError('a JSON patch operation must be an object');
    const o = raw as JsonPatchOp;
    const tokens = pointer(o.path);
    switch (o.op) {
      case 'add':
        if (!('value' in o)) throw new PatchError(`add operation at ${o.path} has no value`);
        set(tokens, clone(o.value), 'add', o.path, true);
        break;
      case 'replace':
        if (!('value' in o)) throw new PatchError(`replace operation at ${o.path} has no value`);
        getAt(root, tokens, 'replace', o.path);
        set(tokens, clone(o.value), 'replace', o.path, false);
        break;
      case 'remove':
        remove(tokens, 'remove', o.path);
        break;
      case 'move': {
        const from = pointer(o.from);
        const v = remove(from, 'move', o.from!);
        set(tokens, v, 'move', o.path, true);
        break;
      }
      case 'copy':
        set(tokens, clone(getAt(root, pointer(o.from), 'copy', o.from!)), 'copy', o.path, true);
        break;
      case 'test': {
        let actual: Json;
        try {
          actual = getAt(root, tokens, 'test', o.path);
        } catch {
          actual = undefined;
        }
        if (!deepEqual(actual, o.value)) throw new PatchError(`testing value ${o.path} failed: test failed`);
        break;
      }
      default:
        throw new PatchError(`Unexpected kind: ${String(o.op)}`);
    }
  }
  return root;
}
