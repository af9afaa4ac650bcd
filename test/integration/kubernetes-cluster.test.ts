/**
 * Opt-in, against a real cluster: KUBECONFIG=… SWITCHYARD_K8S_E2E=1 npx vitest run test/integration/kubernetes-cluster.test.ts
 * In SWITCHYARD_K8S_NAMESPACE (default switchyard-e2e; created if missing, and then deleted again):
 * - batch: deploys a tiny nginx, upgrades it, rolls it back, and checks a broken image fails in plain words;
 * - native blue-green: a first version, an update into the idle slot, the Service switch, the old
 *   slot deleted, and a broken update that leaves the traffic where it was;
 * - Argo Rollouts blue-green, where the Rollout CRD is installed (skipped otherwise): first version,
 *   update to Paused, promote, and a broken update terminated back to the stable version.
 */
import { AppsV1Api, CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubernetesPlatform } from '../../src/platform/kubernetes/kubernetes-platform.js';
import { Policy } from '../../src/policy/policy.js';

const enabled = !!process.env.KUBECONFIG && process.env.SWITCHYARD_K8S_E2E === '1';
const namespace = process.env.SWITCHYARD_K8S_NAMESPACE ?? 'switchyard-e2e';
const env = 'e2e';
const argoEnv = 'e2e-argo';
const name = 'sy-nginx';
const bgName = 'sy-bg';
const argoName = 'sy-argo';
const run = Date.now().toString(36);
const ROLLOUTS = { group: 'argoproj.io', version: 'v1alpha1', plural: 'rollouts' } as const;
const BROKEN = 'registry.invalid/switchyard/pullfail:0';

