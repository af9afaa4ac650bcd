/**
 * The fake API server's storage and verbs, independent of HTTP: create / replace / patch / delete
 * with the real semantics (resourceVersion preconditions, status subresources, generation,
 * AlreadyExists / NotFound / Conflict / Invalid / Forbidden), plus the controls tests use
 * (quota, injected conflicts) and unchecked writes for the simulated controllers.
 *
 * Updates are optimistic, as the adapter must use them: a replace (PUT) must carry the
 * resourceVersion it read. A stale one is 409 Conflict, as on a real server. A missing one is 422
 * Invalid ("must be specified for an update"), as a real server answers for custom resources; for
 * built-in kinds a real server would take it as an unconditional overwrite, which here is refused
 * on purpose: an adapter that loses the resourceVersion would silently overwrite a concurrent
 * change on a cluster, and the tests must see that. Patches need none (a stale one conflicts).
 */
import { parse as parseYaml } from 'yaml';
import {
  KubeError, alreadyExists, badRequest, conflict, failure, forbidden, invalid, methodNotAllowed, notFound, unsupportedMediaType,
} from './errors.js';
import { PatchError, jsonPatch, mergePatch, strategicMergePatch } from './patch.js';
import { parseFieldSelector, parseLabelSelector } from './selectors.js';
import { applyDefaults, bumpsGeneration, validate } from './semantics.js';
import {
  type Json, type KindInfo, type KubeObject, apiVersionOf, canonical, clone, isPlainObject, kindInfo, newUid, safeHash, timestamp,
} from './types.js';

export const PATCH_TYPES = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
} as const;

export interface WriteOptions {
  dryRun?: boolean;
  /** Write the /status subresource. */
  subresource?: 'status';
  fieldManager?: string;
}

export interface DeleteOptions {
  dryRun?: boolean;
  propagationPolicy?: string;
  preconditions?: { resourceVersion?: string; uid?: string };
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
}

export interface StoreOptions {
  /** Namespaces spring into existence when used (default). Off: only created ones exist, others are 404. */
  autoNamespaces: boolean;
  /** Names of namespaces that exist from the start. */
  namespaces: string[];
  /** The time (ms) for timestamps. Default: Date.now. */
  now?: () => number;
}

/** A ResourceQuota that is used up: its name and the resource it limits ("pods", "count/deployments.apps"…). */
export interface ExceededQuota {
  name: string;
  resource: string;
}

type Derived = (namespace: string | undefined) => KubeObject[];

export class FakeStore {
  private readonly objects = new Map<string, KubeObject>();
  private revision = 1000;
  private nextIp = 10;
  private readonly quota = new Map<string, ExceededQuota>();
  private readonly conflicts = new Map<string, number>();
  /** Kinds the controllers compute on read (pods). */
  readonly derived = new Map<string, Derived>();

  constructor(private readonly opts: StoreOptions) {
    for (const ns of opts.namespaces) this.ensureNamespace(ns, true);
  }

  // ---- controls -------------------------------------------------------------------------------

  /**
   * A used-up ResourceQuota in `namespace`. On `pods` (the usual compute quota) creating the
   * Deployment works and its ReplicaSet cannot create pods (ReplicaFailure FailedCreate); on an
   * object count (`count/deployments.apps`) the create itself is refused with 403.
   */
  setQuotaExceeded(namespace: string, exceeded: boolean, quotaName = 'compute-resources', resource = 'pods'): void {
    if (exceeded) this.quota.set(namespace, { name: quotaName, resource });
    else this.quota.delete(namespace);
  }

  quotaExceeded(namespace: string): ExceededQuota | undefined {
    return this.quota.get(namespace);
  }

  /** The name of a used-up pod quota in `namespace`: new pods there cannot be created. */
  podQuota(namespace: string): string | undefined {
    const q = this.quota.get(namespace);
    return q?.resource === 'pods' ? q.name : undefined;
  }

  now(): number {
    return (this.opts.now ?? Date.now)();
  }

  timestamp(): string {
    return timestamp(new Date(this.now()));
  }

