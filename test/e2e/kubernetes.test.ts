/**
 * End to end on PLATFORM=kubernetes: signed Slack commands in, the real Kubernetes client out to
 * the fake API server, Deployments and a blue-green Service checked there. The fake runs on its
 * own timer and real time, writes status concurrently with the bot, and the bot speaks as its
 * ServiceAccount under the project's Role (manifests/kubernetes/rbac-*.yaml) in each namespace.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppsV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '../../src/store/redis.js';
import { JobStore } from '../../src/store/versioned-store.js';
import { startFakeKube, type FakeKube } from '../support/fake-kube.js';
import { eventually, startTestBot, type TestBot } from '../support/test-bot.js';

let kube: FakeKube;
let bot: TestBot;

beforeAll(async () => {
  kube = await startFakeKube({ tickMs: 10, rbac: { namespaces: ['shop', 'guard'] } });
  // The bot reads its kubeconfig the way it would in production: from KUBECONFIG.
  const path = join(tmpdir(), `switchyard-kubeconfig-${process.pid}.yaml`);
  writeFileSync(path, kube.kubeConfig().exportConfig());
  process.env.KUBECONFIG = path;
  bot = await startTestBot({ PLATFORM: 'kubernetes', K8S_POLL_MS: '20', K8S_ROLLOUT_TIMEOUT_MS: '20000' }, 'k8s');
});

afterAll(async () => {
  await bot?.stop();
  await kube?.close();
});

const image = (name: string, ns: string) =>
  (kube.object('Deployment', ns, name)?.spec as { template: { spec: { containers: Array<{ image: string }> } } } | undefined)?.template.spec.containers[0]?.image;

describe('releases on Kubernetes, from Slack', () => {
  it('deploys, then upgrades with one broken image, and reports why in the thread', async () => {
    const deploy = await bot.create('k-base deploy --env shop web=registry.local/web:1.0 api=registry.local/api:1.0');
    await bot.command(`start ${deploy}`);
    await bot.waitForTask(deploy, (t) => t.status === 'Released', 20_000);
    expect(image('web', 'shop')).toBe('registry.local/web:1.0');
    expect(kube.object('Service', 'shop', 'web')).toBeDefined();

    // The team gave api a short progress deadline (kubectl patch); the bot's upgrade keeps it, and
    // the cluster's verdict comes well within K8S_ROLLOUT_TIMEOUT_MS.
    const admin = kube.kubeConfig('default', 'admin').makeApiClient(AppsV1Api);
    await admin.patchNamespacedDeployment(
      { name: 'api', namespace: 'shop', body: { spec: { progressDeadlineSeconds: 1 } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const up = await bot.create('k-up upgrade --env shop web=registry.local/web:2.0 api=registry.local/api:2.0-broken --best-effort');
    await bot.command(`start ${up}`);
    const t = await bot.waitForTask(up, (x) => x.status === 'Release failed', 30_000);
    expect(t.components.map((c) => [c.name, c.status])).toEqual([
      ['web', 'Released'],
      ['api', 'Release failed'],
    ]);
    expect(t.components[1]!.error).toBe('api did not become available in time (ProgressDeadlineExceeded)');
    expect(image('web', 'shop')).toBe('registry.local/web:2.0');
    const thread = await eventually(async () => {
      const x = await bot.threadTexts(up);
      return x.some((s) => s.startsWith('Release failed')) ? x : undefined;
    }, 5000, 'summary');
    expect(thread).toContainEqual(expect.stringMatching(/^`api` failed: .*ProgressDeadlineExceeded/));

    await bot.command(`rollback ${up}`);
    await bot.waitForTask(up, (x) => x.status === 'Rolled back', 20_000);
    expect(image('web', 'shop')).toBe('registry.local/web:1.0');
    // Every call the bot made was its ServiceAccount's, and the Role allowed each.
    expect(new Set(kube.requests.map((r) => r.user))).toEqual(new Set([kube.serviceAccount, 'kubernetes-admin']));
    expect(kube.forbidden).toEqual([]);
  });

  it('runs a native blue-green job: update, Release switches the Service, the old slot goes', async () => {
    const jobs = new JobStore(bot.redis, keys(bot.config.REDIS_PREFIX));
    const bg = (text: string) => bot.command(text, { command: '/bluegreen' });
    const status = (s: string) => async () => (await jobs.get('cart'))?.status === s;
    await bg('create cart --env shop --workload cart --image registry.local/cart:1.0');
    await eventually(status('Healthy'), 20_000, 'Healthy');
    await bg('update cart registry.local/cart:2.0');
    await eventually(status('Paused'), 20_000, 'Paused');
    expect(kube.object('Deployment', 'shop', 'cart-green')).toBeDefined();
    await bg('release cart');
    await eventually(status('Healthy'), 20_000, 'Healthy again');
    const selector = (kube.object('Service', 'shop', 'cart')?.spec as { selector: Record<string, string> }).selector;
    expect(selector['switchyard.io/slot']).toBe('green');
    await eventually(() => !kube.object('Deployment', 'shop', 'cart-blue'), 5000, 'blue deleted');
  });
});

describe('plans and guarded rollbacks on Kubernetes', () => {
  it('plans from a GET of each Deployment: refuses what cannot succeed, shows was -> target', async () => {
    await bot.command('create g-base deploy --env guard web=registry.local/web:1.0x2');
    const base = (await bot.tasks.list()).find((t) => t.name === 'g-base')!;
    await bot.command(`start ${base.id}`);
    await bot.waitForTask(base.id, (t) => t.status === 'Released', 20_000);

    const refused = bot.ackText(await bot.command('create g-bad upgrade --env guard nosuch=registry.local/nosuch:1.0'));
    expect(refused).toContain('`nosuch` does not exist in guard: deploy it first');
    expect((await bot.tasks.list()).some((t) => t.name === 'g-bad')).toBe(false);

    const plan = await bot.command('plan g-up upgrade --env guard web=registry.local/web:2.0');
    expect(JSON.stringify((plan.json as { blocks?: unknown }).blocks)).toContain('registry.local/web:1.0 (2 replicas) -&gt; registry.local/web:2.0');
  });

  it('refuses to roll back an older task over a newer one; --force puts the previous image back', async () => {
    const a = await bot.create('g-a upgrade --env guard web=registry.local/web:2.0');
    await bot.command(`start ${a}`);
    await bot.waitForTask(a, (t) => t.status === 'Released', 20_000);
    const b = await bot.create('g-b upgrade --env guard web=registry.local/web:3.0');
    await bot.command(`start ${b}`);
    await bot.waitForTask(b, (t) => t.status === 'Released', 20_000);

    const refused = bot.ackText(await bot.command(`rollback ${a}`));
    expect(refused).toContain(`\`web\` runs registry.local/web:3.0 (put there by ${b}, g-b), not registry.local/web:2.0`);
    expect(image('web', 'guard')).toBe('registry.local/web:3.0');

    await bot.command(`rollback ${a} --force`);
    await bot.waitForTask(a, (t) => t.status === 'Rolled back', 20_000);
    expect(image('web', 'guard')).toBe('registry.local/web:1.0');
  });
});
