/**
 * Opt-in, against a real cluster: KUBECONFIG=… SWITCHYARD_K8S_E2E=1 npx vitest run test/integration/kubernetes-cluster.test.ts
 * Deploys a tiny nginx into SWITCHYARD_K8S_NAMESPACE (default switchyard-e2e; created if missing,
 * and then deleted again), upgrades it, rolls it back, and checks a broken image fails in plain words.
 */
import { AppsV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubernetesPlatform } from '../../src/platform/kubernetes/kubernetes-platform.js';
import { Policy } from '../../src/policy/policy.js';

const enabled = !!process.env.KUBECONFIG && process.env.SWITCHYARD_K8S_E2E === '1';
const namespace = process.env.SWITCHYARD_K8S_NAMESPACE ?? 'switchyard-e2e';
const env = 'e2e';
const name = 'sy-nginx';
const run = Date.now().toString(36);

describe.skipIf(!enabled)('kubernetes platform on a real cluster', () => {
  let kc: KubeConfig;
  let platform: KubernetesPlatform;
  let createdNamespace = false;

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
    const policy = new Policy({ environments: { [env]: { namespace } } });
    platform = new KubernetesPlatform({ kubeConfig: kc, policy, rolloutTimeoutMs: 150_000, pollMs: 1000 });
  }, 60_000);

  afterAll(async () => {
    if (!kc) return;
    const core = kc.makeApiClient(CoreV1Api);
    if (createdNamespace) {
      await core.deleteNamespace({ name: namespace }).catch(() => undefined);
      return;
    }
    await kc.makeApiClient(AppsV1Api).deleteNamespacedDeployment({ name, namespace }).catch(() => undefined);
    await core.deleteNamespacedService({ name, namespace }).catch(() => undefined);
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
});
