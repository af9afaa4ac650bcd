/**
 * End to end on PLATFORM=kubernetes with checks (policy `checks`, `keepOldFor`): signed Slack
 * commands in, the real Kubernetes client out to the fake API server, and the bot's checks sampling
 * a fake Prometheus the test runs itself (a Kubernetes cluster has no Prometheus stand-in).
 *
 * Keeping the old version is keeping its Deployment (native) or raising the Rollout's
 * scaleDownDelaySeconds (Argo Rollouts); the undo after a failing check is the Service selector
 * switched back, or the Rollout's template set back to the still-running old ReplicaSet.
 */
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { BlueGreenJob } from '../../src/domain/bluegreen-job.js';
import { SCALE_DOWN_DEADLINE, startFakeKube, type FakeKube, type KubeObject } from '../support/fake-kube.js';
import { removePolicies, writePolicy } from '../support/policy.js';
import { eventually, startTestBot, type TestBot } from '../support/test-bot.js';

/**
 * A fake Prometheus: answers /api/v1/query with one sample, the error rate of the image the query
 * names (`image="…"`): 0.5 for a tag ending in -errors or an image the test turned bad, else 0.001.
 */
interface FakePrometheus {
  url: string;
  /** Images whose error rate is bad from now on. */
  bad: Set<string>;
  /** The queries asked, in order. */
  queries: string[];
  close(): Promise<void>;
}

async function startFakePrometheus(): Promise<FakePrometheus> {
  const bad = new Set<string>();
  const queries: string[] = [];
  const server: Server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://prometheus');
    const query = u.searchParams.get('query');
    if (req.method !== 'GET' || u.pathname !== '/api/v1/query' || !query) {
      res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'error', errorType: 'bad_data', error: 'unknown request' }));
      return;
    }
    queries.push(query);
    const image = /image="([^"]+)"/.exec(query)?.[1] ?? '';
    const value = image.endsWith('-errors') || bad.has(image) ? '0.5' : '0.001';
    const body = { status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [Date.now() / 1000, value] }] } };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    bad,
    queries,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

let kube: FakeKube;
let prom: FakePrometheus;
let bot: TestBot;

const ENVS = ['kc-undo', 'kc-pass', 'kc-argo', 'kc-batch'];

beforeAll(async () => {
  prom = await startFakePrometheus();
  kube = await startFakeKube({ tickMs: 10, rbac: { namespaces: ENVS } });
  const path = join(tmpdir(), `switchyard-kubeconfig-checks-${process.pid}.yaml`);
  writeFileSync(path, kube.kubeConfig().exportConfig());
  process.env.KUBECONFIG = path;
  const checks = `
    checks:
      - name: error-rate
        prometheus: ${prom.url}
        query: 'sum(rate(http_requests_errors{image="{image}"}[1m]))'
        below: 0.01
        interval: 200ms`;
  // A failing check ends the watch at once: keepOldFor is long where the test turns a version bad
  // during it, so the turn comes well within; short where the test waits for it to pass.
  const policy = writePolicy(`
environments:
  kc-undo:${checks}
    keepOldFor: 60s
  kc-pass:${checks}
    keepOldFor: 3s
  kc-argo:
    bluegreen: argo-rollouts${checks}
    keepOldFor: 60s
  kc-batch:${checks}
`);
  bot = await startTestBot({ PLATFORM: 'kubernetes', K8S_POLL_MS: '20', K8S_ROLLOUT_TIMEOUT_MS: '20000', SWITCHYARD_CONFIG: policy }, 'k8s-checks');
});

afterAll(async () => {
  await bot?.stop();
  await kube?.close();
  await prom?.close();
  removePolicies();
});

beforeEach(() => {
  prom.bad.clear();
});

const bg = (text: string) => bot.command(text, { command: '/bluegreen' });
const selector = (ns: string, name: string) => (kube.object('Service', ns, name)?.spec as { selector?: Record<string, string> } | undefined)?.selector ?? {};
const imageOfRs = (rs: KubeObject) => (rs.spec as { template: { spec: { containers: Array<{ image: string }> } } }).template.spec.containers[0]!.image;
const watching = (slot: string) => (j: BlueGreenJob) => j.status === 'Promoting' && j.active === slot && j.checks?.phase === 'release' && j.checks.state === 'running';

async function thread(name: string, startsWith: string): Promise<string[]> {
  return eventually(async () => {
    const texts = await bot.threadTexts(`bg:${name}`);
    return texts.some((t) => t.startsWith(startsWith)) ? texts : undefined;
  }, 10_000, `thread line "${startsWith}" of ${name}`);
}

