/**
 * PLATFORM=kubernetes, batch release, through the real client-node against the fake API server
 * (test/support/fake-kube.ts). The controllers move only when the adapter sleeps: its injected
 * sleep ticks them and advances the clock, so every rollout is deterministic.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KubernetesPlatform } from '../../src/platform/kubernetes/kubernetes-platform.js';
import { Policy } from '../../src/policy/policy.js';
import { startFakeKube, type FakeKube } from '../support/fake-kube.js';

let kube: FakeKube;
beforeAll(async () => {
  kube = await startFakeKube({ tickMs: 0 });
});
afterAll(() => kube.close());
afterEach(() => kube.setQuotaExceeded('prod', false));

const policy = new Policy({ environments: { production: { namespace: 'prod' }, staging: { namespace: 'stage' } } });

function platform(rolloutTimeoutMs = 60_000): KubernetesPlatform {
  let now = Date.parse('2030-01-01T00:00:00Z');
  return new KubernetesPlatform({
    kubeConfig: kube.kubeConfig(),
    policy,
    rolloutTimeoutMs,
    pollMs: 1000,
    clock: () => new Date(now),
    sleep: async (ms) => {
      now += ms;
      kube.tick();
    },
  });
}

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

  it('times out after K8S_ROLLOUT_TIMEOUT_MS', async () => {
    const p = platform(3000);
    await p.deploy({ opId: 'to0', env: 'staging', name: 'slow', image: 'registry/slow:1', replicas: 1 });
    const out = await p.upgrade({ opId: 'to1', env: 'staging', name: 'slow', image: 'registry/slow:2-broken' });
    expect(out).toEqual({ ok: false, error: 'slow did not become ready within 3s (K8S_ROLLOUT_TIMEOUT_MS): 1/1 replicas ready' });
  });

  it('reports an exceeded quota on the write', async () => {
    const p = platform();
    kube.setQuotaExceeded('prod', true);
    const out = await p.deploy({ opId: 'q1', env: 'production', name: 'quota', image: 'registry/q:1', replicas: 1 });
    expect(out).toMatchObject({ ok: false, error: expect.stringMatching(/^production quota exceeded: .*exceeded quota: compute-resources/) });
    expect(kube.object('Deployment', 'prod', 'quota')).toBeUndefined();
    // An upgrade is an update, which quota lets through; its new pods are what it refuses.
    kube.setQuotaExceeded('prod', false);
    await p.deploy({ opId: 'q2', env: 'production', name: 'quota', image: 'registry/q:1', replicas: 1 });
    kube.setQuotaExceeded('prod', true);
    const up = await p.upgrade({ opId: 'q3', env: 'production', name: 'quota', image: 'registry/q:2' });
    expect(up).toMatchObject({ ok: false, error: expect.stringMatching(/^production quota exceeded: pods ".*" is forbidden: exceeded quota/) });
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
    expect(kube.requests.filter((r) => r.method === 'PUT' && r.path.endsWith('/deployments/busy'))).toHaveLength(3);
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
    const puts = kube.requests.filter((r) => r.method === 'PUT' && r.path.endsWith('/deployments/race'));
    expect(puts.length).toBeGreaterThanOrEqual(1); // the losers met 409 Conflict, re-read, and found the opId
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

  it('throws a short error when the API server fails', async () => {
    const p = platform();
    kube.injectErrors(1, { method: 'GET', path: '/deployments/flaky' });
    await expect(p.upgrade({ opId: 'e1', env: 'production', name: 'flaky', image: 'x:1' })).rejects.toThrow(/^Kubernetes API reading deployment prod\/flaky: HTTP 500 InternalError/);
  });
});
