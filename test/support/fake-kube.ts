/**
 * A local fake Kubernetes API server for tests: real HTTP on 127.0.0.1 that the real
 * `@kubernetes/client-node` can drive, with the API semantics a release adapter relies on
 * (resourceVersion conflicts, generation, status subresources, the PATCH flavours, Status errors)
 * and simulated controllers (Deployments, ReplicaSets, pods, Argo Rollouts blue-green) advanced by
 * a timer or by `tick()`.
 *
 *   const kube = await startFakeKube({ tickMs: 0 });          // deterministic: drive with tick()
 *   const apps = kube.kubeConfig().makeApiClient(AppsV1Api);
 *
 * Failure injection: images with `pullfail` (ImagePullBackOff), `crash` in the tag
 * (CrashLoopBackOff), a tag ending in `-broken` (never ready → ProgressDeadlineExceeded);
 * `setQuotaExceeded(ns, true)` (creates → 403 exceeded quota); `injectConflicts(kind, name, n)`;
 * `injectErrors(n, …)` for arbitrary failures (5xx, 401…).
 *
 * The pieces live in ./fake-kube/: store.ts (verbs and semantics), semantics.ts (defaulting,
 * validation, generation), patch.ts, controller.ts, server.ts (HTTP), errors.ts, types.ts.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { Controllers } from './fake-kube/controller.js';
import { type InjectedError, type RecordedRequest, handle } from './fake-kube/server.js';
import { FakeStore } from './fake-kube/store.js';
import { type KindName, type KubeObject, clone, kindInfo } from './fake-kube/types.js';

export type { KubeObject, KindName } from './fake-kube/types.js';
export type { RecordedRequest } from './fake-kube/server.js';
export { templateHash, imageFailure } from './fake-kube/controller.js';

export interface FakeKubeOptions {
  /** Controller timer period; 0 turns the timer off (drive it with tick()). Default 20. */
  tickMs?: number;
  /** Ticks for a ReplicaSet's pods to all become ready. Default 3. */
  rolloutSteps?: number;
  /** Ticks without progress before ProgressDeadlineExceeded. Default 5. */
  progressDeadlineTicks?: number;
  /** Namespaces exist as soon as they are used (default true); false: only created/listed ones, others 404. */
  autoNamespaces?: boolean;
  /** Namespaces that exist from the start. Default ['default']. */
  namespaces?: string[];
  /** When set, requests must carry `Authorization: Bearer <token>` (else 401). kubeConfig() uses it. */
  token?: string;
}

export interface FakeKube {
  /** http://127.0.0.1:<port> */
  url: string;
  /** A KubeConfig (context "fake", namespace `namespace`, default "default") pointed at the server. */
  kubeConfig(namespace?: string): KubeConfig;
  /** Every request received, in order. Clear with `requests.length = 0`. */
  requests: RecordedRequest[];
  /** Advance the simulated controllers `n` ticks (default 1). */
  tick(n?: number): void;
  /**
   * Tick until nothing has changed for max(rolloutSteps, progressDeadlineTicks) + 1 ticks in a row
   * (so rollouts finish and deadlines expire), at most `maxTicks`; returns the ticks taken.
   */
  settle(maxTicks?: number): number;
  /** Ticks so far. */
  readonly ticks: number;
  /** Copies of the stored objects of a kind ('Deployment', 'deployments', 'deploy', 'Rollout', 'Pod', …). */
  objects(kind: KindName, namespace?: string): KubeObject[];
  /** A copy of one object, or undefined. */
  object(kind: KindName, namespace: string | undefined, name: string): KubeObject | undefined;
  /** Create an object directly (no quota/conflict injection, not recorded), with the API's defaulting and validation. */
  seed(obj: KubeObject): KubeObject;
  /** Creates in `namespace` fail with 403 Forbidden "exceeded quota: <quotaName>…"; new pods there cannot be created. */
  setQuotaExceeded(namespace: string, exceeded: boolean, quotaName?: string): void;
  /** The next `n` updates (PUT or PATCH, /status included) of the object fail with 409 Conflict. */
  injectConflicts(kind: KindName, name: string, n: number, namespace?: string): void;
  /** The next `n` requests matching `method`/`path` (substring or RegExp) fail with this Status (default 500 InternalError). */
  injectErrors(n: number, opts?: { code?: number; reason?: string; message?: string; method?: string; path?: string | RegExp }): void;
  /** Last error thrown by a timer tick (ticks from tick() throw directly). */
  readonly lastTickError: unknown;
  close(): Promise<void>;
}