/** A job created Healthy on `image`, then updated to `next` and Paused with its preview checks passed. */
async function pausedWithChecksPassed(name: string, env: string, image: string, next: string): Promise<BlueGreenJob> {
  await bg(`create ${name} --env ${env} --workload ${name} --image ${image} --replicas 2`);
  await bot.jobUntil(name, 'Healthy', undefined, 20_000);
  await bg(`update ${name} ${next}`);
  const paused = await bot.jobUntil(name, (j) => j.status === 'Paused' && j.checks?.phase === 'preview' && j.checks.state === 'passed', 'preview checks passed', 20_000);
  expect(paused.checks!.readings).toMatchObject([{ name: 'error-rate', state: 'passed', value: 0.001 }]);
  return paused;
}

describe('checks on Kubernetes, native blue-green', () => {
  it('a check failing while the old Deployment is kept switches the Service selector back: Degraded, both Deployments there', async () => {
    await pausedWithChecksPassed('cart', 'kc-undo', 'registry.local/cart:1.0', 'registry.local/cart:2.0');
    expect(prom.queries).toContain('sum(rate(http_requests_errors{image="registry.local/cart:2.0"}[1m]))');
    await bg('release cart');
    await bot.jobUntil('cart', watching('green'), 'watching green after Release', 20_000);
    expect(selector('kc-undo', 'cart')['switchyard.io/slot']).toBe('green');
    expect(kube.object('Deployment', 'kc-undo', 'cart-blue')).toBeDefined();

    prom.bad.add('registry.local/cart:2.0');
    const degraded = await bot.jobUntil('cart', 'Degraded', undefined, 20_000);
    expect(degraded.active).toBe('blue');
    expect(degraded.degradedReason).toBe('error-rate 0.5 is not below 0.01 after Release; traffic went back to blue');
    expect(degraded.pending).toMatchObject({ slot: 'green', image: 'registry.local/cart:2.0' });
    // The traffic is back on blue's pods, and both versions are still there (green for Terminate).
    expect(selector('kc-undo', 'cart')).toEqual({ 'app.kubernetes.io/name': 'cart', 'switchyard.io/slot': 'blue' });
    expect(kube.object('Deployment', 'kc-undo', 'cart-blue')).toBeDefined();
    expect(kube.object('Deployment', 'kc-undo', 'cart-green')).toBeDefined();
    const texts = await thread('cart', ':rotating_light: Degraded');
    expect(texts.find((t) => t.startsWith(':rotating_light: Degraded'))).toContain(
      'rev 2 (registry.local/cart:2.0) failed its checks after Release: error-rate 0.5 is not below 0.01. Traffic is back on blue (rev 1, registry.local/cart:1.0). Terminate to remove rev 2.',
    );

    await bg('terminate cart');
    const healthy = await bot.jobUntil('cart', 'Healthy', undefined, 20_000);
    expect(healthy.active).toBe('blue');
    await eventually(() => !kube.object('Deployment', 'kc-undo', 'cart-green'), 5000, 'cart-green deleted');
    expect(selector('kc-undo', 'cart')['switchyard.io/slot']).toBe('blue');
  });

  it('checks holding through keepOldFor: the old Deployment is kept until the window ends, then deleted', async () => {
    await pausedWithChecksPassed('shelf', 'kc-pass', 'registry.local/shelf:1.0', 'registry.local/shelf:2.0');
    await bg('release shelf');
    // The Deployment is read before the job: a job still watching means blue was there when read
    // (it is deleted only after the watch passed).
    const during = await eventually(async () => {
      const blue = kube.object('Deployment', 'kc-pass', 'shelf-blue');
      const j = await bot.jobs.get('shelf');
      return j && watching('green')(j) ? { blue, j } : undefined;
    }, 20_000, 'shelf watched after Release');
    expect(during.blue).toBeDefined();
    expect(selector('kc-pass', 'shelf')['switchyard.io/slot']).toBe('green');

    const healthy = await bot.jobUntil('shelf', 'Healthy', undefined, 20_000);
    expect(healthy).toMatchObject({ active: 'green', stable: 'green' });
    expect(Object.keys(healthy.versions)).toEqual(['green']);
    expect(kube.object('Deployment', 'kc-pass', 'shelf-blue')).toBeUndefined();
    expect(kube.object('Deployment', 'kc-pass', 'shelf-green')).toBeDefined();
    expect(selector('kc-pass', 'shelf')['switchyard.io/slot']).toBe('green');
    const texts = await thread('shelf', 'Released in');
    expect(texts.find((t) => t.startsWith('Released in'))).toContain('green (rev 2, registry.local/shelf:2.0) is Active and Stable; blue deleted after the checks held for 3s');
  });
});