describe.skipIf(!enabled)('kubernetes platform on a real cluster', () => {
  let kc: KubeConfig;
  let platform: KubernetesPlatform;
  let createdNamespace = false;
  /** The Rollout CRD is served (Argo Rollouts installed). */
  let argo = false;

  beforeAll(async () => {
    kc = new KubeConfig();
    kc.loadFromDefault();
    const core = kc.makeApiClient(CoreV1Api);
    try {
      await core.readNamespace({ name: namespace });
    } catch {
      await core.createNamespace({ body: { metadata: { name: namespace } } });
      createdNamespace = true;
    }
    argo = await kc.makeApiClient(CustomObjectsApi).listNamespacedCustomObject({ ...ROLLOUTS, namespace }).then(() => true, () => false);
    const policy = new Policy({ environments: { [env]: { namespace }, [argoEnv]: { namespace, bluegreen: 'argo-rollouts' } } });
    platform = new KubernetesPlatform({ kubeConfig: kc, policy, rolloutTimeoutMs: 150_000, pollMs: 1000 });
  }, 60_000);

  afterAll(async () => {
    if (!kc) return;
    const core = kc.makeApiClient(CoreV1Api);
    if (createdNamespace) {
      await core.deleteNamespace({ name: namespace }).catch(() => undefined);
      return;
    }
    const apps = kc.makeApiClient(AppsV1Api);
    for (const d of [name, `${bgName}-blue`, `${bgName}-green`]) await apps.deleteNamespacedDeployment({ name: d, namespace }).catch(() => undefined);
    for (const s of [name, bgName, argoName, `${argoName}-preview`]) await core.deleteNamespacedService({ name: s, namespace }).catch(() => undefined);
    if (argo) await kc.makeApiClient(CustomObjectsApi).deleteNamespacedCustomObject({ ...ROLLOUTS, namespace, name: argoName }).catch(() => undefined);
  }, 60_000);

  it('deploys, upgrades and rolls back nginx', async () => {
    const deployed = await platform.deploy({ opId: `e2e-${run}-d`, env, name, image: 'nginx:1.26-alpine', replicas: 1 });
    expect(deployed).toMatchObject({ ok: true, component: { image: 'nginx:1.26-alpine', replicas: 1 } });

    const upgraded = await platform.upgrade({ opId: `e2e-${run}-u`, env, name, image: 'nginx:1.27-alpine' });
    expect(upgraded).toMatchObject({ ok: true, previousImage: 'nginx:1.26-alpine', component: { image: 'nginx:1.27-alpine' } });
    // Re-delivered: answers from the annotations, changes nothing.
    expect(await platform.upgrade({ opId: `e2e-${run}-u`, env, name, image: 'nginx:1.27-alpine' })).toMatchObject({ ok: true, previousImage: 'nginx:1.26-alpine' });

    const back = await platform.upgrade({ opId: `e2e-${run}-r`, env, name, image: 'nginx:1.26-alpine' });
    expect(back).toMatchObject({ ok: true, component: { image: 'nginx:1.26-alpine' } });
    expect((await platform.list(env)).find((c) => c.name === name)).toMatchObject({ image: 'nginx:1.26-alpine' });
  }, 420_000);

  it('reports an image that cannot be pulled, and leaves the old one running', async () => {
    const out = await platform.upgrade({ opId: `e2e-${run}-bad`, env, name, image: 'registry.invalid/switchyard/pullfail:0' });
    expect(out).toMatchObject({ ok: false, error: expect.stringMatching(/cannot be pulled|did not become/) });
    expect(await platform.get(env, name)).toMatchObject({ image: 'nginx:1.26-alpine' });
  }, 240_000);

  it('runs a native blue-green job: first version, update, switch, old slot deleted; a broken update leaves the traffic', async () => {
    const at = { env, workload: bgName };
    expect(await platform.bgDeploySlot({ opId: `e2e-${run}-n1`, ...at, slot: 'blue', image: 'nginx:1.26-alpine', replicas: 1 })).toEqual({ ok: true });
    await platform.bgSwitch({ ...at, slot: 'blue' });
    expect(await platform.bgInspect(env, bgName)).toMatchObject({ serving: 'blue', slots: { blue: { image: 'nginx:1.26-alpine', ready: true } } });

    expect(await platform.bgDeploySlot({ opId: `e2e-${run}-n2`, ...at, slot: 'green', image: 'nginx:1.27-alpine', replicas: 1 })).toEqual({ ok: true });
    expect(await platform.bgInspect(env, bgName)).toMatchObject({ serving: 'blue', slots: { blue: { ready: true }, green: { image: 'nginx:1.27-alpine', ready: true } } });
    await platform.bgSwitch({ ...at, slot: 'green' });
    await platform.bgSwitch({ ...at, slot: 'green' }); // a repeat changes nothing
    await platform.bgDeleteSlot({ ...at, slot: 'blue' });
    let seen = await platform.bgInspect(env, bgName);
    expect(seen).toMatchObject({ serving: 'green', slots: { green: { image: 'nginx:1.27-alpine', ready: true } } });
    expect(seen?.slots.blue).toBeUndefined();

    const bad = await platform.bgDeploySlot({ opId: `e2e-${run}-n3`, ...at, slot: 'blue', image: BROKEN, replicas: 1 });
    expect(bad).toMatchObject({ ok: false, error: expect.stringMatching(/cannot be pulled|did not become/) });
    await expect(platform.bgSwitch({ ...at, slot: 'blue' })).rejects.toThrow('is not ready');
    await platform.bgDeleteSlot({ ...at, slot: 'blue' });
    seen = await platform.bgInspect(env, bgName);
    expect(seen).toMatchObject({ serving: 'green', slots: { green: { image: 'nginx:1.27-alpine' } } });
    expect(seen?.slots.blue).toBeUndefined();
  }, 600_000);

  it('runs an Argo Rollouts blue-green job: first version, Paused update, promote; a broken update is terminated', async (ctx) => {
    if (!argo) ctx.skip();
    const at = { env: argoEnv, workload: argoName };
    expect(await platform.bgDeploySlot({ opId: `e2e-${run}-a1`, ...at, slot: 'blue', image: 'nginx:1.26-alpine', replicas: 1 })).toEqual({ ok: true });
    await platform.bgSwitch({ ...at, slot: 'blue' }); // the first version already serves
    expect(await platform.bgInspect(argoEnv, argoName)).toMatchObject({ serving: 'blue', slots: { blue: { image: 'nginx:1.26-alpine', ready: true } } });

    expect(await platform.bgDeploySlot({ opId: `e2e-${run}-a2`, ...at, slot: 'green', image: 'nginx:1.27-alpine', replicas: 1 })).toEqual({ ok: true });
    expect(await platform.bgInspect(argoEnv, argoName)).toMatchObject({ serving: 'blue', slots: { blue: { ready: true }, green: { image: 'nginx:1.27-alpine', ready: true } } });
    await platform.bgSwitch({ ...at, slot: 'green' }); // promote
    await platform.bgDeleteSlot({ ...at, slot: 'blue' }); // Argo scales the old one down after scaleDownDelaySeconds
    expect(await platform.bgInspect(argoEnv, argoName)).toMatchObject({ serving: 'green', slots: { green: { image: 'nginx:1.27-alpine', ready: true } } });

    const bad = await platform.bgDeploySlot({ opId: `e2e-${run}-a3`, ...at, slot: 'blue', image: BROKEN, replicas: 1 });
    expect(bad).toMatchObject({ ok: false, error: expect.stringMatching(/cannot be pulled|did not become/) });
    await expect(platform.bgSwitch({ ...at, slot: 'blue' })).rejects.toThrow(/not ready|does not exist/);
    await platform.bgDeleteSlot({ ...at, slot: 'blue' }); // terminate: abort, undo to the stable template
    const deadline = Date.now() + 120_000;
    let seen = await platform.bgInspect(argoEnv, argoName);
    while (seen?.slots.blue && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 1000));
      seen = await platform.bgInspect(argoEnv, argoName);
    }
    expect(seen).toMatchObject({ serving: 'green', slots: { green: { image: 'nginx:1.27-alpine' } } });
    expect(seen?.slots.blue).toBeUndefined();
  }, 600_000);
});
