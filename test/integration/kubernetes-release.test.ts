/**
 * PLATFORM=kubernetes, batch release, through the real client-node against the fake API server
 * (test/support/fake-kube.ts). The controllers move only when the adapter sleeps: its injected
 * sleep ticks them and advances the clock the fake's deadlines run on, so every rollout is
 * deterministic. The adapter speaks as the bot's ServiceAccount, under the project's own Role
 * (manifests/kubernetes/rbac-*.yaml, copied into each namespace used here).
 */
import { AppsV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { KubernetesPlatform } from '../../src/platform/kubernetes/kubernetes-platform.js';
import { Policy } from '../../src/policy/policy.js';
import { copyToNamespace, loadManifests, projectRbacFiles, startFakeKube, type FakeKube, type KubeObject } from '../support/fake-kube.js';

/** K8S_ROLLOUT_TIMEOUT_MS as the bot runs it by default. */
const DEFAULT_TIMEOUT_MS = loadConfig({ SLACK_BOT_TOKEN: 'xoxb-test', ROLE: 'worker' }).K8S_ROLLOUT_TIMEOUT_MS;

/** The project's Role, and in `nopods` a copy of it without the pods rule. */
function rbacObjects(): KubeObject[] {
  const base = loadManifests(projectRbacFiles());
  return [...base, ...copyToNamespace(base, 'staging', 'nopods', 'pods')];
}

let kube: FakeKube;
let now = Date.parse('2030-01-01T00:00:00Z');
beforeAll(async () => {
  kube = await startFakeKube({
    tickMs: 0,
    clock: () => now,
    rbac: { objects: rbacObjects(), namespaces: ['prod', 'stage', 'east', 'empty-env'] },
  });
});
afterAll(() => kube.close());
afterEach(() => kube.setQuotaExceeded('prod', false));

const policy = new Policy({
  environments: { production: { namespace: 'prod' }, staging: { namespace: 'stage' }, locked: { namespace: 'locked' }, nopods: { namespace: 'nopods' } },
});

function platform(rolloutTimeoutMs = DEFAULT_TIMEOUT_MS): KubernetesPlatform {
  return new KubernetesPlatform({
    kubeConfig: kube.kubeConfig(),
    policy,
    rolloutTimeoutMs,
    // Simulated time: a 10 s poll brings the 600 s progress deadline in 60 polls.
    pollMs: 10_000,
    clock: () => new Date(now),
    sleep: async (ms) => {
      now += ms;
      kube.tick();
    },
  });
}

/** The cluster administrator (someone else, or kubectl), for changes the bot does not make. */
const admin = () => kube.kubeConfig('default', 'admin').makeApiClient(AppsV1Api);
const MERGE = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const puts = (name: string) => kube.requests.filter((r) => r.method === 'PUT' && r.path.endsWith(`/deployments/${name}`));

const deployment = (ns: string, name: string) => kube.object('Deployment', ns, name)!;
const writes = (name: string) =>
  kube.requests.filter((r) => ['POST', 'PUT', 'PATCH'].includes(r.method) && r.path.includes('/deployments') && (r.path.endsWith(`/${name}`) || r.method === 'POST' && (r.body as { metadata?: { name?: string } })?.metadata?.name === name));

describe('kubernetes platform: batch release', () => {
  it('deploys a Deployment and a Service, waits for the rollout, and lists it', async () => {
    const p = platform();
    const out = await p.deploy({ opId: 't1-1-web', env: 'production', name: 'web', image: 'registry/web:1.0', replicas: 3 });
    expect(out).toMatchObject({ ok: true, component: { env: 'production', name: 'web', image: 'registry/web:1.0', replicas: 3 } });
    const d = deployment('prod', 'web');
    expect(d.metadata.labels).toMatchObject({ 'app.kubernetes.io/name': 'web', 'app.kubernetes.io/managed-by': 'switchyard' });
    expect(d.metadata.annotations).toMatchObject({ 'switchyard.io/op-id': 't1-1-web' });
    expect(d.spec.template.spec.containers).toMatchObject([{ name: 'web', image: 'registry/web:1.0' }]);
    expect(d.status).toMatchObject({ readyReplicas: 3, availableReplicas: 3, updatedReplicas: 3 });
    expect(kube.object('Service', 'prod', 'web')!.spec).toMatchObject({
      type: 'ClusterIP', selector: { 'app.kubernetes.io/name': 'web' }, ports: [{ port: 80, targetPort: 8080 }],
    });
    expect(await p.list('production')).toMatchObject([{ name: 'web', image: 'registry/web:1.0', replicas: 3 }]);
    expect(await p.get('production', 'web')).toMatchObject({ image: 'registry/web:1.0' });
    expect(await p.get('production', 'nope')).toBeUndefined();
    expect(await p.list('empty-env')).toEqual([]);
    expect(kube.requests.every((r) => r.user === kube.serviceAccount)).toBe(true);
  });

  it('answers a repeated deploy from the opId on the object, writing nothing', async () => {
    const p = platform();
    const first = await p.deploy({ opId: 't2-1-api', env: 'production', name: 'api', image: 'registry/api:1', replicas: 1 });
    kube.requests.length = 0;
    const again = await p.deploy({ opId: 't2-1-api', env: 'production', name: 'api', image: 'registry/api:1', replicas: 1 });
    expect(again).toMatchObject({ ok: true, component: { image: 'registry/api:1' } });
    expect(again.ok && first.ok && again.component.image).toBe('registry/api:1');
    expect(writes('api')).toEqual([]);
    // Another step on an existing component is refused, in plain words.
    expect(await p.deploy({ opId: 't3-1-api', env: 'production', name: 'api', image: 'registry/api:2', replicas: 1 })).toEqual({
      ok: false, error: 'api already exists in production (running registry/api:1); use a Bulk Upgrade',
    });
  });

  it('upgrades, recording the previous image, and rolls back to it', async () => {
    const p = platform();
    await p.deploy({ opId: 'u0', env: 'production', name: 'cart', image: 'registry/cart:1.0', replicas: 2 });
    const up = await p.upgrade({ opId: 'u1', env: 'production', name: 'cart', image: 'registry/cart:2.0' });
    expect(up).toMatchObject({ ok: true, previousImage: 'registry/cart:1.0', component: { image: 'registry/cart:2.0', replicas: 2 } });
    expect(deployment('prod', 'cart').metadata.annotations).toMatchObject({ 'switchyard.io/op-id': 'u1', 'switchyard.io/previous-image': 'registry/cart:1.0' });

    kube.requests.length = 0;
    expect(await p.upgrade({ opId: 'u1', env: 'production', name: 'cart', image: 'registry/cart:2.0' })).toMatchObject({ ok: true, previousImage: 'registry/cart:1.0' });
    expect(writes('cart')).toEqual([]);

    // Rollback of the task: the worker upgrades back to the recorded image.
    expect(await p.upgrade({ opId: 'u1-rb', env: 'production', name: 'cart', image: 'registry/cart:1.0' })).toMatchObject({
      ok: true, previousImage: 'registry/cart:2.0', component: { image: 'registry/cart:1.0' },
    });
    expect(await p.upgrade({ opId: 'u9', env: 'production', name: 'ghost', image: 'x:1' })).toEqual({ ok: false, error: 'ghost does not exist in production; deploy it first' });
  });

  it.each([
    ['registry/web:2.0-pullfail', 'web: image registry/web:2.0-pullfail cannot be pulled (ImagePullBackOff)'],
    ['registry/web:2.0-crash', 'web keeps crashing (CrashLoopBackOff)'],
    // Under the default K8S_ROLLOUT_TIMEOUT_MS, Kubernetes's verdict (600 s) comes before our timeout.
    ['registry/web:2.0-broken', 'web did not become available in time (ProgressDeadlineExceeded)'],
  ])('fails an upgrade to %s with a plain reason, and undoes it', async (image, reason) => {
    const p = platform();
    await p.deploy({ opId: `f0-${image}`, env: 'staging', name: 'web', image: 'registry/web:1.0', replicas: 2 }).catch(() => undefined);
    const base = deployment('stage', 'web').spec.template.spec.containers[0].image as string;
    const out = await p.upgrade({ opId: `f1-${image}`, env: 'staging', name: 'web', image });
    expect(out).toEqual({ ok: false, error: reason });
    const d = deployment('stage', 'web');
    expect(d.spec.template.spec.containers[0].image).toBe(base);
    expect(d.metadata.annotations).toMatchObject({ 'switchyard.io/op-id': `f1-${image}`, 'switchyard.io/op-error': reason });
    // Re-delivered: the same answer at once, nothing written.
    kube.requests.length = 0;
    expect(await p.upgrade({ opId: `f1-${image}`, env: 'staging', name: 'web', image })).toEqual({ ok: false, error: reason });
    expect(writes('web')).toEqual([]);
    kube.settle();
    expect(await p.get('staging', 'web')).toMatchObject({ image: base });
  });

  it('times out after K8S_ROLLOUT_TIMEOUT_MS, saying when that is shorter than the progress deadline', async () => {
    expect(await platform().deploy({ opId: 'to0', env: 'staging', name: 'slow', image: 'registry/slow:1', replicas: 1 })).toMatchObject({ ok: true });
    const out = await platform(3000).upgrade({ opId: 'to1', env: 'staging', name: 'slow', image: 'registry/slow:2-broken' });
    expect(out).toEqual({
      ok: false, error: 'slow did not become ready within 3s (K8S_ROLLOUT_TIMEOUT_MS, shorter than its progressDeadlineSeconds of 600s): 1/1 replicas ready',
    });
    // A Deployment with a short deadline of its own gets Kubernetes's verdict within a short timeout.
    await admin().patchNamespacedDeployment({ name: 'slow', namespace: 'stage', body: { spec: { progressDeadlineSeconds: 2 } } }, MERGE);
    expect(await platform(60_000).upgrade({ opId: 'to2', env: 'staging', name: 'slow', image: 'registry/slow:3-broken' })).toEqual({
      ok: false, error: 'slow did not become available in time (ProgressDeadlineExceeded)',
    });
  });

  it('reports an exceeded pod quota from the rollout: the Deployment is created, its pods are not', async () => {
    const p = platform();
    kube.setQuotaExceeded('prod', true);
    const out = await p.deploy({ opId: 'q1', env: 'production', name: 'quota', image: 'registry/q:1', replicas: 1 });
    expect(out).toMatchObject({ ok: false, error: expect.stringMatching(/^production quota exceeded: pods "quota-\w+-\w{5}" is forbidden: exceeded quota: compute-resources/) });
    expect(kube.object('Deployment', 'prod', 'quota')!.spec.replicas).toBe(0); // the failed deploy's husk
    expect(await p.get('production', 'quota')).toBeUndefined();
    kube.setQuotaExceeded('prod', false);
    expect(await p.deploy({ opId: 'q2', env: 'production', name: 'quota', image: 'registry/q:1', replicas: 1 })).toMatchObject({ ok: true });
    // An upgrade is an update, which quota lets through; its new pods are what it refuses.
    kube.setQuotaExceeded('prod', true);
    const up = await p.upgrade({ opId: 'q3', env: 'production', name: 'quota', image: 'registry/q:2' });
    expect(up).toMatchObject({ ok: false, error: expect.stringMatching(/^production quota exceeded: pods ".*" is forbidden: exceeded quota/) });
    expect(kube.object('Deployment', 'prod', 'quota')!.spec.template.spec.containers[0].image).toBe('registry/q:1');
  });

  it('reports a quota on the object count on the write', async () => {
    const p = platform();
    kube.setQuotaExceeded('prod', true, 'object-counts', 'count/deployments.apps');
    expect(await p.deploy({ opId: 'qc1', env: 'production', name: 'counted', image: 'registry/c:1', replicas: 1 })).toEqual({
      ok: false,
      error: 'production quota exceeded: deployments.apps "counted" is forbidden: exceeded quota: object-counts, requested: count/deployments.apps=1, used: count/deployments.apps=10, limited: count/deployments.apps=10',
    });
    expect(kube.object('Deployment', 'prod', 'counted')).toBeUndefined();
  });

  it('fails a deploy that never comes up, leaves it scaled to zero, and lets a later deploy take it over', async () => {
    const p = platform();
    const out = await p.deploy({ opId: 'h1', env: 'staging', name: 'husk', image: 'registry/husk:1-pullfail', replicas: 2 });
    expect(out).toEqual({ ok: false, error: 'husk: image registry/husk:1-pullfail cannot be pulled (ImagePullBackOff)' });
    expect(deployment('stage', 'husk').spec.replicas).toBe(0);
    expect(await p.get('staging', 'husk')).toBeUndefined();
    expect(await p.deploy({ opId: 'h1', env: 'staging', name: 'husk', image: 'registry/husk:1-pullfail', replicas: 2 })).toEqual(out);
    expect(await p.deploy({ opId: 'h2', env: 'staging', name: 'husk', image: 'registry/husk:1', replicas: 2 })).toMatchObject({ ok: true, component: { replicas: 2 } });
  });

  it('retries a write that meets 409 Conflict', async () => {
    const p = platform();
    await p.deploy({ opId: 'c0', env: 'production', name: 'busy', image: 'registry/busy:1', replicas: 1 });
    kube.injectConflicts('Deployment', 'busy', 2, 'prod');
    kube.requests.length = 0;
    expect(await p.upgrade({ opId: 'c1', env: 'production', name: 'busy', image: 'registry/busy:2' })).toMatchObject({ ok: true, previousImage: 'registry/busy:1' });
    expect(puts('busy').map((r) => r.status)).toEqual([409, 409, 200]);
  });

  it('retries a natural 409: the controller wrote status between its read and its write', async () => {
    const p = platform();
    await p.deploy({ opId: 'n0', env: 'production', name: 'scaled', image: 'registry/scaled:1', replicas: 1 });
    // Someone scales it just before the upgrade; the controller's reaction lands after the adapter's read.
    await admin().patchNamespacedDeployment({ name: 'scaled', namespace: 'prod', body: { spec: { replicas: 2 } } }, MERGE);
    kube.requests.length = 0;
    expect(await p.upgrade({ opId: 'n1', env: 'production', name: 'scaled', image: 'registry/scaled:2' })).toMatchObject({
      ok: true, previousImage: 'registry/scaled:1', component: { image: 'registry/scaled:2', replicas: 2 },
    });
    expect(puts('scaled').map((r) => r.status)).toEqual([409, 200]);
    for (const put of puts('scaled')) expect((put.body as { metadata: { resourceVersion?: string } }).metadata.resourceVersion).toMatch(/^\d+$/);
  });

  it('clones a Deployment and its Service without the fields the cluster set', async () => {
    const p = platform();
    await p.deploy({ opId: 'cl0', env: 'staging', name: 'shop', image: 'registry/shop:3', replicas: 2 });
    await p.upgrade({ opId: 'cl1', env: 'staging', name: 'shop', image: 'registry/shop:4' });
    kube.requests.length = 0;
    const out = await p.clone({ opId: 'cl2', fromEnv: 'staging', env: 'production', name: 'shop' });
    expect(out).toMatchObject({ ok: true, component: { env: 'production', image: 'registry/shop:4', replicas: 2 } });
    const posted = kube.requests.filter((r) => r.method === 'POST').map((r) => r.body as { kind: string; metadata: Record<string, unknown>; spec: Record<string, unknown> });
    const dep = posted.find((b) => b.kind === 'Deployment')!;
    for (const field of ['uid', 'resourceVersion', 'creationTimestamp', 'generation', 'managedFields', 'ownerReferences']) expect(dep.metadata).not.toHaveProperty(field);
    expect(dep).not.toHaveProperty('status');
    expect(dep.metadata.namespace).toBe('prod');
    expect(dep.metadata.annotations).toEqual({ 'switchyard.io/op-id': 'cl2', 'switchyard.io/op': 'clone' });
    const svc = posted.find((b) => b.kind === 'Service')!;
    expect(svc.spec).not.toHaveProperty('clusterIP');
    expect(svc.spec).not.toHaveProperty('clusterIPs');
    expect(kube.object('Service', 'prod', 'shop')!.spec.clusterIP).not.toBe(kube.object('Service', 'stage', 'shop')!.spec.clusterIP);

    expect(await p.clone({ opId: 'cl2', fromEnv: 'staging', env: 'production', name: 'shop' })).toMatchObject({ ok: true });
    expect(await p.clone({ opId: 'cl3', fromEnv: 'staging', env: 'production', name: 'shop' })).toEqual({ ok: false, error: 'shop already exists in production (running registry/shop:4)' });
    expect(await p.clone({ opId: 'cl4', fromEnv: 'staging', env: 'production', name: 'none' })).toEqual({ ok: false, error: 'none does not exist in staging, nothing to clone' });
  });

  it('applies racing deliveries of one step once', async () => {
    const p = platform();
    const deploys = await Promise.all([1, 2, 3].map(() => p.deploy({ opId: 'r1', env: 'staging', name: 'race', image: 'registry/race:1', replicas: 1 })));
    expect(deploys.every((o) => o.ok)).toBe(true);
    kube.requests.length = 0;
    const ups = await Promise.all([1, 2, 3].map(() => p.upgrade({ opId: 'r2', env: 'staging', name: 'race', image: 'registry/race:2' })));
    expect(ups.map((o) => o.ok && o.previousImage)).toEqual(['registry/race:1', 'registry/race:1', 'registry/race:1']);
    // Exactly one write went through; the losers carried the resourceVersion they had read, met 409
    // Conflict, re-read, and found the opId. Without the version all three would have overwritten.
    const raced = puts('race');
    expect(raced.filter((r) => r.status === 200)).toHaveLength(1);
    expect(raced.every((r) => r.status === 200 || r.status === 409)).toBe(true);
    expect(raced.every((r) => /^\d+$/.test((r.body as { metadata: { resourceVersion?: string } }).metadata.resourceVersion ?? ''))).toBe(true);
    // Applied twice, the second write would have recorded race:2 as the previous image.
    expect(deployment('stage', 'race').metadata.annotations?.['switchyard.io/previous-image']).toBe('registry/race:1');
  });

  it('maps each environment to its namespace and kubeconfig context, one client set per context', async () => {
    const west = await startFakeKube({ tickMs: 0 });
    try {
      const kc = kube.kubeConfig();
      const other = west.kubeConfig();
      kc.loadFromOptions({
        clusters: [...kc.clusters, { ...other.clusters[0]!, name: 'west' }],
        users: kc.users,
        contexts: [...kc.contexts, { name: 'west', cluster: 'west', user: 'u' }],
        currentContext: 'fake',
      });
      let now = 0;
      const p = new KubernetesPlatform({
        kubeConfig: kc,
        policy: new Policy({ environments: { west: { context: 'west', namespace: 'w1' }, nowhere: { context: 'missing' } } }),
        rolloutTimeoutMs: 60_000,
        pollMs: 1000,
        clock: () => new Date(now),
        sleep: async (ms) => {
          now += ms;
          kube.tick();
          west.tick();
        },
      });
      expect(await p.deploy({ opId: 'w1', env: 'west', name: 'edge', image: 'registry/edge:1', replicas: 1 })).toMatchObject({ ok: true });
      expect(west.object('Deployment', 'w1', 'edge')).toBeDefined();
      expect(kube.object('Deployment', 'w1', 'edge')).toBeUndefined();
      expect(await p.deploy({ opId: 'w2', env: 'east', name: 'edge', image: 'registry/edge:1', replicas: 1 })).toMatchObject({ ok: true });
      expect(kube.object('Deployment', 'east', 'edge')).toBeDefined(); // no policy: namespace = env name, current context
      await expect(p.list('nowhere')).rejects.toThrow('the kubeconfig has no context "missing"');
    } finally {
      await west.close();
    }
  });

  it('did all of the above within the project\'s Role; a namespace without it is refused with 403', async () => {
    expect(kube.forbidden).toEqual([]);
    await expect(platform().deploy({ opId: 'l1', env: 'locked', name: 'web', image: 'registry/web:1', replicas: 1 })).rejects.toThrow(
      `Kubernetes API reading deployment locked/web: HTTP 403 Forbidden: deployments.apps "web" is forbidden: User "${kube.serviceAccount}" cannot get resource "deployments" in API group "apps" in the namespace "locked"`,
    );
  });

  it('without the right to list pods, still releases a healthy rollout and names the 403 in a failure', async () => {
    const p = platform();
    const healthy = await p.deploy({ opId: 'np1', env: 'nopods', name: 'web', image: 'registry/web:1', replicas: 1 });
    expect(healthy).toMatchObject({ ok: true, component: { image: 'registry/web:1' } });
    // A pull failure shows only on the pods: unseen, it ends at the progress deadline, saying why it was unseen.
    const out = await p.deploy({ opId: 'np2', env: 'nopods', name: 'api', image: 'registry/api:1-pullfail', replicas: 1 });
    expect(out).toEqual({
      ok: false,
      error: 'api did not become available in time (ProgressDeadlineExceeded); '
        + 'switchyard may not list pods in namespace nopods, so it could not tell why the rollout was not ready '
        + `(Forbidden: pods is forbidden: User "${kube.serviceAccount}" cannot list resource "pods" in API group "" in the namespace "nopods"); `
        + 'grant get and list on pods there (manifests/kubernetes/rbac-*.yaml)',
    });
    expect(kube.object('Deployment', 'nopods', 'api')!.spec.replicas).toBe(0);
  });

  it('reads many components in one LIST of its own Deployments; names it lacks by name, or many with one LIST of the namespace', async () => {
    const p = platform();
    for (const name of ['batch-a', 'batch-b']) await p.deploy({ opId: `b-${name}`, env: 'production', name, image: `registry/${name}:1`, replicas: 1 });
    // A Deployment the team made themselves (no managed-by label): `get` sees it, so getMany must too.
    kube.seed({
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'theirs', namespace: 'prod', labels: { app: 'theirs' } },
      spec: { replicas: 2, selector: { matchLabels: { app: 'theirs' } }, template: { metadata: { labels: { app: 'theirs' } }, spec: { containers: [{ name: 'theirs', image: 'team/theirs:7' }] } } },
    });
    kube.requests.length = 0;
    const lists = () => kube.requests.filter((r) => r.method === 'GET' && r.path === '/apis/apps/v1/namespaces/prod/deployments');
    const gets = () => kube.requests.filter((r) => r.method === 'GET' && /\/deployments\/[^/]+$/.test(r.path));

    const some = await p.getMany('production', ['batch-a', 'batch-b']);
    expect([...some.values()]).toMatchObject([{ name: 'batch-a', image: 'registry/batch-a:1' }, { name: 'batch-b', image: 'registry/batch-b:1' }]);
    expect(lists().map((r) => r.query.labelSelector)).toEqual(['app.kubernetes.io/managed-by=switchyard']);
    expect(gets()).toEqual([]);

    kube.requests.length = 0;
    const mixed = await p.getMany('production', ['batch-a', 'theirs', 'nope']);
    expect(Object.fromEntries([...mixed].map(([n, c]) => [n, c.image]))).toEqual({ 'batch-a': 'registry/batch-a:1', theirs: 'team/theirs:7' });
    expect(lists()).toHaveLength(1);
    expect(gets().map((r) => r.path.split('/').pop())).toEqual(['theirs', 'nope']);

    kube.requests.length = 0;
    const fresh = Array.from({ length: 40 }, (_, i) => `new-${i}`);
    const many = await p.getMany('production', ['batch-b', 'theirs', ...fresh]);
    expect([...many.keys()]).toEqual(['batch-b', 'theirs']);
    expect(lists().map((r) => r.query.labelSelector ?? 'all')).toEqual(['app.kubernetes.io/managed-by=switchyard', 'all']);
    expect(gets()).toEqual([]);
    expect(await p.getMany('empty-env', ['x'])).toEqual(new Map());
  });

  it('throws a short error when the API server fails', async () => {
    const p = platform();
    kube.injectErrors(1, { method: 'GET', path: '/deployments/flaky' });
    await expect(p.upgrade({ opId: 'e1', env: 'production', name: 'flaky', image: 'x:1' })).rejects.toThrow(/^Kubernetes API reading deployment prod\/flaky: HTTP 500 InternalError/);
  });
});