describe('checks on Kubernetes, Argo Rollouts', () => {
  it('keeps the old ReplicaSet with scaleDownDelaySeconds, and a failing check puts the active Service back on it', async () => {
    await pausedWithChecksPassed('pay', 'kc-argo', 'registry.local/pay:1.0', 'registry.local/pay:2.0');
    const rollout = () => kube.object('Rollout', 'kc-argo', 'pay')!;
    const rsOf = (image: string) => kube.objects('ReplicaSet', 'kc-argo').find((rs) => imageOfRs(rs) === image)!;
    const oldHash = rollout().status.stableRS as string;
    expect(rsOf('registry.local/pay:1.0').metadata.labels?.['rollouts-pod-template-hash']).toBe(oldHash);

    await bg('release pay');
    await bot.jobUntil('pay', watching('green'), 'watching green after Release', 20_000);
    // Promoted, with the old version kept at least keepOldFor (60 s): Argo's scale-down waits.
    const delay = rollout().spec.strategy.blueGreen.scaleDownDelaySeconds as number;
    expect(delay).toBeGreaterThanOrEqual(60);
    const newHash = rollout().status.stableRS as string;
    expect(newHash).not.toBe(oldHash);
    expect(selector('kc-argo', 'pay')['rollouts-pod-template-hash']).toBe(newHash);
    const old = rsOf('registry.local/pay:1.0');
    expect(old.spec.replicas).toBe(2);
    expect(Date.parse(old.metadata.annotations![SCALE_DOWN_DEADLINE]!)).toBeGreaterThanOrEqual(Date.now() + 50_000);

    prom.bad.add('registry.local/pay:2.0');
    const degraded = await bot.jobUntil('pay', 'Degraded', undefined, 20_000);
    expect(degraded.active).toBe('blue');
    expect(degraded.degradedReason).toBe('error-rate 0.5 is not below 0.01 after Release; traffic went back to blue');
    // The active Service is on the old ReplicaSet's pods again, which Argo keeps as the stable version.
    expect(selector('kc-argo', 'pay')['rollouts-pod-template-hash']).toBe(oldHash);
    expect(rollout().status).toMatchObject({ phase: 'Healthy', stableRS: oldHash, currentPodHash: oldHash });
    expect(rsOf('registry.local/pay:1.0').spec.replicas).toBe(2);
    expect(rsOf('registry.local/pay:1.0').metadata.annotations?.[SCALE_DOWN_DEADLINE]).toBeUndefined();
    const texts = await thread('pay', ':rotating_light: Degraded');
    expect(texts.find((t) => t.startsWith(':rotating_light: Degraded'))).toContain('Traffic is back on blue (rev 1, registry.local/pay:1.0)');
    // All of it within the bot's Role (the undo is a replace of the Rollout it may already update).
    expect(kube.forbidden).toEqual([]);
  });
});

describe('checks on Kubernetes, a batch task', () => {
  it('Best Effort: the component whose check fails is Release failed with the reading, the others Released', async () => {
    const base = await bot.create('kc-base deploy --env kc-batch web=registry.local/web:1.0 api=registry.local/api:1.0 cart=registry.local/cart:1.0');
    await bot.command(`start ${base}`);
    await bot.waitForTask(base, (t) => t.status === 'Released', 30_000);

    const up = await bot.create('kc-up upgrade --env kc-batch web=registry.local/web:2.0 api=registry.local/api:2.0-errors cart=registry.local/cart:2.0 --best-effort');
    await bot.command(`start ${up}`);
    const t = await bot.waitForTask(up, (x) => x.status === 'Release failed', 30_000);
    expect(t.components.map((c) => [c.name, c.status])).toEqual([
      ['web', 'Released'],
      ['api', 'Release failed'],
      ['cart', 'Released'],
    ]);
    expect(t.components[1]!.error).toContain('error-rate 0.5 is not below 0.01');
    expect(t.components[1]!.checks).toMatchObject({ phase: 'component', state: 'failed' });
    expect(prom.queries).toContain('sum(rate(http_requests_errors{image="registry.local/api:2.0-errors"}[1m]))');
    const image = (name: string) => (kube.object('Deployment', 'kc-batch', name)?.spec as { template: { spec: { containers: Array<{ image: string }> } } }).template.spec.containers[0]!.image;
    expect([image('web'), image('cart')]).toEqual(['registry.local/web:2.0', 'registry.local/cart:2.0']);
    const texts = await eventually(async () => {
      const x = await bot.threadTexts(up);
      return x.some((s) => s.startsWith('Release failed')) ? x : undefined;
    }, 10_000, 'summary');
    expect(texts).toContainEqual(expect.stringMatching(/^`api` failed: .*error-rate 0\.5 is not below 0\.01/));
  });
});
