/**
 * The fake Kubernetes API server (test/support/fake-kube.ts) driven by the real
 * @kubernetes/client-node: the API semantics the Kubernetes adapter relies on, and the simulated
 * controllers (Deployment rollouts, failure injection, Argo Rollouts blue-green).
 */
import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type V1Deployment,
  type V1Service,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeKube, startFakeKube } from '../support/fake-kube.js';

const MERGE = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const STRATEGIC = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);
const JSON_PATCH = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);
const APPLY = setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply);

const ROLLOUTS = { group: 'argoproj.io', version: 'v1alpha1', plural: 'rollouts' } as const;

function deployment(name: string, image: string, replicas = 3, extra: Record<string, string> = {}): V1Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels: { 'app.kubernetes.io/name': name, ...extra } },
    spec: {
      replicas,
      selector: { matchLabels: { 'app.kubernetes.io/name': name } },
      template: {
        metadata: { labels: { 'app.kubernetes.io/name': name } },
        spec: { containers: [{ name, image, ports: [{ containerPort: 8080 }] }, { name: 'sidecar', image: 'envoy:1.30' }] },
      },
    },
  };
}

function rollout(name: string, image: string, replicas = 2) {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Rollout',
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name, image }] } },
      strategy: { blueGreen: { activeService: `${name}-active`, previewService: `${name}-preview`, autoPromotionEnabled: false } },
    },
  };
}

const service = (name: string, selector: Record<string, string>): V1Service => ({
  metadata: { name },
  spec: { selector, ports: [{ port: 80, targetPort: 8080 }] },
});

/** The HTTP code and Status body of a failed call. */
async function failure(p: Promise<unknown>): Promise<{ code: number; status: { reason?: string; message?: string; kind?: string; code?: number } }> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ApiException);
    const e = err as ApiException<unknown>;
    return { code: e.code, status: JSON.parse(String(e.body)) };
  }
  throw new Error('expected the call to fail');
}

const condition = (d: { status?: { conditions?: { type: string }[] } }, type: string) =>
  d.status?.conditions?.find((c) => c.type === type) as { type: string; status: string; reason?: string; message?: string } | undefined;