  /** The next `n` updates (PUT/PATCH, status included) of that object fail with 409 Conflict. */
  injectConflicts(info: KindInfo, name: string, n: number, namespace?: string): void {
    this.conflicts.set(`${info.plural}/${namespace ?? '*'}/${name}`, n);
  }

  private takeConflict(info: KindInfo, ns: string, name: string): void {
    for (const key of [`${info.plural}/${ns}/${name}`, `${info.plural}/*/${name}`]) {
      const left = this.conflicts.get(key) ?? 0;
      if (left > 0) {
        this.conflicts.set(key, left - 1);
        throw conflict(info, name);
      }
    }
  }

  // ---- unchecked access for controllers and tests ---------------------------------------------

  private key(info: KindInfo, ns: string | undefined, name: string): string {
    return `${info.plural}/${info.namespaced ? ns ?? '' : ''}/${name}`;
  }

  peek(info: KindInfo, ns: string | undefined, name: string): KubeObject | undefined {
    return this.objects.get(this.key(info, ns, name));
  }

  /** Stored objects of a kind (not copies), in key order like etcd. */
  all(info: KindInfo, ns?: string): KubeObject[] {
    if (this.derived.has(info.plural)) return this.derived.get(info.plural)!(ns);
    const prefix = `${info.plural}/${info.namespaced && ns !== undefined ? `${ns}/` : ''}`;
    return [...this.objects.entries()]
      .filter(([k]) => k.startsWith(prefix))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, v]) => v);
  }

  currentResourceVersion(): string {
    return String(this.revision);
  }

  private nextResourceVersion(): string {
    return String(++this.revision);
  }

  /**
   * A controller's write: stored as given (metadata kept), resourceVersion bumped only when
   * something changed. Returns the stored object.
   */
  put(info: KindInfo, obj: KubeObject): KubeObject {
    const ns = info.namespaced ? obj.metadata.namespace : undefined;
    const existing = this.peek(info, ns, obj.metadata.name!);
    if (existing && sameIgnoringVersion(existing, obj)) return existing;
    const stored = clone(obj);
    stored.apiVersion = apiVersionOf(info);
    stored.kind = info.kind;
    stored.metadata.uid ??= newUid();
    stored.metadata.creationTimestamp ??= this.timestamp();
    stored.metadata.resourceVersion = this.nextResourceVersion();
    this.objects.set(this.key(info, ns, obj.metadata.name!), stored);
    return stored;
  }

  /** A controller's delete (garbage collection): no checks, dependents cascade. */
  remove(info: KindInfo, ns: string | undefined, name: string): void {
    const obj = this.peek(info, ns, name);
    if (obj) this.removeCascading(info, obj, 'Background');
  }

  ensureNamespace(ns: string, create = this.opts.autoNamespaces): void {
    const info = kindInfo('Namespace');
    if (this.peek(info, undefined, ns)) return;
    if (!create) throw notFound(info, ns);
    const obj: KubeObject = { metadata: { name: ns }, status: { phase: 'Active' } };
    applyDefaults(info, obj, undefined, this);
    this.put(info, obj);
  }

  allocateClusterIP(): string {
    const n = this.nextIp++;
    return `10.96.${Math.floor(n / 250)}.${(n % 250) + 1}`;
  }

  // ---- API verbs ------------------------------------------------------------------------------

  get(info: KindInfo, ns: string | undefined, name: string): KubeObject {
    if (info.kind === 'Namespace' && this.opts.autoNamespaces) this.ensureNamespace(name);
    const obj = this.derived.has(info.plural)
      ? this.all(info, ns).find((o) => o.metadata.name === name)
      : this.peek(info, ns, name);
    if (!obj) throw notFound(info, name);
    return clone(obj);
  }

  list(info: KindInfo, ns: string | undefined, opts: ListOptions = {}): KubeObject {
    if (ns !== undefined && info.namespaced && !this.opts.autoNamespaces) this.ensureNamespace(ns, false);
    const byLabel = parseLabelSelector(opts.labelSelector);
    const byField = parseFieldSelector(opts.fieldSelector);
    const items = this.all(info, ns)
      .filter((o) => byLabel(o.metadata.labels ?? {}) && byField(o))
      .map((o) => {
        const c = clone(o);
        // Built-in lists carry kind/apiVersion on the list only; custom resources keep them per item.
        if (!info.custom) {
          delete c.kind;
          delete c.apiVersion;
        }
        return c;
      });
    return { kind: info.listKind, apiVersion: apiVersionOf(info), metadata: { resourceVersion: this.currentResourceVersion() }, items };
  }

  create(info: KindInfo, ns: string | undefined, body: unknown, opts: WriteOptions = {}): KubeObject {
    if (info.readOnly) throw methodNotAllowed(`the fake API server does not create ${info.plural}`);
    const obj = checkBody(info, body);
    const meta = obj.metadata;
    if (info.namespaced) {
      if (meta.namespace && meta.namespace !== ns) throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      this.ensureNamespace(ns!);
    }
    if (!meta.name && meta.generateName) meta.name = `${meta.generateName}${safeHash(newUid(), 5)}`;
    if (!meta.name) {
      throw invalid(info, '', [{ reason: 'FieldValueRequired', message: 'Required value: name or generateName is required', field: 'metadata.name' }]);
    }
    const name = meta.name;
    obj.metadata = {
      ...meta,
      name,
      ...(info.namespaced ? { namespace: ns } : {}),
      uid: newUid(),
      creationTimestamp: this.timestamp(),
      ...(info.generation !== 'none' ? { generation: 1 } : {}),
    };
    delete obj.metadata.resourceVersion;
    delete obj.metadata.deletionTimestamp;
    delete obj.metadata.managedFields;
    if (info.statusSubresource) resetStatus(info, obj);
    applyDefaults(info, obj, undefined, this);
    validate(info, obj, undefined);
    const quota = info.namespaced ? this.quota.get(ns!) : undefined;
    const res = `count/${info.group ? `${info.plural}.${info.group}` : info.plural}`;
    if (quota?.resource === res) {
      throw forbidden(info, name, `exceeded quota: ${quota.name}, requested: ${res}=1, used: ${res}=10, limited: ${res}=10`);
    }
    if (this.peek(info, ns, name)) throw alreadyExists(info, name);
    if (opts.dryRun) return { ...obj, metadata: { ...obj.metadata, resourceVersion: '' } };
    return clone(this.put(info, obj));
  }

  replace(info: KindInfo, ns: string | undefined, name: string, body: unknown, opts: WriteOptions = {}): KubeObject {
    if (info.readOnly) throw methodNotAllowed(`the fake API server does not update ${info.plural}`);
    const obj = checkBody(info, body);
    if ((obj.metadata.name ?? '') !== name) {
      throw badRequest(`the name of the object (${obj.metadata.name ?? ''}) does not match the name on the URL (${name})`);
    }
    if (info.namespaced && obj.metadata.namespace && obj.metadata.namespace !== ns) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    const current = this.peek(info, ns, name);
    if (!current) throw notFound(info, name);
    // The precondition comes first: an injected conflict must not hide a write without one.
    const rv = obj.metadata.resourceVersion;
    if (!rv) {
      throw invalid(info, name, [{ reason: 'FieldValueInvalid', message: 'Invalid value: 0x0: must be specified for an update', field: 'metadata.resourceVersion' }]);
    }
    if (rv !== current.metadata.resourceVersion) throw conflict(info, name);
    this.takeConflict(info, ns ?? '', name);
    return this.commitUpdate(info, current, obj, opts);
  }

  /** Returns the object and whether it was created (server-side apply of a new object: 201). */
  patch(info: KindInfo, ns: string | undefined, name: string, contentType: string, body: unknown, opts: WriteOptions = {}): { object: KubeObject; created: boolean } {
    if (info.readOnly) throw methodNotAllowed(`the fake API server does not patch ${info.plural}`);
    const type = (contentType.split(';')[0] ?? '').trim().toLowerCase();
    const accepted = info.custom
      ? [PATCH_TYPES.json, PATCH_TYPES.merge, PATCH_TYPES.apply]
      : [PATCH_TYPES.json, PATCH_TYPES.merge, PATCH_TYPES.strategic, PATCH_TYPES.apply];
    if (!(accepted as string[]).includes(type)) {
      throw unsupportedMediaType(`the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`);
    }
    const patchBody = typeof body === 'string' ? parsePatchBody(type, body) : body;

    if (type === PATCH_TYPES.apply) {
      if (!opts.fieldManager) throw badRequest('PATCH /apply requires fieldManager to be set (the fieldManager query parameter)');
      if (!isPlainObject(patchBody)) throw badRequest('an apply patch must be an object');
      if (!patchBody.apiVersion || !patchBody.kind) throw badRequest('invalid object: apiVersion and kind must be set in an apply patch');
      if (patchBody.apiVersion !== apiVersionOf(info) || patchBody.kind !== info.kind) {
        throw badRequest(`the API version in the data (${patchBody.apiVersion}) does not match the expected API version (${apiVersionOf(info)}) or kind (${info.kind})`);
      }
      const applied = { ...patchBody, metadata: { ...(patchBody.metadata ?? {}), name } };
      if (applied.metadata.name !== name) throw badRequest(`the name of the object does not match the name on the URL (${name})`);
      const current = this.peek(info, ns, name);
      if (!current) {
        if (opts.subresource) throw notFound(info, name);
        return { object: this.create(info, ns, applied, opts), created: true };
      }
      const rv = applied.metadata.resourceVersion;
      if (rv && rv !== current.metadata.resourceVersion) throw conflict(info, name);
      this.takeConflict(info, ns ?? '', name);
      const merged = info.custom ? mergePatch(current, applied) : strategicMergePatch(current, applied);
      merged.metadata.resourceVersion = current.metadata.resourceVersion;
      return { object: this.commitUpdate(info, current, merged, opts), created: false };
    }

    const current = this.peek(info, ns, name);
    if (!current) throw notFound(info, name);
    let patched: Json;
    try {
      patched =
        type === PATCH_TYPES.json ? jsonPatch(current, patchBody)
          : type === PATCH_TYPES.strategic ? strategicMergePatch(current, patchBody)
            : mergePatch(current, patchBody);
    } catch (err) {
      if (err instanceof PatchError) throw failure(422, 'Invalid', err.message);
      throw err;
    }
    if (!isPlainObject(patched) || !isPlainObject(patched.metadata)) throw failure(422, 'Invalid', 'the patch removed the object metadata');
    // A resourceVersion in the patched object is a precondition, as on PUT.
    const rv = patched.metadata.resourceVersion;
    if (rv && rv !== current.metadata.resourceVersion) throw conflict(info, name);
    this.takeConflict(info, ns ?? '', name);
    if ((patched.metadata.name ?? name) !== name) {
      throw invalid(info, name, [{ reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(patched.metadata.name)}: field is immutable`, field: 'metadata.name' }]);
    }
    patched.metadata.name = name;
    return { object: this.commitUpdate(info, current, patched as KubeObject, opts), created: false };
  }

  delete(info: KindInfo, ns: string | undefined, name: string, opts: DeleteOptions = {}): KubeObject {
    if (info.readOnly) throw methodNotAllowed(`the fake API server does not delete ${info.plural}`);
    const current = this.peek(info, ns, name);
    if (!current) throw notFound(info, name);
    const pre = opts.preconditions ?? {};
    if (pre.uid && pre.uid !== current.metadata.uid) {
      throw conflict(info, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current.metadata.uid}`);
    }
    if (pre.resourceVersion && pre.resourceVersion !== current.metadata.resourceVersion) {
      throw conflict(info, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion}`);
    }
    const deleted = clone(current);
    if (!opts.dryRun) this.removeCascading(info, current, opts.propagationPolicy ?? 'Background');
    if (info.deleteReturnsObject) return deleted;
    return {
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success',
      details: { name, ...(info.group ? { group: info.group } : {}), kind: info.plural, uid: current.metadata.uid },
    } as unknown as KubeObject;
  }

  // ---- internals ------------------------------------------------------------------------------

  private commitUpdate(info: KindInfo, current: KubeObject, incoming: KubeObject, opts: WriteOptions): KubeObject {
    let next: KubeObject;
    if (opts.subresource === 'status') {
      // Only status changes through /status.
      next = clone(current);
      if (incoming.status === undefined) delete next.status;
      else next.status = clone(incoming.status);
    } else {
      next = clone(incoming);
      next.apiVersion = apiVersionOf(info);
      next.kind = info.kind;
      next.metadata = {
        ...next.metadata,
        name: current.metadata.name,
        ...(info.namespaced ? { namespace: current.metadata.namespace } : {}),
        uid: current.metadata.uid,
        creationTimestamp: current.metadata.creationTimestamp,
        ...(current.metadata.generation !== undefined ? { generation: current.metadata.generation } : {}),
      };
      if (info.statusSubresource) {
        if (current.status === undefined) delete next.status;
        else next.status = clone(current.status);
      }
      applyDefaults(info, next, current, this);
      validate(info, next, current);
      if (bumpsGeneration(info, current, next)) next.metadata.generation = (current.metadata.generation ?? 0) + 1;
    }
    next.metadata.resourceVersion = current.metadata.resourceVersion;
    if (sameIgnoringVersion(current, next)) return clone(current); // a no-op write keeps its resourceVersion
    if (opts.dryRun) return next;
    return clone(this.put(info, next));
  }

  private removeCascading(info: KindInfo, obj: KubeObject, policy: string): void {
    const ns = info.namespaced ? obj.metadata.namespace : undefined;
    this.objects.delete(this.key(info, ns, obj.metadata.name!));
    if (info.kind === 'Namespace') {
      for (const k of [...this.objects.keys()]) if (k.split('/')[1] === obj.metadata.name) this.objects.delete(k);
      return;
    }
    for (const dep of [...this.objects.values()]) {
      const refs = dep.metadata.ownerReferences ?? [];
      if (!refs.some((r) => r.uid === obj.metadata.uid)) continue;
      if (policy === 'Orphan') {
        const kept = refs.filter((r) => r.uid !== obj.metadata.uid);
        const copy = clone(dep);
        if (kept.length) copy.metadata.ownerReferences = kept;
        else delete copy.metadata.ownerReferences;
        this.put(kindInfo(dep.kind!), copy);
      } else {
        this.removeCascading(kindInfo(dep.kind!), dep, policy);
      }
    }
  }
}

function sameIgnoringVersion(a: KubeObject, b: KubeObject): boolean {
  const strip = (o: KubeObject) => ({ ...o, metadata: { ...o.metadata, resourceVersion: undefined } });
  return canonical(strip(a)) === canonical(strip(b));
}

function checkBody(info: KindInfo, body: unknown): KubeObject {
  if (!isPlainObject(body)) throw badRequest('the request body must be a JSON object');
  if (body.kind !== undefined && body.kind !== info.kind) {
    throw badRequest(`the kind in the body (${String(body.kind)}) does not match the resource (${info.kind})`);
  }
  if (body.apiVersion !== undefined && body.apiVersion !== apiVersionOf(info)) {
    throw badRequest(`the API version in the data (${String(body.apiVersion)}) does not match the expected API version (${apiVersionOf(info)})`);
  }
  const obj = clone(body) as KubeObject;
  if (obj.metadata !== undefined && !isPlainObject(obj.metadata)) throw badRequest('metadata must be an object');
  obj.metadata ??= {};
  return obj;
}

function resetStatus(info: KindInfo, obj: KubeObject): void {
  switch (info.kind) {
    case 'Deployment':
      obj.status = {};
      break;
    case 'ReplicaSet':
      obj.status = { replicas: 0 };
      break;
    case 'Service':
      obj.status = { loadBalancer: {} };
      break;
    case 'Namespace':
      obj.status = { phase: 'Active' };
      break;
    default:
      delete obj.status;
  }
}

function parsePatchBody(type: string, raw: string): unknown {
  try {
    return type === PATCH_TYPES.apply ? parseYaml(raw) : JSON.parse(raw);
  } catch (err) {
    throw badRequest(`error decoding patch: ${(err as Error).message}`);
  }
}

export { KubeError };