export async function startFakeKube(opts: FakeKubeOptions = {}): Promise<FakeKube> {
  const store = new FakeStore({ autoNamespaces: opts.autoNamespaces ?? true, namespaces: opts.namespaces ?? ['default'] });
  const rolloutSteps = opts.rolloutSteps ?? 3;
  const progressDeadlineTicks = opts.progressDeadlineTicks ?? 5;
  const controllers = new Controllers(store, { rolloutSteps, progressDeadlineTicks });
  const requests: RecordedRequest[] = [];
  const injected: InjectedError[] = [];
  const server = createServer((req, res) => {
    void handle({ store, requests, injected, ...(opts.token !== undefined ? { token: opts.token } : {}) }, req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  let lastTickError: unknown;
  const tickMs = opts.tickMs ?? 20;
  const timer = tickMs > 0
    ? setInterval(() => {
      try {
        controllers.tick();
      } catch (err) {
        lastTickError = err;
      }
    }, tickMs)
    : undefined;
  timer?.unref();

  const kube: FakeKube = {
    url,
    requests,
    get ticks() {
      return controllers.ticks;
    },
    get lastTickError() {
      return lastTickError;
    },
    kubeConfig(namespace = 'default') {
      const kc = new KubeConfig();
      kc.loadFromOptions({
        clusters: [{ name: 'fake', server: url, skipTLSVerify: true }],
        users: [{ name: 'u', token: opts.token ?? 't' }],
        contexts: [{ name: 'fake', cluster: 'fake', user: 'u', namespace }],
        currentContext: 'fake',
      });
      return kc;
    },
    tick(n = 1) {
      for (let i = 0; i < n; i++) controllers.tick();
    },
    settle(maxTicks = 200) {
      const quietNeeded = Math.max(rolloutSteps, progressDeadlineTicks) + 1;
      let quiet = 0;
      for (let i = 1; i <= maxTicks; i++) {
        const before = store.currentResourceVersion();
        controllers.tick();
        quiet = store.currentResourceVersion() === before ? quiet + 1 : 0;
        if (quiet >= quietNeeded) return i;
      }
      throw new Error(`fake-kube: still changing after ${maxTicks} ticks`);
    },
    objects(kind, namespace) {
      return store.all(kindInfo(kind), namespace).map((o) => clone(o));
    },
    object(kind, namespace, name) {
      const info = kindInfo(kind);
      const found = store.all(info, info.namespaced ? namespace : undefined).find((o) => o.metadata.name === name);
      return clone(found);
    },
    seed(obj) {
      const info = kindInfo(obj.kind ?? '');
      const ns = info.namespaced ? obj.metadata.namespace ?? 'default' : undefined;
      const quota = ns ? store.quotaExceeded(ns) : undefined;
      if (ns && quota) store.setQuotaExceeded(ns, false);
      try {
        return store.create(info, ns, obj);
      } finally {
        if (ns && quota) store.setQuotaExceeded(ns, true, quota);
      }
    },
    setQuotaExceeded(namespace, exceeded, quotaName) {
      store.setQuotaExceeded(namespace, exceeded, quotaName);
    },
    injectConflicts(kind, name, n, namespace) {
      store.injectConflicts(kindInfo(kind), name, n, namespace);
    },
    injectErrors(n, e = {}) {
      injected.push({
        remaining: n,
        code: e.code ?? 500,
        reason: e.reason ?? 'InternalError',
        message: e.message ?? 'an error on the server ("fake-kube injected error") has prevented the request from succeeding',
        ...(e.method ? { method: e.method } : {}),
        ...(e.path ? { path: e.path } : {}),
      });
    },
    async close() {
      if (timer) clearInterval(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return kube;
}