describe('fake kube API server with the real client (tick-driven)', () => {
  let kube: FakeKube;
  let apps: AppsV1Api;
  let core: CoreV1Api;
  let custom: CustomObjectsApi;
  const namespace = 'team-a';

  beforeAll(async () => {
    kube = await startFakeKube({ tickMs: 0 });
    const kc = kube.kubeConfig();
    apps = kc.makeApiClient(AppsV1Api);
    core = kc.makeApiClient(CoreV1Api);
    custom = kc.makeApiClient(CustomObjectsApi);
  });
  afterAll(() => kube.close());
  beforeEach(() => {
    kube.requests.length = 0;
  });

  it('creates a Deployment that becomes available over rolloutSteps ticks', async () => {
    const created = await apps.createNamespacedDeployment({ namespace, body: deployment('web', 'registry.local/web:1.0.0') });
    expect(created.metadata).toMatchObject({ name: 'web', namespace, generation: 1 });
    expect(created.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.metadata?.creationTimestamp).toBeInstanceOf(Date);
    expect(created.spec?.strategy?.type).toBe('RollingUpdate'); // defaulted
    expect(created.status).toEqual({});

    // Namespaces exist once used.
    expect((await core.readNamespace({ name: namespace })).status?.phase).toBe('Active');

    const dup = await failure(apps.createNamespacedDeployment({ namespace, body: deployment('web', 'registry.local/web:1.0.0') }));
    expect(dup).toMatchObject({ code: 409, status: { kind: 'Status', reason: 'AlreadyExists', message: 'deployments.apps "web" already exists' } });

    kube.tick();
    let d = await apps.readNamespacedDeployment({ name: 'web', namespace });
    expect(d.status?.observedGeneration).toBe(1);
    expect(d.status?.updatedReplicas).toBeLessThan(3);
    expect(condition(d, 'Progressing')).toMatchObject({ status: 'True' });

    kube.tick(2);
    d = await apps.readNamespacedDeployment({ name: 'web', namespace });
    expect(d.status).toMatchObject({ observedGeneration: 1, replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3 });
    expect(condition(d, 'Available')).toMatchObject({ status: 'True', reason: 'MinimumReplicasAvailable' });
    expect(condition(d, 'Progressing')).toMatchObject({ status: 'True', reason: 'NewReplicaSetAvailable' });
    expect(d.metadata?.annotations?.['deployment.kubernetes.io/revision']).toBe('1');

    const rs = await apps.listNamespacedReplicaSet({ namespace, labelSelector: 'app.kubernetes.io/name=web' });
    expect(rs.items).toHaveLength(1);
    expect(rs.items[0]!.metadata?.annotations?.['deployment.kubernetes.io/revision']).toBe('1');
    expect(rs.items[0]!.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'Deployment', name: 'web', uid: created.metadata?.uid, controller: true });
    expect(rs.items[0]!.spec?.template?.spec?.containers[0]?.image).toBe('registry.local/web:1.0.0');

    const pods = await core.listNamespacedPod({ namespace, labelSelector: 'app.kubernetes.io/name=web' });
    expect(pods.items).toHaveLength(3);
    expect(pods.items.every((p) => p.status?.phase === 'Running' && p.status.containerStatuses?.every((c) => c.ready))).toBe(true);

    const list = await apps.listNamespacedDeployment({ namespace, labelSelector: 'app.kubernetes.io/name=web,app.kubernetes.io/name!=api' });
    expect(list.items.map((i) => i.metadata?.name)).toEqual(['web']);
    expect((await apps.listNamespacedDeployment({ namespace, labelSelector: 'app.kubernetes.io/name=nope' })).items).toEqual([]);
  });

  it('patches the image (strategic, merge, JSON patch, apply) and rolls out a new ReplicaSet', async () => {
    // Strategic merge: the containers list merges by name, so the sidecar stays.
    const patched = await apps.patchNamespacedDeployment(
      { name: 'web', namespace, body: { spec: { template: { spec: { containers: [{ name: 'web', image: 'registry.local/web:1.1.0' }] } } } } },
      STRATEGIC,
    );
    expect(patched.spec?.template?.spec?.containers.map((c) => `${c.name}=${c.image}`)).toEqual(['web=registry.local/web:1.1.0', 'sidecar=envoy:1.30']);
    expect(patched.metadata?.generation).toBe(2);
    expect(kube.requests.at(-1)).toMatchObject({ method: 'PATCH', path: `/apis/apps/v1/namespaces/${namespace}/deployments/web`, contentType: 'application/strategic-merge-patch+json' });

    kube.tick(3);
    let d = await apps.readNamespacedDeployment({ name: 'web', namespace });
    expect(d.status).toMatchObject({ observedGeneration: 2, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3, replicas: 3 });
    expect(d.metadata?.annotations?.['deployment.kubernetes.io/revision']).toBe('2');
    const rs = (await apps.listNamespacedReplicaSet({ namespace })).items;
    expect(rs.map((r) => [r.metadata?.annotations?.['deployment.kubernetes.io/revision'], r.spec?.replicas]).sort()).toEqual([['1', 0], ['2', 3]]);

    // Merge patch: an annotation (Deployments bump generation on annotation changes too).
    const annotated = await apps.patchNamespacedDeployment({ name: 'web', namespace, body: { metadata: { annotations: { 'switchyard.io/op-id': 'op-1' } } } }, MERGE);
    expect(annotated.metadata?.generation).toBe(3);
    expect(kube.requests.at(-1)?.contentType).toBe('application/merge-patch+json');

    // JSON patch with a test guard.
    const jp = await apps.patchNamespacedDeployment(
      {
        name: 'web', namespace,
        body: [
          { op: 'test', path: '/spec/template/spec/containers/0/name', value: 'web' },
          { op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'registry.local/web:1.2.0' },
          { op: 'add', path: '/metadata/labels/tier', value: 'frontend' },
        ],
      },
      JSON_PATCH,
    );
    expect(jp.spec?.template?.spec?.containers[0]?.image).toBe('registry.local/web:1.2.0');
    expect(jp.metadata?.labels?.tier).toBe('frontend');
    const failedTest = await failure(apps.patchNamespacedDeployment(
      { name: 'web', namespace, body: [{ op: 'test', path: '/spec/replicas', value: 99 }, { op: 'replace', path: '/spec/replicas', value: 1 }] },
      JSON_PATCH,
    ));
    expect(failedTest).toMatchObject({ code: 422, status: { reason: 'Invalid' } });

    // Server-side apply: creates when missing, merges when present.
    const applied = await apps.patchNamespacedDeployment(
      { name: 'api', namespace, body: deployment('api', 'registry.local/api:1'), fieldManager: 'switchyard', force: true },
      APPLY,
    );
    expect(applied.metadata?.generation).toBe(1);
    expect(kube.requests.at(-1)).toMatchObject({ contentType: 'application/apply-patch+yaml', query: { fieldManager: 'switchyard', force: 'true' } });
    const reapplied = await apps.patchNamespacedDeployment(
      { name: 'api', namespace, body: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'api' }, spec: { replicas: 5 } }, fieldManager: 'switchyard' },
      APPLY,
    );
    expect(reapplied.spec?.replicas).toBe(5);
    expect(reapplied.spec?.template?.spec?.containers).toHaveLength(2);
    expect(await failure(apps.patchNamespacedDeployment({ name: 'api', namespace, body: { spec: {} } }, APPLY))).toMatchObject({ code: 400 });

    // Status in a main-resource patch is ignored (status subresource).
    const sneaky = await apps.patchNamespacedDeployment({ name: 'api', namespace, body: { status: { readyReplicas: 42 } } }, MERGE);
    expect(sneaky.status?.readyReplicas).toBeUndefined();

    d = await apps.readNamespacedDeployment({ name: 'web', namespace });
    expect(d.metadata?.generation).toBe(4);
    expect(await failure(apps.patchNamespacedDeployment({ name: 'ghost', namespace, body: {} }, MERGE))).toMatchObject({
      code: 404, status: { reason: 'NotFound', message: 'deployments.apps "ghost" not found' },
    });
  });

  it('refuses a stale PUT with 409 Conflict, and injected conflicts until they run out', async () => {
    const fresh = await apps.readNamespacedDeployment({ name: 'web', namespace });
    const stale = structuredClone(fresh);
    fresh.spec!.replicas = 4;
    const replaced = await apps.replaceNamespacedDeployment({ name: 'web', namespace, body: fresh });
    expect(Number(replaced.metadata?.resourceVersion)).toBeGreaterThan(Number(fresh.metadata?.resourceVersion));
    expect(replaced.metadata?.generation).toBe((fresh.metadata?.generation ?? 0) + 1);

    stale.spec!.replicas = 6;
    expect(await failure(apps.replaceNamespacedDeployment({ name: 'web', namespace, body: stale }))).toEqual({
      code: 409,
      status: expect.objectContaining({
        kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Conflict', code: 409,
        message: 'Operation cannot be fulfilled on deployments.apps "web": the object has been modified; please apply your changes to the latest version and try again',
      }),
    });

    // A merge patch carrying a stale resourceVersion is a precondition too.
    expect((await failure(apps.patchNamespacedDeployment(
      { name: 'web', namespace, body: { metadata: { resourceVersion: stale.metadata?.resourceVersion }, spec: { replicas: 6 } } }, MERGE,
    ))).code).toBe(409);

    kube.injectConflicts('Deployment', 'web', 2);
    const current = await apps.readNamespacedDeployment({ name: 'web', namespace });
    current.spec!.replicas = 2;
    expect((await failure(apps.replaceNamespacedDeployment({ name: 'web', namespace, body: current }))).status.reason).toBe('Conflict');
    expect((await failure(apps.patchNamespacedDeployment({ name: 'web', namespace, body: { spec: { replicas: 2 } } }, MERGE))).code).toBe(409);
    expect((await apps.replaceNamespacedDeployment({ name: 'web', namespace, body: current })).spec?.replicas).toBe(2);

    // Invalid: the selector must match the template labels; the selector is immutable.
    const bad = deployment('bad', 'x:1');
    bad.spec!.template.metadata!.labels = { other: 'x' };
    const inv = await failure(apps.createNamespacedDeployment({ namespace, body: bad }));
    expect(inv).toMatchObject({ code: 422, status: { reason: 'Invalid' } });
    expect(inv.status.message).toContain('Deployment.apps "bad" is invalid: spec.template.metadata.labels');
  });

  it('never makes a -broken image available: ProgressDeadlineExceeded after progressDeadlineTicks', async () => {
    await apps.patchNamespacedDeployment(
      { name: 'web', namespace, body: { spec: { template: { spec: { containers: [{ name: 'web', image: 'registry.local/web:2.0.0-broken' }] } } } } },
      STRATEGIC,
    );
    kube.tick(4);
    let d = await apps.readNamespacedDeployment({ name: 'web', namespace });
    expect(d.status?.updatedReplicas).toBeGreaterThan(0);
    expect(d.status?.availableReplicas).toBe(2); // the old pods keep serving
    expect(condition(d, 'Progressing')).toMatchObject({ status: 'True', reason: 'ReplicaSetUpdated' });
    kube.tick(2);
    d = await apps.readNamespacedDeployment({ name: 'web', namespace });
    expect(condition(d, 'Progressing')).toMatchObject({
      status: 'False', reason: 'ProgressDeadlineExceeded', message: expect.stringContaining('has timed out progressing'),
    });
    expect(condition(d, 'Available')?.status).toBe('True');
  });

  it('surfaces ImagePullBackOff and CrashLoopBackOff, and quota refusals', async () => {
    await apps.createNamespacedDeployment({ namespace, body: deployment('puller', 'registry.local/pullfail:1') });
    await apps.createNamespacedDeployment({ namespace, body: deployment('crasher', 'registry.local/crasher:1-crash') });
    kube.tick();
    let pods = await core.listNamespacedPod({ namespace, labelSelector: 'app.kubernetes.io/name=puller' });
    expect(pods.items[0]?.status?.containerStatuses?.[0]?.state?.waiting?.reason).toBe('ErrImagePull');
    kube.tick();
    pods = await core.listNamespacedPod({ namespace, labelSelector: 'app.kubernetes.io/name=puller' });
    expect(pods.items[0]?.status?.containerStatuses?.[0]?.state?.waiting?.reason).toBe('ImagePullBackOff');
    const puller = await apps.readNamespacedDeployment({ name: 'puller', namespace });
    expect(condition(puller, 'ReplicaFailure')).toMatchObject({ status: 'True', reason: 'ImagePullBackOff', message: 'Back-off pulling image "registry.local/pullfail:1"' });
    const crasher = await apps.readNamespacedDeployment({ name: 'crasher', namespace });
    expect(condition(crasher, 'ReplicaFailure')).toMatchObject({ status: 'True', reason: 'CrashLoopBackOff' });
    const crashPods = await core.listNamespacedPod({ namespace, labelSelector: 'app.kubernetes.io/name=crasher' });
    expect(crashPods.items[0]?.status?.containerStatuses?.[0]?.state?.waiting?.reason).toBe('CrashLoopBackOff');

    kube.setQuotaExceeded('tight', true);
    expect(await failure(apps.createNamespacedDeployment({ namespace: 'tight', body: deployment('web', 'x:1') }))).toMatchObject({
      code: 403, status: { reason: 'Forbidden', message: expect.stringContaining('exceeded quota') },
    });
    kube.setQuotaExceeded('tight', false);
    await apps.createNamespacedDeployment({ namespace: 'tight', body: deployment('web', 'x:1') });
  });

  it('serves Services: clusterIP kept on replace, patches, delete returns the object', async () => {
    const svc = await core.createNamespacedService({ namespace, body: service('web', { 'app.kubernetes.io/name': 'web' }) });
    const ip = svc.spec?.clusterIP;
    expect(ip).toMatch(/^10\.96\./);
    expect(svc.spec?.ports?.[0]).toMatchObject({ port: 80, targetPort: 8080, protocol: 'TCP' });
    const replaced = await core.replaceNamespacedService({
      name: 'web', namespace, body: { ...service('web', { 'app.kubernetes.io/name': 'web', slot: 'blue' }), metadata: { name: 'web', resourceVersion: svc.metadata?.resourceVersion } },
    });
    expect(replaced.spec?.clusterIP).toBe(ip);
    const patched = await core.patchNamespacedService({ name: 'web', namespace, body: { spec: { selector: { slot: 'green' } } } }, MERGE);
    expect(patched.spec?.selector).toEqual({ 'app.kubernetes.io/name': 'web', slot: 'green' });
    const deleted = await core.deleteNamespacedService({ name: 'web', namespace });
    expect(deleted.metadata?.name).toBe('web');
    expect((await failure(core.readNamespacedService({ name: 'web', namespace }))).status.message).toBe('services "web" not found');
  });

  it('deletes a Deployment with its ReplicaSets (404 when missing)', async () => {
    const status = await apps.deleteNamespacedDeployment({ name: 'crasher', namespace, propagationPolicy: 'Foreground' });
    expect(status).toMatchObject({ status: 'Success' });
    expect(kube.objects('ReplicaSet', namespace).filter((r) => r.metadata.name?.startsWith('crasher-'))).toEqual([]);
    expect((await failure(apps.deleteNamespacedDeployment({ name: 'crasher', namespace }))).code).toBe(404);
  });

  it('runs an Argo Rollouts blue-green: pause, promote, then abort and undo', async () => {
    const ns = 'bg';
    await core.createNamespacedService({ namespace: ns, body: service('shop-active', { app: 'shop' }) });
    await core.createNamespacedService({ namespace: ns, body: service('shop-preview', { app: 'shop' }) });
    await custom.createNamespacedCustomObject({ ...ROLLOUTS, namespace: ns, body: rollout('shop', 'shop:1') });
    const get = async () => (await custom.getNamespacedCustomObject({ ...ROLLOUTS, namespace: ns, name: 'shop' })) as {
      metadata: { resourceVersion: string };
      spec: { paused?: boolean; template: unknown };
      status: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    };
    kube.tick(3);
    let r = await get();
    const h1 = r.status.currentPodHash as string;
    expect(r.status).toMatchObject({ phase: 'Healthy', stableRS: h1, blueGreen: { activeSelector: h1, previewSelector: h1 } });
    expect((await core.readNamespacedService({ name: 'shop-active', namespace: ns })).spec?.selector).toEqual({ app: 'shop', 'rollouts-pod-template-hash': h1 });

    // A new image: the preview ReplicaSet comes up, then the rollout pauses for promotion.
    await custom.patchNamespacedCustomObject(
      { ...ROLLOUTS, namespace: ns, name: 'shop', body: { spec: { template: { spec: { containers: [{ name: 'shop', image: 'shop:2' }] } } } } },
      MERGE,
    );
    kube.tick(3);
    r = await get();
    const h2 = r.status.currentPodHash as string;
    expect(h2).not.toBe(h1);
    expect(r.status).toMatchObject({
      phase: 'Paused', stableRS: h1, currentPodHash: h2,
      pauseConditions: [{ reason: 'BlueGreenPause', startTime: expect.any(String) }],
      blueGreen: { activeSelector: h1, previewSelector: h2 },
    });
    const rsList = await apps.listNamespacedReplicaSet({ namespace: ns, labelSelector: 'app=shop' });
    expect(rsList.items.map((x) => x.metadata?.labels?.['rollouts-pod-template-hash']).sort()).toEqual([h1, h2].sort());
    expect(rsList.items.find((x) => x.metadata?.labels?.['rollouts-pod-template-hash'] === h2)?.metadata?.annotations?.['rollout.argoproj.io/revision']).toBe('2');
    expect((await core.readNamespacedService({ name: 'shop-preview', namespace: ns })).spec?.selector?.['rollouts-pod-template-hash']).toBe(h2);

    // Promote, as `kubectl argo rollouts promote` does.
    await custom.patchNamespacedCustomObjectStatus({ ...ROLLOUTS, namespace: ns, name: 'shop', body: { status: { pauseConditions: null } } }, MERGE);
    await custom.patchNamespacedCustomObject({ ...ROLLOUTS, namespace: ns, name: 'shop', body: { spec: { paused: false } } }, MERGE);
    expect(kube.requests.map((q) => `${q.method} ${q.path}`).slice(-2)).toEqual([
      `PATCH /apis/argoproj.io/v1alpha1/namespaces/${ns}/rollouts/shop/status`,
      `PATCH /apis/argoproj.io/v1alpha1/namespaces/${ns}/rollouts/shop`,
    ]);
    kube.tick();
    r = await get();
    expect(r.status).toMatchObject({ phase: 'Healthy', stableRS: h2, blueGreen: { activeSelector: h2 } });
    expect(r.status.pauseConditions).toBeUndefined();
    expect(kube.object('ReplicaSet', ns, `shop-${h1}`)?.spec.replicas).toBe(0);
    expect((await core.readNamespacedService({ name: 'shop-active', namespace: ns })).spec?.selector?.['rollouts-pod-template-hash']).toBe(h2);
    kube.tick();
    expect(kube.object('ReplicaSet', ns, `shop-${h1}`)).toBeUndefined(); // removed a tick later

    // Another update, aborted while paused: active stays on the stable hash.
    await custom.patchNamespacedCustomObject(
      { ...ROLLOUTS, namespace: ns, name: 'shop', body: { spec: { template: { spec: { containers: [{ name: 'shop', image: 'shop:3' }] } } } } },
      MERGE,
    );
    kube.tick(3);
    r = await get();
    const h3 = r.status.currentPodHash as string;
    expect(r.status).toMatchObject({ phase: 'Paused', blueGreen: { activeSelector: h2, previewSelector: h3 } });
    await custom.patchNamespacedCustomObjectStatus({ ...ROLLOUTS, namespace: ns, name: 'shop', body: { status: { abort: true } } }, MERGE);
    kube.tick();
    r = await get();
    expect(r.status).toMatchObject({ phase: 'Degraded', abort: true, stableRS: h2, blueGreen: { activeSelector: h2 } });
    expect(r.status.message).toContain('RolloutAborted');
    expect(kube.object('ReplicaSet', ns, `shop-${h3}`)?.spec.replicas).toBe(0);

    // Undo, as the adapter does it: PUT the stable ReplicaSet's (API-defaulted) template without the hash label.
    const stableRs = await apps.readNamespacedReplicaSet({ name: `shop-${h2}`, namespace: ns });
    expect(stableRs.spec?.template?.spec?.containers[0]?.imagePullPolicy).toBe('IfNotPresent'); // defaulted, unlike the Rollout's
    const { 'rollouts-pod-template-hash': _hash, ...labels } = stableRs.spec!.template!.metadata!.labels!;
    const fresh = await get();
    await custom.replaceNamespacedCustomObject({
      ...ROLLOUTS, namespace: ns, name: 'shop',
      body: { ...fresh, spec: { ...fresh.spec, template: { ...stableRs.spec!.template, metadata: { labels } } } },
    });
    kube.tick();
    r = await get();
    expect(r.status).toMatchObject({ phase: 'Healthy', stableRS: h2, currentPodHash: h2, blueGreen: { activeSelector: h2 } });
    expect(r.status.abort).toBeUndefined();
    kube.tick();
    expect(kube.object('ReplicaSet', ns, `shop-${h3}`)).toBeUndefined();

    // Custom resources need a resourceVersion on PUT; a stale one conflicts.
    const full = await get();
    expect((await failure(custom.replaceNamespacedCustomObject({ ...ROLLOUTS, namespace: ns, name: 'shop', body: { ...full, metadata: { ...full.metadata, resourceVersion: '1' } } }))).code).toBe(409);
    expect((await failure(custom.patchNamespacedCustomObject({ ...ROLLOUTS, namespace: ns, name: 'shop', body: {} }, STRATEGIC))).code).toBe(415);
  });

  it('degrades a Rollout whose image never becomes ready', async () => {
    const ns = 'bg2';
    await custom.createNamespacedCustomObject({ ...ROLLOUTS, namespace: ns, body: rollout('cart', 'cart:1') });
    kube.tick(3);
    await custom.patchNamespacedCustomObject(
      { ...ROLLOUTS, namespace: ns, name: 'cart', body: { spec: { template: { spec: { containers: [{ name: 'cart', image: 'cart:2-broken' }] } } } } },
      MERGE,
    );
    kube.tick(3);
    let r = (await custom.getNamespacedCustomObject({ ...ROLLOUTS, namespace: ns, name: 'cart' })) as { status: { phase: string; message?: string } };
    expect(r.status.phase).toBe('Progressing');
    kube.tick(3);
    r = (await custom.getNamespacedCustomObject({ ...ROLLOUTS, namespace: ns, name: 'cart' })) as { status: { phase: string; message?: string } };
    expect(r.status).toMatchObject({ phase: 'Degraded', message: expect.stringContaining('ProgressDeadlineExceeded') });
    const list = (await custom.listNamespacedCustomObject({ ...ROLLOUTS, namespace: ns })) as { items: { kind: string }[] };
    expect(list.items.map((i) => i.kind)).toEqual(['Rollout']);
  });
});

describe('fake kube API server on its own timer', () => {
  it('rolls a Deployment out without tick() calls', async () => {
    const kube = await startFakeKube({ tickMs: 5 });
    try {
      const apps = kube.kubeConfig().makeApiClient(AppsV1Api);
      await apps.createNamespacedDeployment({ namespace: 'default', body: deployment('timer', 'timer:1', 2) });
      const deadline = Date.now() + 5_000;
      let d = await apps.readNamespacedDeployment({ name: 'timer', namespace: 'default' });
      while (condition(d, 'Progressing')?.reason !== 'NewReplicaSetAvailable' && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 10));
        d = await apps.readNamespacedDeployment({ name: 'timer', namespace: 'default' });
      }
      expect(d.status).toMatchObject({ availableReplicas: 2, updatedReplicas: 2 });
      expect(kube.lastTickError).toBeUndefined();
    } finally {
      await kube.close();
    }
  });
});
