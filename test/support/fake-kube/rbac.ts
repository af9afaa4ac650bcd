/**
 * Authentication and RBAC for the fake API server, from the project's own manifests: the Roles and
 * RoleBindings in `manifests/kubernetes/rbac-*.yaml` decide what the bot's ServiceAccount may do,
 * as the real RBAC authorizer would (apiGroups, resources with their subresource, verbs,
 * resourceNames; Roles only in their own namespace; nothing cluster-wide unless a ClusterRole is
 * bound). A request the rules do not allow gets the real 403 Forbidden Status.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { failure, type KubeError } from './errors.js';
import type { KubeObject } from './types.js';

/** manifests/kubernetes of this repository. */
export const MANIFESTS_DIR = fileURLToPath(new URL('../../../manifests/kubernetes/', import.meta.url));

/** What a request asks to do, as the API server's request-info resolver sees it. */
export interface RequestAttributes {
  /** False for /api, /apis, /version, /healthz…: discovery, allowed to every authenticated user. */
  resourceRequest: boolean;
  /** get, list, watch, create, update, patch, delete, deletecollection; for non-resource requests the HTTP verb in lower case. */
  verb: string;
  path: string;
  group: string;
  resource: string;
  subresource: string;
  namespace: string;
  name: string;
}

export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

interface Subject {
  kind: string;
  name: string;
  namespace?: string;
}

export interface UserInfo {
  name: string;
  groups: string[];
}

export const ADMIN: UserInfo = { name: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] };

export function serviceAccountUser(namespace: string, name: string): UserInfo {
  return {
    name: `system:serviceaccount:${namespace}:${name}`,
    groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'],
  };
}

/** Every object in the YAML files (multi-document), namespace-less ones placed in `defaultNamespace`. */
export function loadManifests(files: string[], defaultNamespace = 'switchyard'): KubeObject[] {
  return files.flatMap((f) =>
    parseAllDocuments(readFileSync(f, 'utf8'))
      .map((d) => d.toJS() as KubeObject | null)
      .filter((o): o is KubeObject => !!o && typeof o === 'object' && !!o.kind)
      .map((o) => (o.metadata.namespace || !['Role', 'RoleBinding', 'ServiceAccount'].includes(o.kind!)
        ? o
        : { ...o, metadata: { ...o.metadata, namespace: defaultNamespace } })),
  );
}

/** The project's Role and RoleBinding manifests: manifests/kubernetes/rbac-*.yaml. */
export function projectRbacFiles(dir = MANIFESTS_DIR): string[] {
  return readdirSync(dir).filter((f) => /^rbac-.*\.ya?ml$/.test(f)).sort().map((f) => join(dir, f));
}

/**
 * The README's recipe for another environment: the Role and RoleBinding of one namespace copied
 * into `namespace` (the two `namespace:` lines changed; subjects keep theirs). `without`: a
 * resource whose rules the copy leaves out (an older or hand-edited Role).
 */
export function copyToNamespace(objects: KubeObject[], from: string, namespace: string, without?: string): KubeObject[] {
  return objects
    .filter((o) => (o.kind === 'Role' || o.kind === 'RoleBinding') && o.metadata.namespace === from)
    .map((o) => {
      const copy: KubeObject = { ...structuredClone(o), metadata: { ...structuredClone(o.metadata), namespace } };
      if (o.kind === 'Role' && without) copy.rules = (copy.rules as PolicyRule[]).filter((r) => !r.resources?.includes(without));
      return copy;
    });
}

const matches = (list: string[] | undefined, value: string) => !!list && (list.includes('*') || list.includes(value));

function ruleAllows(rule: PolicyRule, a: RequestAttributes): boolean {
  if (!a.resourceRequest) {
    return matches(rule.verbs, a.verb) && !!rule.nonResourceURLs?.some((u) => u === '*' || u === a.path || (u.endsWith('*') && a.path.startsWith(u.slice(0, -1))));
  }
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const resources = rule.resources ?? [];
  const resourceOk = resources.includes('*') || resources.includes(resource) || (!!a.subresource && resources.includes(`${a.resource}/*`)) || (!!a.subresource && resources.includes(`*/${a.subresource}`));
  if (!matches(rule.verbs, a.verb) || !matches(rule.apiGroups, a.group) || !resourceOk) return false;
  // resourceNames restrict requests that name an object; a list or create names none, so they are not allowed by such a rule.
  if (rule.resourceNames?.length) return !!a.name && rule.resourceNames.includes(a.name);
  return true;
}

function subjectMatches(s: Subject, user: UserInfo, bindingNamespace: string | undefined): boolean {
  switch (s.kind) {
    case 'ServiceAccount':
      return user.name === `system:serviceaccount:${s.namespace ?? bindingNamespace ?? ''}:${s.name}`;
    case 'User':
      return user.name === s.name;
    case 'Group':
      return user.groups.includes(s.name);
    default:
      return false;
  }
}

export class Authorizer {
  constructor(private readonly objects: KubeObject[]) {}

  /** The rules that apply to `user` for a request in `namespace` ('' for cluster scope). */
  private rules(user: UserInfo, namespace: string): PolicyRule[] {
    const find = (kind: string, name: string, ns?: string) =>
      this.objects.find((o) => o.kind === kind && o.metadata.name === name && (ns === undefined || o.metadata.namespace === ns));
    const rulesOf = (ref: { kind: string; name: string }, ns: string | undefined): PolicyRule[] =>
      ((ref.kind === 'ClusterRole' ? find('ClusterRole', ref.name) : find('Role', ref.name, ns))?.rules as PolicyRule[] | undefined) ?? [];
    const out: PolicyRule[] = [];
    for (const b of this.objects) {
      const bound = (b.subjects as Subject[] | undefined ?? []).some((s) => subjectMatches(s, user, b.metadata.namespace));
      if (!bound) continue;
      if (b.kind === 'ClusterRoleBinding') out.push(...rulesOf(b.roleRef, undefined));
      if (b.kind === 'RoleBinding' && namespace && b.metadata.namespace === namespace) out.push(...rulesOf(b.roleRef, namespace));
    }
    return out;
  }

  allows(user: UserInfo, a: RequestAttributes): boolean {
    if (user.groups.includes('system:masters')) return true;
    // system:discovery and system:basic-user: every authenticated user may read the API's shape.
    if (!a.resourceRequest && a.verb === 'get') return true;
    return this.rules(user, a.resourceRequest ? a.namespace : '').some((r) => ruleAllows(r, a));
  }
}

/** The Status of a refused request, word for word as kube-apiserver writes it. */
export function forbiddenFor(user: UserInfo, a: RequestAttributes): KubeError {
  if (!a.resourceRequest) {
    return failure(403, 'Forbidden', `forbidden: User "${user.name}" cannot ${a.verb} path "${a.path}"`, {});
  }
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const why = a.namespace
    ? `User "${user.name}" cannot ${a.verb} resource "${resource}" in API group "${a.group}" in the namespace "${a.namespace}"`
    : `User "${user.name}" cannot ${a.verb} resource "${resource}" in API group "${a.group}" at the cluster scope`;
  const qualified = a.group ? `${a.resource}.${a.group}` : a.resource;
  const what = a.name ? `${qualified} "${a.name}"` : qualified;
  return failure(403, 'Forbidden', `${what} is forbidden: ${why}`, {
    ...(a.name ? { name: a.name } : {}), ...(a.group ? { group: a.group } : {}), kind: a.resource,
  });
}
