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
import { type FakeKube, SCALE_DOWN_DEADLINE, loadManifests, projectRbacFiles, startFakeKube } from '../support/fake-kube.js';

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

/** RFC 3339 to the second, as the cluster writes times. */
const stamp = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

const condition = (d: { status?: { conditions?: { type: string }[] } }, type: string) =>
  d.status?.conditions?.find((c) => c.type === type) as { type: string; status: string; reason?: string; message?: string } | undefined;

describe('fake kube API server with the real client (tick-driven)', () => {
  let kube: FakeKube;
  let apps: AppsV1Api;
  let core: CoreV1Api;
  let custom: CustomObjectsApi;
  const namespace = 'team-a';

  let now = Date.parse('2030-01-01T00:00:00Z');

  beforeAll(async () => {
    kube = await startFakeKube({ tickMs: 0, clock: () => now });
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

  it('refuses a replace without a resourceVersion (422) or with a stale one (409), before any injected conflict', async () => {
    kube.tick(); // the controllers react to the writes above now, not inside this test's read-modify-writes
    const fresh = await apps.readNamespacedDeployment({ name: 'web', namespace });
    const stale = structuredClone(fresh);
    const unversioned = structuredClone(fresh);
    delete unversioned.metadata!.resourceVersion;
    kube.injectConflicts('Deployment', 'web', 1);
    expect(await failure(apps.replaceNamespacedDeployment({ name: 'web', namespace, body: unversioned }))).toEqual({
      code: 422,
      status: expect.objectContaining({
        kind: 'Status', reason: 'Invalid', code: 422,
        message: 'Deployment.apps "web" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update',
      }),
    });
    // The injected conflict was not spent on the refused write: it meets the next one that has a version.
    fresh.spec!.replicas = 4;
    expect((await failure(apps.replaceNamespacedDeployment({ name: 'web', namespace, body: fresh }))).status.reason).toBe('Conflict');
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

    // A merge patch needs no resourceVersion; one carrying a stale one is a precondition, as on PUT.
    expect((await failure(apps.patchNamespacedDeployment(
      { name: 'web', namespace, body: { metadata: { resourceVersion: stale.metadata?.resourceVersion }, spec: { replicas: 6 } } }, MERGE,
    ))).code).toBe(409);
    expect((await apps.patchNamespacedDeployment({ name: 'web', namespace, body: { spec: { replicas: 3 } } }, MERGE)).spec?.replicas).toBe(3);

    // Services too.
    await core.createNamespacedService({ namespace, body: service('versioned', { 'app.kubernetes.io/name': 'web' }) });
    expect((await failure(core.replaceNamespacedService({ name: 'versioned', namespace, body: service('versioned', {}) }))).status).toMatchObject({
      reason: 'Invalid', message: 'Service "versioned" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update',
    });
    await core.deleteNamespacedService({ name: 'versioned', namespace });

    // Invalid: the selector must match the template labels; the selector is immutable.
    const bad = deployment('bad', 'x:1');
    bad.spec!.template.metadata!.labels = { other: 'x' };
    const inv = await failure(apps.createNamespacedDeployment({ namespace, body: bad }));
    expect(inv).toMatchObject({ code: 422, status: { reason: 'Invalid' } });
    expect(inv.status.message).toContain('Deployment.apps "bad" is invalid: spec.template.metadata.labels');
  });

  it("writes status between a client's read and its write: a read-modify-write meets a natural 409", async () => {
    kube.tick();
    // Someone scales the Deployment; its controller reacts (status about the new generation) right
    // after the next read, as a watch event can land between a client's GET and its PUT.
    await apps.patchNamespacedDeployment({ name: 'web', namespace, body: { spec: { replicas: 4 } } }, MERGE);
    const read = await apps.readNamespacedDeployment({ name: 'web', namespace });
    expect(read.status?.observedGeneration).toBeLessThan(read.metadata!.generation!);
    const stored = kube.object('Deployment', namespace, 'web')!;
    expect(stored.status.observedGeneration).toBe(read.metadata!.generation);
    expect(stored.metadata.resourceVersion).not.toBe(read.metadata!.resourceVersion);

    read.metadata!.annotations = { ...read.metadata!.annotations, 'example.com/owner': 'team-a' };
    expect(await failure(apps.replaceNamespacedDeployment({ name: 'web', namespace, body: read }))).toMatchObject({
      code: 409,
      status: {
        reason: 'Conflict',
        message: 'Operation cannot be fulfilled on deployments.apps "web": the object has been modified; please apply your changes to the latest version and try again',
      },
    });
    // Read again, write again: nothing else is pending, so it goes through.
    const again = await apps.readNamespacedDeployment({ name: 'web', namespace });
    again.metadata!.annotations = { ...again.metadata!.annotations, 'example.com/owner': 'team-a' };
    expect((await apps.replaceNamespacedDeployment({ name: 'web', namespace, body: again })).metadata?.annotations?.['example.com/owner']).toBe('team-a');
    expect(kube.requests.filter((r) => r.method === 'PUT').map((r) => r.status)).toEqual([409, 200]);
  });

  it('honours progressDeadlineSeconds on its clock: a -broken image is ProgressDeadlineExceeded once it has passed, not before', async () => {
    await apps.patchNamespacedDeployment(
      {
        name: 'web', namespace,
        body: { spec: { progressDeadlineSeconds: 30, template: { spec: { containers: [{ name: 'web', image: 'registry.local/web:2.0.0-broken' }] } } } },
      },
      STRATEGIC,
    );
    kube.tick(50); // ticks are not time: without the clock moving, no deadline passes
    let d = await apps.readNamespacedDeployment({ name: 'web', namespace });
    expect(d.status?.updatedReplicas).toBeGreaterThan(0);
    expect(d.status?.availableReplicas).toBe(d.spec?.replicas); // the old pods keep serving
    expect(condition(d, 'Progressing')).toMatchObject({ status: 'True', reason: 'ReplicaSetUpdated' });
    now += 30_000;
    kube.tick();
    d = await apps.readNamespacedDeployment({ name: 'web', namespace });
    expect(condition(d, 'Progressing')).toMatchObject({ status: 'True' });
    now += 1000;
    kube.tick();
    d = await apps.readNamespacedDeployment({ name: 'web', namespace });
    expect(condition(d, 'Progressing')).toMatchObject({
      status: 'False', reason: 'ProgressDeadlineExceeded', message: expect.stringContaining('has timed out progressing'),
    });
    expect(condition(d, 'Available')?.status).toBe('True');
  });

  it('shows ImagePullBackOff and CrashLoopBackOff on the pods only; the Deployment waits for its deadline (600 s by default)', async () => {
    await apps.createNamespacedDeployment({ namespace, body: deployment('puller', 'registry.local/pullfail:1') });
    await apps.createNamespacedDeployment({ namespace, body: deployment('crasher', 'registry.local/crasher:1-crash') });
    kube.tick();
    let pods = await core.listNamespacedPod({ namespace, labelSelector: 'app.kubernetes.io/name=puller' });
    expect(pods.items[0]?.status?.containerStatuses?.[0]?.state?.waiting?.reason).toBe('ErrImagePull');
    kube.tick(5);
    pods = await core.listNamespacedPod({ namespace, labelSelector: 'app.kubernetes.io/name=puller' });
    expect(pods.items[0]?.status?.containerStatuses?.[0]?.state?.waiting).toEqual({
      reason: 'ImagePullBackOff', message: 'Back-off pulling image "registry.local/pullfail:1"',
    });
    const crashPods = await core.listNamespacedPod({ namespace, labelSelector: 'app.kubernetes.io/name=crasher' });
    expect(crashPods.items[0]?.status?.containerStatuses?.[0]?.state?.waiting?.reason).toBe('CrashLoopBackOff');
    for (const name of ['puller', 'crasher']) {
      const d = await apps.readNamespacedDeployment({ name, namespace });
      expect(d.spec?.progressDeadlineSeconds).toBe(600); // defaulted by the API
      expect(condition(d, 'ReplicaFailure')).toBeUndefined();
      expect(JSON.stringify(d.status)).not.toMatch(/ImagePull|CrashLoop|ErrImage/);
      expect(condition(d, 'Progressing')).toMatchObject({ status: 'True', reason: 'ReplicaSetUpdated' });
    }
    now += 600_000;
    kube.tick();
    expect(condition(await apps.readNamespacedDeployment({ name: 'puller', namespace }), 'Progressing')?.status).toBe('True');
    now += 1000;
    kube.tick();
    for (const name of ['puller', 'crasher']) {
      expect(condition(await apps.readNamespacedDeployment({ name, namespace }), 'Progressing')).toMatchObject({ status: 'False', reason: 'ProgressDeadlineExceeded' });
    }
  });

  it('quota on pods: the Deployment is created, its ReplicaSet cannot create pods (FailedCreate) and the Deployment copies that', async () => {
    kube.setQuotaExceeded('tight', true);
    await apps.createNamespacedDeployment({ namespace: 'tight', body: deployment('web', 'x:1', 2) });
    kube.tick(2);
    const rs = (await apps.listNamespacedReplicaSet({ namespace: 'tight' })).items[0]!;
    expect(rs.status?.replicas ?? 0).toBe(0);
    const failed = rs.status?.conditions?.find((c) => c.type === 'ReplicaFailure');
    expect(failed).toMatchObject({ status: 'True', reason: 'FailedCreate' });
    expect(failed?.message).toMatch(new RegExp(`^pods "${rs.metadata!.name}-\\w{5}" is forbidden: exceeded quota: compute-resources, requested: pods=1, used: pods=10, limited: pods=10$`));
    expect((await core.listNamespacedPod({ namespace: 'tight' })).items).toEqual([]);
    let d = await apps.readNamespacedDeployment({ name: 'web', namespace: 'tight' });
    expect(condition(d, 'ReplicaFailure')).toMatchObject({ status: 'True', reason: 'FailedCreate', message: failed?.message });

    kube.setQuotaExceeded('tight', false);
    kube.tick(3);
    d = await apps.readNamespacedDeployment({ name: 'web', namespace: 'tight' });
    expect(d.status).toMatchObject({ availableReplicas: 2 });
    expect(condition(d, 'ReplicaFailure')).toBeUndefined();

    // A quota on the object count refuses the create itself.
    kube.setQuotaExceeded('tight', true, 'object-counts', 'count/deployments.apps');
    expect(await failure(apps.createNamespacedDeployment({ namespace: 'tight', body: deployment('api', 'x:1') }))).toMatchObject({
      code: 403,
      status: {
        reason: 'Forbidden',
        message: 'deployments.apps "api" is forbidden: exceeded quota: object-counts, requested: count/deployments.apps=1, used: count/deployments.apps=10, limited: count/deployments.apps=10',
      },
    });
    kube.setQuotaExceeded('tight', false);
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
    expect((await core.readNamespacedService({ name: 'shop-active', namespace: ns })).spec?.selector?.['rollouts-pod-template-hash']).toBe(h2);
    // The old version stays up for scaleDownDelaySeconds (30 s by default), then is scaled down and
    // kept, at zero, as revision history.
    const rsOf = (h: string) => kube.object('ReplicaSet', ns, `shop-${h}`)!;
    expect(rsOf(h1).spec.replicas).toBe(2);
    expect(rsOf(h1).metadata.annotations?.[SCALE_DOWN_DEADLINE]).toBe(stamp(now + 30_000));
    kube.tick(20);
    expect(rsOf(h1).spec.replicas).toBe(2);
    now += 30_000;
    kube.tick();
    expect(rsOf(h1).spec.replicas).toBe(0);
    expect(rsOf(h1).metadata.annotations).toMatchObject({ 'rollout.argoproj.io/revision': '1' });
    expect(rsOf(h1).metadata.annotations?.[SCALE_DOWN_DEADLINE]).toBeUndefined();

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
    // The aborted preview keeps its pods for abortScaleDownDelaySeconds (30 s by default).
    expect(rsOf(h3).spec.replicas).toBe(2);
    expect(rsOf(h3).metadata.annotations?.[SCALE_DOWN_DEADLINE]).toBe(stamp(now + 30_000));

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
    expect(rsOf(h3).spec.replicas).toBe(2);
    now += 30_000;
    kube.tick();
    expect(rsOf(h3).spec.replicas).toBe(0);
    const history = (await apps.listNamespacedReplicaSet({ namespace: ns, labelSelector: 'app=shop' })).items;
    expect(history.map((x) => [x.metadata?.labels?.['rollouts-pod-template-hash'], x.spec?.replicas]).sort()).toEqual(
      [[h1, 0], [h2, 2], [h3, 0]].sort(),
    );

    // Custom resources need a resourceVersion on PUT; a stale one conflicts.
    const full = await get();
    expect((await failure(custom.replaceNamespacedCustomObject({ ...ROLLOUTS, namespace: ns, name: 'shop', body: { ...full, metadata: { ...full.metadata, resourceVersion: '1' } } }))).code).toBe(409);
    expect((await failure(custom.patchNamespacedCustomObject({ ...ROLLOUTS, namespace: ns, name: 'shop', body: {} }, STRATEGIC))).code).toBe(415);
    expect((await failure(custom.replaceNamespacedCustomObject({
      ...ROLLOUTS, namespace: ns, name: 'shop', body: { ...full, metadata: { ...full.metadata, resourceVersion: undefined } },
    }))).code).toBe(422);
  });

  it('keeps at most revisionHistoryLimit old Argo ReplicaSets', async () => {
    const ns = 'bg3';
    const body = rollout('hist', 'hist:1', 1);
    Object.assign(body.spec, { revisionHistoryLimit: 1 });
    Object.assign(body.spec.strategy.blueGreen, { scaleDownDelaySeconds: 0 });
    await custom.createNamespacedCustomObject({ ...ROLLOUTS, namespace: ns, body });
    kube.tick(3);
    for (const v of [2, 3, 4]) {
      await custom.patchNamespacedCustomObject(
        { ...ROLLOUTS, namespace: ns, name: 'hist', body: { spec: { template: { spec: { containers: [{ name: 'hist', image: `hist:${v}` }] } } } } },
        MERGE,
      );
      kube.tick(3);
      await custom.patchNamespacedCustomObjectStatus({ ...ROLLOUTS, namespace: ns, name: 'hist', body: { status: { pauseConditions: null } } }, MERGE);
      kube.tick(2);
    }
    const images = kube.objects('ReplicaSet', ns).map((x) => [x.spec.template.spec.containers[0].image, x.spec.replicas]).sort();
    expect(images).toEqual([['hist:3', 0], ['hist:4', 1]]); // scaleDownDelaySeconds 0: at once
  });

  it('degrades a Rollout whose image never becomes ready once progressDeadlineSeconds (600 s by default) pass', async () => {
    const ns = 'bg2';
    await custom.createNamespacedCustomObject({ ...ROLLOUTS, namespace: ns, body: rollout('cart', 'cart:1') });
    kube.tick(3);
    await custom.patchNamespacedCustomObject(
      { ...ROLLOUTS, namespace: ns, name: 'cart', body: { spec: { template: { spec: { containers: [{ name: 'cart', image: 'cart:2-broken' }] } } } } },
      MERGE,
    );
    kube.tick(30);
    let r = (await custom.getNamespacedCustomObject({ ...ROLLOUTS, namespace: ns, name: 'cart' })) as { status: { phase: string; message?: string } };
    expect(r.status.phase).toBe('Progressing');
    now += 601_000;
    kube.tick();
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

describe('fake kube API server with RBAC from manifests/kubernetes/rbac-*.yaml', () => {
  let kube: FakeKube;
  const sa = 'system:serviceaccount:switchyard:switchyard';
  beforeAll(async () => {
    // team-x: a namespace given the staging Role and RoleBinding, as the README says to add an environment.
    kube = await startFakeKube({ tickMs: 0, rbac: { namespaces: ['team-x'] } });
  });
  afterAll(() => kube.close());

  it('lets the ServiceAccount do what the Role grants, in the managed namespaces only', async () => {
    expect(kube.serviceAccount).toBe(sa);
    const kc = kube.kubeConfig();
    const apps = kc.makeApiClient(AppsV1Api);
    const core = kc.makeApiClient(CoreV1Api);
    const custom = kc.makeApiClient(CustomObjectsApi);
    for (const namespace of ['staging', 'production', 'team-x']) {
      await apps.createNamespacedDeployment({ namespace, body: deployment('web', 'registry.local/web:1') });
      await core.listNamespacedPod({ namespace });
      await apps.listNamespacedReplicaSet({ namespace });
    }
    await custom.createNamespacedCustomObject({ ...ROLLOUTS, namespace: 'staging', body: rollout('shop', 'shop:1') });
    await custom.patchNamespacedCustomObjectStatus({ ...ROLLOUTS, namespace: 'staging', name: 'shop', body: { status: { abort: true } } }, MERGE);
    expect(new Set(kube.requests.map((r) => r.user))).toEqual(new Set([sa]));
    expect(kube.requests.every((r) => r.status! < 300)).toBe(true);
  });

  it('answers what the Role does not grant with 403 Forbidden, worded as kube-apiserver words it', async () => {
    const kc = kube.kubeConfig();
    const apps = kc.makeApiClient(AppsV1Api);
    const core = kc.makeApiClient(CoreV1Api);
    const custom = kc.makeApiClient(CustomObjectsApi);
    const who = `User "${sa}"`;
    expect(await failure(apps.createNamespacedDeployment({ namespace: 'elsewhere', body: deployment('web', 'x:1') }))).toMatchObject({
      code: 403,
      status: { kind: 'Status', reason: 'Forbidden', message: `deployments.apps is forbidden: ${who} cannot create resource "deployments" in API group "apps" in the namespace "elsewhere"` },
    });
    expect((await failure(apps.readNamespacedDeployment({ name: 'web', namespace: 'elsewhere' }))).status.message).toBe(
      `deployments.apps "web" is forbidden: ${who} cannot get resource "deployments" in API group "apps" in the namespace "elsewhere"`,
    );
    // ReplicaSets and pods are read-only; rollouts/status may be patched, not replaced.
    kube.tick();
    const rs = (await apps.listNamespacedReplicaSet({ namespace: 'staging' })).items[0]!;
    expect((await failure(apps.deleteNamespacedReplicaSet({ name: rs.metadata!.name!, namespace: 'staging' }))).code).toBe(403);
    expect((await failure(core.deleteNamespacedPod({ name: 'any', namespace: 'staging' }))).status.message).toBe(
      `pods "any" is forbidden: ${who} cannot delete resource "pods" in API group "" in the namespace "staging"`,
    );
    const shop = await custom.getNamespacedCustomObject({ ...ROLLOUTS, namespace: 'staging', name: 'shop' });
    expect((await failure(custom.replaceNamespacedCustomObjectStatus({ ...ROLLOUTS, namespace: 'staging', name: 'shop', body: shop }))).status.message).toBe(
      `rollouts.argoproj.io "shop" is forbidden: ${who} cannot update resource "rollouts/status" in API group "argoproj.io" in the namespace "staging"`,
    );
    // Nothing cluster-wide: namespaces, lists across namespaces.
    expect((await failure(core.readNamespace({ name: 'staging' }))).status.message).toBe(
      `namespaces "staging" is forbidden: ${who} cannot get resource "namespaces" in API group "" in the namespace "staging"`,
    );
    expect((await failure(apps.listDeploymentForAllNamespaces())).status.message).toBe(
      `deployments.apps is forbidden: ${who} cannot list resource "deployments" in API group "apps" at the cluster scope`,
    );
    // The administrator may; a token nobody issued may not even ask.
    const admin = kube.kubeConfig('default', 'admin');
    expect((await admin.makeApiClient(AppsV1Api).listDeploymentForAllNamespaces()).items).toHaveLength(3);
    const stranger = kube.kubeConfig();
    stranger.users[0] = { ...stranger.users[0]!, token: 'forged' };
    await expect(stranger.makeApiClient(AppsV1Api).listNamespacedDeployment({ namespace: 'staging' })).rejects.toMatchObject({ code: 401 });
  });

  it('enforces the Role as written: without its pods rule, listing pods is 403', async () => {
    const objects = loadManifests(projectRbacFiles()).map((o) =>
      o.kind === 'Role' && o.metadata.namespace === 'staging'
        ? { ...o, rules: (o.rules as { resources: string[] }[]).filter((r) => !r.resources.includes('pods')) }
        : o);
    const strict = await startFakeKube({ tickMs: 0, rbac: { objects } });
    try {
      const core = strict.kubeConfig().makeApiClient(CoreV1Api);
      expect((await failure(core.listNamespacedPod({ namespace: 'staging' }))).status.message).toBe(
        `pods is forbidden: User "${sa}" cannot list resource "pods" in API group "" in the namespace "staging"`,
      );
      expect((await core.listNamespacedPod({ namespace: 'production' })).items).toEqual([]);
    } finally {
      await strict.close();
    }
  });
});
