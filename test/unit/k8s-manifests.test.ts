/**
 * manifests/kubernetes: rendered here by a small kustomize of our own (the fields the kustomization
 * uses: resources, a NamespaceTransformer or `namespace:`, labels/commonLabels, configMapGenerator,
 * images), so the test needs no kubectl. Where kubectl is on PATH, its `kubectl kustomize` output
 * is compared with ours, so the renderer cannot drift from the real thing unnoticed.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parsePolicy } from '../../src/policy/policy-file.js';
import { describeNeeding, kubectlUnusable } from '../support/tools.js';

const dir = fileURLToPath(new URL('../../manifests/kubernetes/', import.meta.url));

// ---------------------------------------------------------------------------------------------
// Types: only what the assertions read.

type Labels = Record<string, string>;
interface Meta {
  name: string;
  namespace?: string;
  labels?: Labels;
  annotations?: Labels;
}
interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: Meta;
  [field: string]: unknown;
}
interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean }; configMapKeyRef?: { name: string; key: string } };
}
interface Probe {
  httpGet?: { path: string; port: number | string };
  exec?: { command: string[] };
  tcpSocket?: { port: number | string };
}
interface Container {
  name: string;
  image: string;
  args?: string[];
  command?: string[];
  ports?: { name?: string; containerPort: number }[];
  env?: EnvVar[];
  envFrom?: { secretRef?: { name: string; optional?: boolean }; configMapRef?: { name: string } }[];
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  resources?: { requests?: Labels; limits?: Labels };
  securityContext?: { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean; runAsNonRoot?: boolean };
}
interface PodSpec {
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  terminationGracePeriodSeconds?: number;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
  containers: Container[];
  volumes?: { name: string; configMap?: { name: string }; emptyDir?: object }[];
}
interface Workload extends K8sObject {
  spec: {
    replicas?: number;
    serviceName?: string;
    selector: { matchLabels: Labels };
    template: { metadata: { labels?: Labels }; spec: PodSpec };
    volumeClaimTemplates?: { metadata: Meta; spec: { resources: { requests: { storage: string } } } }[];
  };
}
interface Service extends K8sObject {
  spec: { clusterIP?: string; selector: Labels; ports: { port: number; targetPort?: number | string }[] };
}
interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}
interface Role extends K8sObject {
  rules: Rule[];
}
interface RoleBinding extends K8sObject {
  roleRef: { apiGroup: string; kind: string; name: string };
  subjects: { kind: string; name: string; namespace?: string }[];
}
interface ConfigMap extends K8sObject {
  data?: Record<string, string>;
}
interface Secret extends K8sObject {
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

interface Kustomization {
  apiVersion?: string;
  kind?: string;
  namespace?: string;
  resources?: string[];
  transformers?: string[];
  commonLabels?: Labels;
  labels?: { pairs: Labels; includeSelectors?: boolean; includeTemplates?: boolean }[];
  configMapGenerator?: { name: string; files?: string[]; literals?: string[]; options?: { disableNameSuffixHash?: boolean } }[];
  generatorOptions?: { disableNameSuffixHash?: boolean };
  images?: { name: string; newName?: string; newTag?: string; digest?: string }[];
}

/** The kustomization fields the renderer implements; any other field fails the test instead of being ignored. */
const UNDERSTOOD = ['apiVersion', 'kind', 'namespace', 'resources', 'transformers', 'commonLabels', 'labels', 'configMapGenerator', 'generatorOptions', 'images'];

// ---------------------------------------------------------------------------------------------
// The renderer.

/** Kinds without a namespace (the ones that could plausibly appear here). */
const CLUSTER_SCOPED = new Set([
  'Namespace', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'PersistentVolume', 'StorageClass',
  'PriorityClass', 'IngressClass', 'ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration', 'APIService', 'Node',
]);
const POD_TEMPLATE_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job']);

const readText = (file: string) => readFileSync(join(dir, file), 'utf8');
const kustomization = parse(readText('kustomization.yaml')) as Kustomization;

function loadDocs(file: string): K8sObject[] {
  return parseAllDocuments(readText(file)).flatMap((doc) => {
    if (doc.errors.length) throw new Error(`${file}: ${doc.errors[0]!.message}`);
    const obj = doc.toJS() as K8sObject | null;
    return obj ? [obj] : []; // a document of comments only
  });
}

