/**
 * Shared shapes of the fake Kubernetes API server: the object model (plain JSON, as on the wire),
 * the resource kinds it serves, and small JSON helpers.
 */
import { createHash, randomUUID } from 'node:crypto';

/** Objects are plain JSON as the API server speaks it; typing every field would buy little here. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  [key: string]: Json;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec?: Json;
  status?: Json;
  [key: string]: Json;
}

/** A resource the fake serves. */
export interface KindInfo {
  kind: string;
  listKind: string;
  /** '' for the core group. */
  group: string;
  version: string;
  plural: string;
  /** Names accepted by the test controls (`objects('deploy', ns)`, `injectConflicts('Deployment', …)`). */
  aliases: string[];
  namespaced: boolean;
  /** Has a /status subresource: writes to the main resource leave status alone, and the reverse. */
  statusSubresource: boolean;
  /** What bumps metadata.generation. */
  generation: 'none' | 'spec' | 'spec+annotations' | 'all-but-metadata-status';
  /** A custom resource: no strategic merge patch, PUT needs a resourceVersion, list items keep kind. */
  custom: boolean;
  /** Derived by the fake (pods): read-only over the API. */
  readOnly?: boolean;
  /** DELETE answers with the deleted object rather than a Status (Services do). */
  deleteReturnsObject?: boolean;
}

export const KINDS: KindInfo[] = [
  {
    kind: 'Namespace', listKind: 'NamespaceList', group: '', version: 'v1', plural: 'namespaces', aliases: ['namespace', 'ns'],
    namespaced: false, statusSubresource: true, generation: 'none', custom: false,
  },
  {
    kind: 'Service', listKind: 'ServiceList', group: '', version: 'v1', plural: 'services', aliases: ['service', 'svc'],
    namespaced: true, statusSubresource: true, generation: 'none', custom: false, deleteReturnsObject: true,
  },
  {
    kind: 'Pod', listKind: 'PodList', group: '', version: 'v1', plural: 'pods', aliases: ['pod', 'po'],
    namespaced: true, statusSubresource: true, generation: 'none', custom: false, readOnly: true,
  },
  {
    kind: 'Deployment', listKind: 'DeploymentList', group: 'apps', version: 'v1', plural: 'deployments', aliases: ['deployment', 'deploy'],
    namespaced: true, statusSubresource: true, generation: 'spec+annotations', custom: false,
  },
  {
    kind: 'ReplicaSet', listKind: 'ReplicaSetList', group: 'apps', version: 'v1', plural: 'replicasets', aliases: ['replicaset', 'rs'],
    namespaced: true, statusSubresource: true, generation: 'spec', custom: false,
  },
  {
    kind: 'Rollout', listKind: 'RolloutList', group: 'argoproj.io', version: 'v1alpha1', plural: 'rollouts', aliases: ['rollout', 'ro'],
    namespaced: true, statusSubresource: true, generation: 'all-but-metadata-status', custom: true,
  },
];

export type KindName =
  | 'Namespace' | 'Service' | 'Pod' | 'Deployment' | 'ReplicaSet' | 'Rollout'
  | (string & {});

export function kindInfo(name: KindName): KindInfo {
  const n = name.toLowerCase();
  const info = KINDS.find((k) => k.kind.toLowerCase() === n || k.plural === n || k.aliases.includes(n));
  if (!info) throw new Error(`fake-kube: unknown kind "${name}" (known: ${KINDS.map((k) => k.kind).join(', ')})`);
  return info;
}

export const apiVersionOf = (k: KindInfo) => (k.group ? `${k.group}/${k.version}` : k.version);
/** "deployments.apps", "services": how the API server names a resource in messages. */
export const resourceOf = (k: KindInfo) => (k.group ? `${k.plural}.${k.group}` : k.plural);
/** "Deployment.apps", "Service": how Invalid messages name a kind. */
export const qualifiedKindOf = (k: KindInfo) => (k.group ? `${k.kind}.${k.group}` : k.kind);

export const clone = <T>(v: T): T => (v === undefined ? v : (structuredClone(v) as T));

export const isPlainObject = (v: unknown): v is Record<string, Json> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** JSON with sorted keys: a stable fingerprint for "did it change". */
export function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, val: unknown) =>
    isPlainObject(val) ? Object.fromEntries(Object.keys(val).sort().map((k) => [k, val[k]])) : val,
  );
}

export const deepEqual = (a: unknown, b: unknown) => canonical(a) === canonical(b);

/** RFC 3339 with second precision, as Kubernetes writes timestamps. */
export const timestamp = (d = new Date()) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

export const newUid = () => randomUUID();

const SAFE = 'bcdfghjklmnpqrstvwxz2456789';
/** Kubernetes-style "safe" alphanumerics (no vowels, no look-alikes), from a hash of `input`. */
export function safeHash(input: string, length: number): string {
  const bytes = createHash('sha256').update(input).digest();
  let out = '';
  for (let i = 0; i < length; i++) out += SAFE[bytes[i % bytes.length]! % SAFE.length];
  return out;
}
