/**
 * PLATFORM=kubernetes, blue-green, both engines, through the real client-node against the fake
 * API server. The adapter's injected sleep ticks the fake's controllers and moves the clock their
 * deadlines run on; the adapter speaks as the bot's ServiceAccount under the project's Role.
 */
import { AppsV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { KubernetesPlatform } from '../../src/platform/kubernetes/kubernetes-platform.js';
import { Policy } from '../../src/policy/policy.js';
import { SCALE_DOWN_DEADLINE, copyToNamespace, loadManifests, projectRbacFiles, startFakeKube, type FakeKube } from '../support/fake-kube.js';

let kube: FakeKube;
let p: KubernetesPlatform;
let now = Date.parse('2030-01-01T00:00:00Z');
beforeAll(async () => {
  // bgx: a namespace whose Role lacks the pods rule.
  const base = loadManifests(projectRbacFiles());
  const objects = [...base, ...copyToNamespace(base, 'staging', 'bgx', 'pods')];
  kube = await startFakeKube({ tickMs: 0, clock: () => now, rbac: { objects, namespaces: ['bgn', 'bga'] } });
  p = new KubernetesPlatform({
    kubeConfig: kube.kubeConfig(),
    policy: new Policy({
      environments: {
        native: { namespace: 'bgn' }, argo: { namespace: 'bga', bluegreen: 'argo-rollouts' }, 'argo-nopods': { namespace: 'bgx', bluegreen: 'argo-rollouts' },
      },
    }),
    // As the bot runs by default; simulated time, so a 10 s poll brings the 600 s deadline in 60 polls.
    rolloutTimeoutMs: loadConfig({ SLACK_BOT_TOKEN: 'xoxb-test', ROLE: 'worker' }).K8S_ROLLOUT_TIMEOUT_MS,
    pollMs: 10_000,
    clock: () => new Date(now),
    sleep: async (ms) => {
      now += ms;
      kube.tick();
    },
  });
});
afterAll(() => kube.close());
beforeEach(() => {
  kube.requests.length = 0;
});

const writes = () => kube.requests.filter((r) => r.method !== 'GET');
const at = (env: string, workload: string) => ({ env, workload });

describe('kubernetes platform: native blue-green', () => {
  const shop = at('native', 'shop');

  it('brings up the first version, then sends the traffic to it', async () => {
    expect(await p.bgInspect('native', 'shop')).toBeUndefined();
    expect(await p.bgDeploySlot({ opId: 'j1-1-deploy', ...shop, slot: 'blue', image: 'registry/shop:1', replicas: 2 })).toEqual({ ok: true });
    const blue = kube.object('Deployment', 'bgn', 'shop-blue')!;
    expect(blue.metadata.labels).toMatchObject({ 'switchyard.io/slot': 'blue', 'app.kubernetes.io/name': 'shop' });
    expect(kube.object('Service', 'bgn', 'shop')).toBeUndefined(); // nothing points at it before the switch
    await p.bgSwitch({ ...shop, slot: 'blue' });
    expect(kube.object('Service', 'bgn', 'shop')!.spec.selector).toEqual({ 'app.kubernetes.io/name': 'shop', 'switchyard.io/slot': 'blue' });
    expect(await p.bgInspect('native', 'shop')).toMatchObject({ serving: 'blue', slots: { blue: { image: 'registry/shop:1', replicas: 2, ready: true } } });
    // Batch listing leaves blue-green slots out.
    expect(await p.list('native')).toEqual([]);
  });

  it('deploys the idle slot, answers a repeat without writing, and refuses the serving slot', async () => {
    const req = { opId: 'j1-2-deploy', ...shop, slot: 'green' as const, image: 'registry/shop:2', replicas: 2 };
    expect(await p.bgDeploySlot(req)).toEqual({ ok: true });
    kube.requests.length = 0;
    expect(await p.bgDeploySlot(req)).toEqual({ ok: true });
    expect(writes()).toEqual([]);
    expect(await p.bgDeploySlot({ ...req, opId: 'other', slot: 'blue' })).toEqual({ ok: false, error: 'slot blue of shop receives traffic; deploy to the idle slot' });
    expect(await p.bgInspect('native', 'shop')).toMatchObject({ serving: 'blue', slots: { blue: { ready: true }, green: { image: 'registry/shop:2', ready: true } } });
  });

  it('switches with one patch of the Service selector (again after a 409), and a repeat changes nothing', async () => {
    kube.injectConflicts('Service', 'shop', 1, 'bgn');
    await p.bgSwitch({ ...shop, slot: 'green' });
    const patch = { method: 'PATCH', path: '/api/v1/namespaces/bgn/services/shop', contentType: 'application/merge-patch+json', body: { spec: { selector: { 'switchyard.io/slot': 'green' } } } };
    expect(writes()).toMatchObject([patch, patch]);
    kube.requests.length = 0;
    await p.bgSwitch({ ...shop, slot: 'green' });
    expect(writes()).toEqual([]);
    expect((await p.bgInspect('native', 'shop'))!.serving).toBe('green');
  });

  it('deletes the old slot (scaled to zero first), refuses the serving one, and a repeat is fine', async () => {
    await expect(p.bgDeleteSlot({ ...shop, slot: 'green' })).rejects.toThrow('slot green of shop receives traffic');
    await p.bgDeleteSlot({ ...shop, slot: 'blue' });
    expect(writes().map((r) => `${r.method} ${r.path.split('/').pop()}`)).toEqual(['PATCH shop-blue', 'DELETE shop-blue']);
    expect(kube.object('Deployment', 'bgn', 'shop-blue')).toBeUndefined();
    await p.bgDeleteSlot({ ...shop, slot: 'blue' });
    expect(Object.keys((await p.bgInspect('native', 'shop'))!.slots)).toEqual(['green']);
  });

  it('reports a slot that never becomes ready, and refuses to switch to it', async () => {
    const out = await p.bgDeploySlot({ opId: 'j1-3-deploy', ...shop, slot: 'blue', image: 'registry/shop:3-crash', replicas: 1 });
    expect(out).toEqual({ ok: false, error: 'shop keeps crashing (CrashLoopBackOff)' });
    await expect(p.bgSwitch({ ...shop, slot: 'blue' })).rejects.toThrow('slot blue of shop is not ready');
    kube.requests.length = 0;
    expect(await p.bgDeploySlot({ opId: 'j1-3-deploy', ...shop, slot: 'blue', image: 'registry/shop:3-crash', replicas: 1 })).toEqual(out);
    expect(writes()).toEqual([]);
    await p.bgDeleteSlot({ ...shop, slot: 'blue' });
    expect((await p.bgInspect('native', 'shop'))!).toMatchObject({ serving: 'green', slots: { green: { image: 'registry/shop:2' } } });
    await expect(p.bgSwitch({ ...shop, slot: 'blue' })).rejects.toThrow('slot blue of shop does not exist');
  });
});

describe('kubernetes platform: Argo Rollouts blue-green', () => {
  const api = at('argo', 'api');
  const rollout = () => kube.object('Rollout', 'bga', 'api')!;
  const slotOfHash = (hash: string) =>
    kube.objects('ReplicaSet', 'bga').find((rs) => rs.metadata.labels?.['rollouts-pod-template-hash'] === hash)?.spec.template.metadata.labels['switchyard.io/slot'];

  it('creates the Rollout and its Services; the first version is Healthy and serves', async () => {
    expect(await p.bgDeploySlot({ opId: 'a1-1-deploy', ...api, slot: 'blue', image: 'registry/api:1', replicas: 2 })).toEqual({ ok: true });
    const r = rollout();
    expect(r.spec.strategy.blueGreen).toEqual({ activeService: 'api', previewService: 'api-preview', autoPromotionEnabled: false });
    expect(r.status).toMatchObject({ phase: 'Healthy' });
    expect(kube.object('Service', 'bga', 'api-preview')).toBeDefined();
    kube.requests.length = 0;
    await p.bgSwitch({ ...api, slot: 'blue' }); // the worker's switch after a first version: already there
    expect(writes()).toEqual([]);
    expect(await p.bgInspect('argo', 'api')).toMatchObject({ serving: 'blue', slots: { blue: { image: 'registry/api:1', replicas: 2, ready: true } } });
  });

  it('updates to Paused beside the stable version, then promotes to Healthy', async () => {
    const req = { opId: 'a1-2-deploy', ...api, slot: 'green' as const, image: 'registry/api:2', replicas: 2 };
    expect(await p.bgDeploySlot(req)).toEqual({ ok: true });
    expect(rollout().status).toMatchObject({ phase: 'Paused', pauseConditions: [{ reason: 'BlueGreenPause' }] });
    expect(slotOfHash(rollout().status.currentPodHash)).toBe('green');
    expect(await p.bgInspect('argo', 'api')).toMatchObject({ serving: 'blue', slots: { blue: { ready: true }, green: { image: 'registry/api:2', ready: true } } });
    kube.requests.length = 0;
    expect(await p.bgDeploySlot(req)).toEqual({ ok: true });
    expect(writes()).toEqual([]);

    await p.bgSwitch({ ...api, slot: 'green' });
    expect(writes().slice(0, 2)).toMatchObject([
      { method: 'PATCH', path: '/apis/argoproj.io/v1alpha1/namespaces/bga/rollouts/api/status', contentType: 'application/merge-patch+json', body: { status: { pauseConditions: null } } },
      { method: 'PATCH', path: '/apis/argoproj.io/v1alpha1/namespaces/bga/rollouts/api', contentType: 'application/merge-patch+json', body: { spec: { paused: false } } },
    ]);
    const s = rollout().status;
    expect(s).toMatchObject({ phase: 'Healthy', stableRS: s.currentPodHash });
    expect(kube.object('Service', 'bga', 'api')!.spec.selector['rollouts-pod-template-hash']).toBe(s.stableRS);
    kube.requests.length = 0;
    await p.bgSwitch({ ...api, slot: 'green' });
    await p.bgDeleteSlot({ ...api, slot: 'blue' }); // Argo scales the old ReplicaSet down itself
    expect(writes()).toEqual([]);
    // …after scaleDownDelaySeconds (30 s), keeping it at zero as history.
    const old = () => kube.objects('ReplicaSet', 'bga').find((rs) => rs.spec.template.spec.containers[0].image === 'registry/api:1')!;
    expect(old().spec.replicas).toBe(2);
    expect(old().metadata.annotations?.[SCALE_DOWN_DEADLINE]).toBeDefined();
    now += 30_000;
    kube.tick();
    expect(old().spec.replicas).toBe(0);
    await expect(p.bgDeleteSlot({ ...api, slot: 'green' })).rejects.toThrow('slot green of api receives traffic');
    kube.settle();
    expect(await p.bgInspect('argo', 'api')).toMatchObject({ serving: 'green', slots: { green: { image: 'registry/api:2' } } });
    expect((await p.bgInspect('argo', 'api'))!.slots.blue).toBeUndefined();
  });

  it('terminates a Paused update: abort, then undo to the stable template', async () => {
    expect(await p.bgDeploySlot({ opId: 'a1-3-deploy', ...api, slot: 'blue', image: 'registry/api:3', replicas: 2 })).toEqual({ ok: true });
    const stable = rollout().status.stableRS;
    kube.requests.length = 0;
    await p.bgDeleteSlot({ ...api, slot: 'blue' });
    // The controller's reaction to the abort (Degraded, status written) lands between the adapter's
    // read and its undo: that PUT meets a natural 409, and the re-read one goes through.
    const path = '/apis/argoproj.io/v1alpha1/namespaces/bga/rollouts/api';
    expect(writes()).toMatchObject([
      { method: 'PATCH', path: `${path}/status`, body: { status: { abort: true } }, status: 200 },
      { method: 'PUT', path, status: 409 },
      { method: 'PUT', path, status: 200 },
    ]);
    expect(rollout().spec.template.spec.containers[0].image).toBe('registry/api:2');
    expect(rollout().spec.template.metadata.labels).not.toHaveProperty('rollouts-pod-template-hash');
    kube.settle();
    expect(rollout().status).toMatchObject({ phase: 'Healthy', stableRS: stable, currentPodHash: stable });
    kube.requests.length = 0;
    await p.bgDeleteSlot({ ...api, slot: 'blue' }); // a repeat: nothing left to do
    expect(writes()).toEqual([]);
    expect(await p.bgInspect('argo', 'api')).toMatchObject({ serving: 'green', slots: { green: { image: 'registry/api:2' } } });
  });

  it('reports a Degraded update in plain words; terminating it returns to stable', async () => {
    const out = await p.bgDeploySlot({ opId: 'a1-4-deploy', ...api, slot: 'blue', image: 'registry/api:4-broken', replicas: 2 });
    expect(out).toEqual({ ok: false, error: 'api did not become available in time (ProgressDeadlineExceeded)' });
    await expect(p.bgSwitch({ ...api, slot: 'blue' })).rejects.toThrow('slot blue of api is not ready');
    await p.bgDeleteSlot({ ...api, slot: 'blue' });
    kube.settle();
    expect(rollout().status).toMatchObject({ phase: 'Healthy' });
    expect(await p.bgInspect('argo', 'api')).toMatchObject({ serving: 'green', slots: { green: { image: 'registry/api:2' } } });
  });

  it('refuses to promote an update whose image cannot be pulled, before any deadline has made it Degraded', async () => {
    const out = await p.bgDeploySlot({ opId: 'a1-4b-deploy', ...api, slot: 'blue', image: 'registry/api:4-pullfail', replicas: 2 });
    expect(out).toEqual({ ok: false, error: 'api: image registry/api:4-pullfail cannot be pulled (ImagePullBackOff)' });
    expect(rollout().status.phase).toBe('Progressing');
    kube.requests.length = 0;
    await expect(p.bgSwitch({ ...api, slot: 'blue' })).rejects.toThrow('slot blue of api is not ready');
    expect(writes()).toEqual([]);
    await p.bgDeleteSlot({ ...api, slot: 'blue' });
    kube.settle();
    expect(await p.bgInspect('argo', 'api')).toMatchObject({ serving: 'green', slots: { green: { image: 'registry/api:2' } } });
  });

  it('without the right to list pods, names the 403 in a failure it could not see coming (everything before stayed within the Role)', async () => {
    expect(kube.forbidden).toEqual([]);
    const out = await p.bgDeploySlot({ opId: 'x1-1-deploy', env: 'argo-nopods', workload: 'api', slot: 'blue', image: 'registry/api:1-pullfail', replicas: 1 });
    expect(out.ok).toBe(false);
    expect(out.ok ? '' : out.error).toMatch(
      new RegExp(`; switchyard may not list pods in namespace bgx, so it could not tell why the rollout was not ready \\(Forbidden: pods is forbidden: User "${kube.serviceAccount}" cannot list resource "pods" in API group "" in the namespace "bgx"\\); grant get and list on pods there`),
    );
    expect(new Set(kube.forbidden.map((r) => `${r.method} ${r.path}`))).toEqual(new Set(['GET /api/v1/namespaces/bgx/pods']));
  });

  it('rolls back to an older revision as a new update into the idle slot', async () => {
    expect(await p.bgDeploySlot({ opId: 'a1-5-deploy', ...api, slot: 'blue', image: 'registry/api:1', replicas: 2 })).toEqual({ ok: true });
    await p.bgSwitch({ ...api, slot: 'blue' });
    expect(await p.bgInspect('argo', 'api')).toMatchObject({ serving: 'blue', slots: { blue: { image: 'registry/api:1' } } });
  });

  it('keeps the old version up for keepOldForMs after a promote, and switches back to it as `undo` does', async () => {
    const back = at('argo', 'back');
    const r = () => kube.object('Rollout', 'bga', 'back')!;
    const rsOfImage = (image: string) => kube.objects('ReplicaSet', 'bga').find((rs) => rs.spec.template.spec.containers[0].image === image)!;
    const activeHash = () => kube.object('Service', 'bga', 'back')!.spec.selector['rollouts-pod-template-hash'];
    expect(await p.bgDeploySlot({ opId: 'b1-1-deploy', ...back, slot: 'blue', image: 'registry/back:1', replicas: 2 })).toEqual({ ok: true });
    expect(await p.bgDeploySlot({ opId: 'b1-2-deploy', ...back, slot: 'green', image: 'registry/back:2', replicas: 2 })).toEqual({ ok: true });
    const oldHash = r().status.stableRS;
    kube.requests.length = 0;
    const before = now;
    await p.bgSwitch({ ...back, slot: 'green', keepOldForMs: 90_500 });
    // The delay is raised before the promote (Argo reads it as it moves the active Service):
    // keepOldFor rounded up, plus Argo's default 30 s as the margin.
    const path = '/apis/argoproj.io/v1alpha1/namespaces/bga/rollouts/back';
    expect(writes().slice(0, 3)).toMatchObject([
      { method: 'PATCH', path, contentType: 'application/merge-patch+json', body: { spec: { strategy: { blueGreen: { scaleDownDelaySeconds: 121 } } } } },
      { method: 'PATCH', path: `${path}/status`, body: { status: { pauseConditions: null } } },
      { method: 'PATCH', path, body: { spec: { paused: false } } },
    ]);
    expect(r().spec.strategy.blueGreen).toMatchObject({ activeService: 'back', scaleDownDelaySeconds: 121 });
    expect(activeHash()).toBe(r().status.stableRS);
    const deadline = Date.parse(rsOfImage('registry/back:1').metadata.annotations?.[SCALE_DOWN_DEADLINE] ?? '');
    expect(deadline - before).toBeGreaterThanOrEqual(120_000); // 121 s from the switch (the clock moved while the adapter polled)
    expect(deadline - now).toBeLessThanOrEqual(121_000);

    // Past Argo's default 30 s, the old version is still up; the switch back is one PUT of the
    // template, fast-tracked by Argo (no pause), and the active Service is on the old pods again.
    now += 90_000;
    kube.tick();
    expect(rsOfImage('registry/back:1').spec.replicas).toBe(2);
    kube.requests.length = 0;
    await p.bgSwitch({ ...back, slot: 'blue' });
    expect(writes().map((w) => `${w.method} ${w.path}`)).toEqual([`PUT ${path}`]);
    expect(r().status).toMatchObject({ phase: 'Healthy', stableRS: oldHash, currentPodHash: oldHash });
    expect(r().status.pauseConditions).toBeUndefined();
    expect(activeHash()).toBe(oldHash);
    expect(rsOfImage('registry/back:1').metadata.annotations?.[SCALE_DOWN_DEADLINE]).toBeUndefined();
    expect(await p.bgInspect('argo', 'back')).toMatchObject({ serving: 'blue', slots: { blue: { image: 'registry/back:1', ready: true } } });
    kube.requests.length = 0;
    await p.bgSwitch({ ...back, slot: 'blue' }); // a repeat
    expect(writes()).toEqual([]);
    // The version switched away from is removed as after any promotion (Terminate: nothing to do).
    await p.bgDeleteSlot({ ...back, slot: 'green' });
    expect(writes()).toEqual([]);
    now += 121_000;
    kube.tick();
    expect(rsOfImage('registry/back:2').spec.replicas).toBe(0);
  });

  it('switching back: a shorter keepOldFor leaves a longer delay; pods already gone are refused; a paused way back is promoted', async () => {
    const back = at('argo', 'back');
    const r = () => kube.object('Rollout', 'bga', 'back')!;
    expect(await p.bgDeploySlot({ opId: 'b1-3-deploy', ...back, slot: 'green', image: 'registry/back:3', replicas: 2 })).toEqual({ ok: true });
    kube.requests.length = 0;
    await p.bgSwitch({ ...back, slot: 'green', keepOldForMs: 2000 });
    expect(writes()[0]).toMatchObject({ path: '/apis/argoproj.io/v1alpha1/namespaces/bga/rollouts/back/status' }); // 121 s already cover 2 s
    expect(r().spec.strategy.blueGreen.scaleDownDelaySeconds).toBe(121);
    now += 121_000;
    kube.tick();
    await expect(p.bgSwitch({ ...back, slot: 'blue' })).rejects.toThrow('slot blue of back is not ready (its pods were scaled down)');

    // A controller that does not fast-track the way back pauses it (here: the old ReplicaSet lost
    // its scale-down deadline while its pods are up): the switch back promotes it.
    expect(await p.bgDeploySlot({ opId: 'b1-4-deploy', ...back, slot: 'blue', image: 'registry/back:4', replicas: 2 })).toEqual({ ok: true });
    await p.bgSwitch({ ...back, slot: 'blue' });
    const old = kube.objects('ReplicaSet', 'bga').find((rs) => rs.spec.template.spec.containers[0].image === 'registry/back:3')!;
    const admin = kube.kubeConfig('bga', 'admin').makeApiClient(AppsV1Api);
    await admin.patchNamespacedReplicaSet({ name: old.metadata.name!, namespace: 'bga', body: { metadata: { annotations: { [SCALE_DOWN_DEADLINE]: null } } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    kube.requests.length = 0;
    await p.bgSwitch({ ...back, slot: 'green' });
    expect(writes().map((w) => `${w.method} ${w.path.split('/').slice(-2).join('/')}`)).toEqual(['PUT rollouts/back', 'PATCH back/status']);
    expect(await p.bgInspect('argo', 'back')).toMatchObject({ serving: 'green', slots: { green: { image: 'registry/back:3', ready: true } } });
  });

  it('removes a first version that never came up', async () => {
    const fresh = at('argo', 'fresh');
    const out = await p.bgDeploySlot({ opId: 'a2-1-deploy', ...fresh, slot: 'green', image: 'registry/fresh:1-pullfail', replicas: 1 });
    expect(out).toEqual({ ok: false, error: 'fresh: image registry/fresh:1-pullfail cannot be pulled (ImagePullBackOff)' });
    expect((await p.bgInspect('argo', 'fresh'))?.serving).toBeUndefined();
    await p.bgDeleteSlot({ ...fresh, slot: 'green' });
    expect(kube.object('Rollout', 'bga', 'fresh')).toBeUndefined();
    expect(await p.bgInspect('argo', 'fresh')).toBeUndefined();
  });
});