/** kustomize's name suffix: sha256 of Go's json.Marshal of {data, kind, name: ""} (as kustomize v5 hashes a generated ConfigMap), 10 hex chars, vowel-ish ones replaced. */
function kustomizeHash(data: Record<string, string>): string {
  const sorted = Object.fromEntries(Object.entries(data).sort(([a], [b]) => (a < b ? -1 : 1)));
  const json = JSON.stringify({ data: sorted, kind: 'ConfigMap', name: '' }).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  const swap: Record<string, string> = { '0': 'g', '1': 'h', '3': 'k', a: 'm', e: 't' };
  return createHash('sha256').update(json).digest('hex').slice(0, 10).replace(/[013ae]/g, (c) => swap[c]!);
}

function podSpecs(obj: K8sObject): PodSpec[] {
  if (!POD_TEMPLATE_KINDS.has(obj.kind)) return [];
  return [(obj as Workload).spec.template.spec];
}

function render(k: Kustomization): K8sObject[] {
  const unknown = Object.keys(k).filter((key) => !UNDERSTOOD.includes(key));
  if (unknown.length) throw new Error(`the test's renderer does not implement ${unknown.join(', ')}`);
  const objects = (k.resources ?? []).flatMap(loadDocs);

  // configMapGenerator: ConfigMaps named <name>-<hash>; references by <name> are rewritten.
  const renamed = new Map<string, string>();
  for (const g of k.configMapGenerator ?? []) {
    const data: Record<string, string> = {};
    for (const f of g.files ?? []) {
      const [key, path] = f.includes('=') ? (f.split('=', 2) as [string, string]) : [basename(f), f];
      data[key] = readText(path);
    }
    for (const l of g.literals ?? []) {
      const i = l.indexOf('=');
      data[l.slice(0, i)] = l.slice(i + 1);
    }
    const noHash = g.options?.disableNameSuffixHash ?? k.generatorOptions?.disableNameSuffixHash ?? false;
    const name = noHash ? g.name : `${g.name}-${kustomizeHash(data)}`;
    renamed.set(g.name, name);
    objects.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data } as ConfigMap);
  }
  for (const spec of objects.flatMap(podSpecs)) {
    for (const v of spec.volumes ?? []) if (v.configMap) v.configMap.name = renamed.get(v.configMap.name) ?? v.configMap.name;
    for (const c of spec.containers) {
      for (const e of c.envFrom ?? []) if (e.configMapRef) e.configMapRef.name = renamed.get(e.configMapRef.name) ?? e.configMapRef.name;
      for (const e of c.env ?? []) {
        const ref = e.valueFrom?.configMapKeyRef;
        if (ref) ref.name = renamed.get(ref.name) ?? ref.name;
      }
    }
  }

  // Namespace: the top-level field overwrites every namespaced object's namespace (as kustomize
  // does); a NamespaceTransformer with unsetOnly fills in only the missing ones.
  const setNamespace = (ns: string, unsetOnly: boolean) => {
    for (const o of objects) {
      if (CLUSTER_SCOPED.has(o.kind)) continue;
      if (!unsetOnly || !o.metadata.namespace) o.metadata.namespace = ns;
    }
  };
  if (k.namespace) setNamespace(k.namespace, false);
  for (const file of k.transformers ?? []) {
    for (const t of loadDocs(file) as (K8sObject & { unsetOnly?: boolean })[]) {
      if (t.apiVersion !== 'builtin' || t.kind !== 'NamespaceTransformer') throw new Error(`${file}: the renderer only knows the builtin NamespaceTransformer`);
      if (t.metadata.namespace) setNamespace(t.metadata.namespace, t.unsetOnly === true);
    }
  }
  const ids = objects.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`);
  const clash = ids.find((id, i) => ids.indexOf(id) !== i);
  if (clash) throw new Error(`namespace transformation produces ID conflict: ${clash}`);

  // Labels: on every object's metadata; templates (pod, volume claim) when asked; selectors never here.
  const labelSets = [
    ...(k.commonLabels ? [{ pairs: k.commonLabels, includeSelectors: true, includeTemplates: true }] : []),
    ...(k.labels ?? []),
  ];
  for (const set of labelSets) {
    if (set.includeSelectors) throw new Error('the renderer does not put labels into selectors (and selectors are immutable: keep includeSelectors false)');
    for (const o of objects) {
      o.metadata.labels = { ...o.metadata.labels, ...set.pairs };
      if (set.includeTemplates && POD_TEMPLATE_KINDS.has(o.kind)) {
        const w = o as Workload;
        w.spec.template.metadata.labels = { ...w.spec.template.metadata.labels, ...set.pairs };
        for (const pvc of w.spec.volumeClaimTemplates ?? []) pvc.metadata.labels = { ...pvc.metadata.labels, ...set.pairs };
      }
    }
  }

  // Images: by name, i.e. the image without tag or digest.
  for (const spec of objects.flatMap(podSpecs)) {
    for (const c of spec.containers) {
      const rule = (k.images ?? []).find((i) => c.image === i.name || c.image.startsWith(`${i.name}:`) || c.image.startsWith(`${i.name}@`));
      if (!rule) continue;
      const tag = rule.digest ? `@${rule.digest}` : rule.newTag ? `:${rule.newTag}` : c.image.slice(rule.name.length);
      c.image = `${rule.newName ?? rule.name}${tag}`;
    }
  }
  return objects;
}

// ---------------------------------------------------------------------------------------------
// The rendered manifests.

const objects = render(kustomization);
const ofKind = <T extends K8sObject>(kind: string) => objects.filter((o) => o.kind === kind) as T[];
const named = <T extends K8sObject>(kind: string, name: string): T => {
  const found = ofKind<T>(kind).filter((o) => o.metadata.name === name);
  expect(found, `${kind} ${name}`).toHaveLength(1);
  return found[0]!;
};
const envOf = (c: Container) => Object.fromEntries((c.env ?? []).map((e) => [e.name, e]));
const policyConfigMap = () => {
  const maps = ofKind<ConfigMap>('ConfigMap').filter((m) => m.data?.['policy.yaml'] !== undefined);
  expect(maps).toHaveLength(1);
  return maps[0]!;
};
const policyDoc = () => parse(policyConfigMap().data!['policy.yaml']!) as unknown;

const MANAGED = ['staging', 'production'];

/** Every verb on every resource a Role grants, as "group/resource: verb". */
function grants(role: Role): string[] {
  return role.rules.flatMap((r) => r.apiGroups.flatMap((g) => r.resources.flatMap((res) => r.verbs.map((v) => `${g}/${res}: ${v}`)))).sort();
}
const grant = (group: string, resource: string, verbs: string[]) => verbs.map((v) => `${group}/${resource}: ${v}`);
const RW = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];
const READ = ['get', 'list', 'watch'];
/**
 * What src/platform/kubernetes calls, and nothing else: Deployments and Services it writes; it
 * lists ReplicaSets (Argo Rollouts versions) and Pods (why a rollout is stuck); with Argo Rollouts
 * it creates, replaces, patches and deletes Rollouts and patches rollouts/status (promote, abort).
 */
const EXPECTED_GRANTS = [
  ...grant('apps', 'deployments', RW),
  ...grant('', 'services', RW),
  ...grant('apps', 'replicasets', READ),
  ...grant('', 'pods', READ),
  ...grant('argoproj.io', 'rollouts', RW),
  ...grant('argoproj.io', 'rollouts/status', ['patch']),
].sort();

describe('manifests/kubernetes: the kustomization', () => {
  it('uses only fields this renderer implements, and a known apiVersion', () => {
    expect(kustomization.apiVersion).toBe('kustomize.config.k8s.io/v1beta1');
    expect(kustomization.kind).toBe('Kustomization');
    expect(() => render(kustomization)).not.toThrow();
  });

  it('lists only files that exist, and every YAML file in the folder is used', () => {
    const referenced = [
      ...(kustomization.resources ?? []),
      ...(kustomization.transformers ?? []),
      ...(kustomization.configMapGenerator ?? []).flatMap((g) => (g.files ?? []).map((f) => f.split('=').pop()!)),
    ];
    for (const file of referenced) expect(existsSync(join(dir, file)), `${file} is listed but missing`).toBe(true);
    expect(new Set(referenced).size, 'a file listed twice').toBe(referenced.length);
    const yamlFiles = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml');
    expect(yamlFiles.sort()).toEqual([...referenced].sort());
  });

  it('renders exactly the expected kinds', () => {
    const count = (kind: string) => ofKind(kind).length;
    const kinds = [...new Set(objects.map((o) => o.kind))].sort();
    expect(kinds).toEqual(['ConfigMap', 'Deployment', 'Namespace', 'Role', 'RoleBinding', 'Secret', 'Service', 'ServiceAccount', 'StatefulSet']);
    expect({
      Namespace: count('Namespace'), ServiceAccount: count('ServiceAccount'), Role: count('Role'), RoleBinding: count('RoleBinding'),
      ConfigMap: count('ConfigMap'), Secret: count('Secret'), Deployment: count('Deployment'), Service: count('Service'), StatefulSet: count('StatefulSet'),
    }).toEqual({ Namespace: 1, ServiceAccount: 1, Role: 2, RoleBinding: 2, ConfigMap: 1, Secret: 1, Deployment: 2, Service: 2, StatefulSet: 1 });
  });

  it('puts the bot in namespace switchyard and the RBAC in the managed namespaces', () => {
    expect(named('Namespace', 'switchyard').metadata.namespace).toBeUndefined();
    for (const o of objects) {
      if (o.kind === 'Namespace') continue;
      const expected = o.kind === 'Role' || o.kind === 'RoleBinding' ? MANAGED : ['switchyard'];
      expect(expected, `${o.kind} ${o.metadata.name} in ${o.metadata.namespace}`).toContain(o.metadata.namespace);
    }
    // A top-level `namespace:` would overwrite the Roles' namespaces (kubectl then fails: ID conflict).
    expect(kustomization.namespace).toBeUndefined();
    expect(() => render({ ...kustomization, namespace: 'switchyard', transformers: [] })).toThrow(/ID conflict/);
  });

  it('labels every object app.kubernetes.io/part-of: switchyard, selectors untouched', () => {
    for (const o of objects) expect(o.metadata.labels?.['app.kubernetes.io/part-of'], `${o.kind} ${o.metadata.name}`).toBe('switchyard');
    for (const w of [...ofKind<Workload>('Deployment'), ...ofKind<Workload>('StatefulSet')]) {
      expect(w.spec.selector.matchLabels['app.kubernetes.io/part-of']).toBeUndefined();
      // The selector picks the pod template's labels.
      expect(w.spec.template.metadata.labels).toMatchObject(w.spec.selector.matchLabels);
    }
  });
});

describe('manifests/kubernetes: the bot', () => {
  const deployments = { web: named<Workload>('Deployment', 'switchyard-web'), worker: named<Workload>('Deployment', 'switchyard-worker') };
  const main = (d: Workload) => {
    expect(d.spec.template.spec.containers).toHaveLength(1);
    return d.spec.template.spec.containers[0]!;
  };

  it.each(Object.entries(deployments))('%s: ROLE, Redis, platform, 2 replicas, the image from the images entry', (role, d) => {
    const c = main(d);
    const env = envOf(c);
    expect(env.ROLE?.value).toBe(role);
    expect(env.REDIS_URL?.value).toBe('redis://switchyard-redis:6379');
    expect(env.PLATFORM?.value).toBe('kubernetes');
    expect(d.spec.replicas).toBe(2);
    const rule = kustomization.images?.find((i) => i.name === 'switchyard');
    expect(rule?.newName).toBeTruthy();
    expect(c.image).toBe(`${rule!.newName}:${rule!.newTag}`);
  });

  it.each(Object.entries(deployments))('%s: liveness /healthz and readiness /readyz on port 3000', (_role, d) => {
    const c = main(d);
    const port = (p: number | string | undefined) => (typeof p === 'string' ? c.ports?.find((x) => x.name === p)?.containerPort : p);
    expect(c.livenessProbe?.httpGet?.path).toBe('/healthz');
    expect(c.readinessProbe?.httpGet?.path).toBe('/readyz');
    expect(port(c.livenessProbe?.httpGet?.port)).toBe(3000);
    expect(port(c.readinessProbe?.httpGet?.port)).toBe(3000);
    expect(envOf(c).PORT?.value ?? '3000').toBe('3000');
  });

  it.each(Object.entries(deployments))('%s: the policy ConfigMap mounted at /etc/switchyard, SWITCHYARD_CONFIG pointing into it', (_role, d) => {
    const c = main(d);
    const cm = policyConfigMap();
    const volume = d.spec.template.spec.volumes?.find((v) => v.configMap?.name === cm.metadata.name);
    expect(volume, 'a volume of the generated policy ConfigMap').toBeDefined();
    const mount = c.volumeMounts?.find((m) => m.name === volume!.name);
    expect(mount?.mountPath).toBe('/etc/switchyard');
    expect(mount?.readOnly).toBe(true);
    const config = envOf(c).SWITCHYARD_CONFIG?.value ?? '';
    expect(config.startsWith('/etc/switchyard/')).toBe(true);
    expect(Object.keys(cm.data ?? {})).toContain(config.slice('/etc/switchyard/'.length));
  });

  it.each(Object.entries(deployments))('%s: Slack credentials from the Secret switchyard-slack; SLACK_BOT_TOKEN required', (_role, d) => {
    const c = main(d);
    named<Secret>('Secret', 'switchyard-slack');
    expect(c.envFrom?.map((e) => e.secretRef?.name)).toContain('switchyard-slack');
    // Without the token the bot starts its sandbox, so the pod must wait for it rather than start.
    const token = envOf(c).SLACK_BOT_TOKEN?.valueFrom?.secretKeyRef;
    expect(token).toEqual({ name: 'switchyard-slack', key: 'SLACK_BOT_TOKEN' });
    // No credential is written into the manifests.
    for (const e of c.env ?? []) expect(e.name.startsWith('SLACK_') && e.value !== undefined, e.name).toBe(false);
  });

  it.each(Object.entries(deployments))('%s: service account, grace period, resources, non-root, read-only root', (_role, d) => {
    const pod = d.spec.template.spec;
    const c = main(d);
    expect(pod.serviceAccountName).toBe('switchyard');
    expect(pod.terminationGracePeriodSeconds).toBe(30);
    expect(pod.securityContext?.runAsNonRoot).toBe(true);
    // The image's USER is `node` by name: the kubelet can only check runAsNonRoot with a number.
    expect(pod.securityContext?.runAsUser).toBeGreaterThan(0);
    expect(c.securityContext?.readOnlyRootFilesystem).toBe(true);
    expect(c.securityContext?.allowPrivilegeEscalation).toBe(false);
    // The root filesystem is read-only; /tmp stays writable.
    const tmp = c.volumeMounts?.find((m) => m.mountPath === '/tmp');
    expect(pod.volumes?.find((v) => v.name === tmp?.name)?.emptyDir).toBeDefined();
    expect(c.resources?.requests?.cpu && c.resources.requests.memory).toBeTruthy();
    expect(c.resources?.limits?.memory).toBeTruthy();
  });

  it('the Service switchyard-web sends port 80 to the web pods on 3000', () => {
    const svc = named<Service>('Service', 'switchyard-web');
    const web = deployments.web;
    expect(web.spec.template.metadata.labels).toMatchObject(svc.spec.selector);
    expect(deployments.worker.spec.template.metadata.labels).not.toMatchObject(svc.spec.selector);
    expect(svc.spec.ports).toHaveLength(1);
    const p = svc.spec.ports[0]!;
    expect(p.port).toBe(80);
    const target = typeof p.targetPort === 'string' ? main(web).ports?.find((x) => x.name === p.targetPort)?.containerPort : p.targetPort;
    expect(target).toBe(3000);
  });

  it('the Secret carries no values, so applying never overwrites the real credentials', () => {
    const s = named<Secret>('Secret', 'switchyard-slack');
    expect(s.data).toBeUndefined();
    expect(s.stringData).toBeUndefined();
  });

  it('the policy file parses and passes the bot\'s own validator', () => {
    const policy = parsePolicy(policyDoc(), 'policy.yaml');
    expect(Object.keys(policy.environments ?? {}).sort()).toEqual([...MANAGED].sort());
    expect(policy.operators?.length).toBeGreaterThan(0);
    expect(policy.environments?.production?.approvers?.length).toBeGreaterThan(0);
  });
});

describe('manifests/kubernetes: RBAC', () => {
  it('has nothing cluster-wide', () => {
    expect(ofKind('ClusterRole')).toEqual([]);
    expect(ofKind('ClusterRoleBinding')).toEqual([]);
  });

  it('has a Role switchyard-releaser in each managed namespace granting exactly what the platform uses', () => {
    const roles = ofKind<Role>('Role');
    expect(roles.map((r) => r.metadata.namespace).sort()).toEqual([...MANAGED].sort());
    for (const role of roles) {
      expect(role.metadata.name).toBe('switchyard-releaser');
      expect(grants(role), role.metadata.namespace).toEqual(EXPECTED_GRANTS);
      for (const r of role.rules) {
        expect(r.verbs).not.toContain('*');
        expect(r.resources).not.toContain('*');
        expect(r.resources).not.toContain('namespaces');
        expect(r.resources).not.toContain('secrets');
      }
    }
  });

  it('binds each Role to the ServiceAccount switchyard of namespace switchyard', () => {
    const sa = named('ServiceAccount', 'switchyard');
    expect(sa.metadata.namespace).toBe('switchyard');
    const bindings = ofKind<RoleBinding>('RoleBinding');
    expect(bindings.map((b) => b.metadata.namespace).sort()).toEqual([...MANAGED].sort());
    for (const b of bindings) {
      expect(b.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'switchyard-releaser' });
      expect(b.subjects).toEqual([{ kind: 'ServiceAccount', name: 'switchyard', namespace: 'switchyard' }]);
    }
  });

  it('covers the namespace of every environment in the policy file, and no other', () => {
    const policy = parsePolicy(policyDoc(), 'policy.yaml');
    const namespaces = Object.entries(policy.environments ?? {}).map(([env, p]) => p.namespace ?? env);
    expect(namespaces.sort()).toEqual(ofKind('Role').map((r) => r.metadata.namespace).sort());
  });
});

describe('manifests/kubernetes: Redis', () => {
  const sts = named<Workload>('StatefulSet', 'switchyard-redis');
  const redis = () => sts.spec.template.spec.containers.find((c) => c.name === 'redis')!;

  it('runs redis 7 with AOF and noeviction (BullMQ requires it)', () => {
    expect(redis().image).toMatch(/^redis:7/);
    const args = [...(redis().command ?? []), ...(redis().args ?? [])].join(' ');
    expect(args).toMatch(/--appendonly\s+yes/);
    expect(args).toMatch(/--maxmemory-policy\s+noeviction/);
    expect(sts.spec.replicas ?? 1).toBe(1);
  });

  it('keeps its data on a 1Gi claim mounted at /data, and is ready when redis-cli ping answers', () => {
    const claims = sts.spec.volumeClaimTemplates ?? [];
    expect(claims).toHaveLength(1);
    expect(claims[0]!.spec.resources.requests.storage).toBe('1Gi');
    expect(redis().volumeMounts?.find((m) => m.name === claims[0]!.metadata.name)?.mountPath).toBe('/data');
    expect(redis().readinessProbe?.exec?.command.join(' ')).toContain('redis-cli ping');
    expect(sts.spec.template.spec.securityContext?.runAsNonRoot).toBe(true);
  });

  it('is reached as switchyard-redis:6379, the address in REDIS_URL', () => {
    const svc = named<Service>('Service', 'switchyard-redis');
    expect(sts.spec.serviceName).toBe('switchyard-redis');
    expect(sts.spec.template.metadata.labels).toMatchObject(svc.spec.selector);
    expect(svc.spec.ports.map((p) => p.port)).toEqual([6379]);
    expect(redis().ports?.map((p) => p.containerPort)).toEqual([6379]);
  });
});

// ---------------------------------------------------------------------------------------------
// Where kubectl is installed: the real render must equal ours (generated-name hashes aside).

describeNeeding('kubectl', kubectlUnusable(), 'manifests/kubernetes: kubectl kustomize', () => {
  it('renders the same objects as the test\'s renderer', () => {
    const out = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', timeout: 20_000 });
    const theirs = parseAllDocuments(out).map((d) => d.toJS() as K8sObject);
    const unhash = (objs: K8sObject[]) => {
      const text = JSON.stringify(
        [...objs].sort((a, b) => {
          const ka = `${a.kind}/${a.metadata.namespace ?? ''}/${a.metadata.name}`;
          const kb = `${b.kind}/${b.metadata.namespace ?? ''}/${b.metadata.name}`;
          return ka < kb ? -1 : ka > kb ? 1 : 0;
        }),
      );
      return JSON.parse(text.replace(/(switchyard-policy)-[a-z0-9]{10}"/g, '$1-HASH"')) as unknown;
    };
    expect(unhash(theirs)).toEqual(unhash(render(kustomization)));
  });
});
