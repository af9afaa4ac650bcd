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
 * Where a release adapter relies on it, it behaves as a real cluster does, not more leniently:
 * - a replace (PUT) must carry the resourceVersion it read: stale → 409 Conflict, missing → 422;
 * - the controllers write status concurrently with the client: each client write of a Deployment
 *   or Rollout gets its controller's reaction right after the client's next read, so a
 *   read-modify-write meets a natural 409 (see controller.ts);
 * - `spec.progressDeadlineSeconds` (default 600) is honoured on the `clock`;
 * - image and crash failures show only on pods (container waiting reasons), a used-up pod quota
 *   as ReplicaFailure FailedCreate on the ReplicaSet (copied to its workload) with pods missing;
 * - Argo keeps the old ReplicaSet up for scaleDownDelaySeconds (30) after a promotion and an
 *   aborted one for abortScaleDownDelaySeconds (30), then at zero as revision history; a template
 *   set back to a ReplicaSet so kept (an undo) is fast-tracked: no pause, straight to active;
 * - with `rbac`, the project's own Role manifests decide what the bot's ServiceAccount may do
 *   (403 Forbidden otherwise), and `kubeConfig()` speaks as that ServiceAccount.
 *
 * Failure injection: images with `pullfail` (ImagePullBackOff), `crash` in the tag
 * (CrashLoopBackOff), a tag ending in `-broken` (never ready → ProgressDeadlineExceeded once the
 * deadline passes); `setQuotaExceeded(ns, true)` (new pods cannot be created);
 * `injectConflicts(kind, name, n)`; `injectErrors(n, …)` for arbitrary failures (5xx, 401…).
 *
 * The pieces live in ./fake-kube/: store.ts (verbs and semantics), semantics.ts (defaulting,
 * validation, generation), patch.ts, controller.ts, server.ts (HTTP), rbac.ts, errors.ts, types.ts.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { Controllers } from './fake-kube/controller.js';
import {
  ADMIN, Authorizer, type UserInfo, copyToNamespace, loadManifests, projectRbacFiles, serviceAccountUser,
} from './fake-kube/rbac.js';
import { type InjectedError, type RecordedRequest, handle } from './fake-kube/server.js';
import { FakeStore } from './fake-kube/store.js';
import { type KindName, type KubeObject, clone, kindInfo } from './fake-kube/types.js';

export type { KubeObject, KindName } from './fake-kube/types.js';
export type { RecordedRequest } from './fake-kube/server.js';
export { templateHash, imageFailure, SCALE_DOWN_DEADLINE } from './fake-kube/controller.js';
export { copyToNamespace, loadManifests, projectRbacFiles, MANIFESTS_DIR } from './fake-kube/rbac.js';

export interface RbacOptions {
  /**
   * The Role/RoleBinding (and ClusterRole/…Binding) objects in force. Default: the project's own,
   * `manifests/kubernetes/rbac-*.yaml`, namespace-less ones placed in `switchyard` as kustomize does.
   */
  objects?: KubeObject[];
  /**
   * More managed namespaces, each given the Role and RoleBinding of `copyFrom` (default `staging`)
   * as the README says to add an environment.
   */
  namespaces?: string[];
  copyFrom?: string;
}

export interface FakeKubeOptions {
  /** Controller timer period; 0 turns the timer off (drive it with tick()). Default 20. */
  tickMs?: number;
  /** Ticks for a ReplicaSet's pods to all become ready. Default 3. */
  rolloutSteps?: number;
  /**
   * The cluster's clock (ms): progress deadlines, Argo scale-down delays and timestamps run on it.
   * Default Date.now. Tick-driven tests pass the clock their adapter sleeps on.
   */
  clock?: () => number;
  /** Namespaces exist as soon as they are used (default true); false: only created/listed ones, others 404. */
  autoNamespaces?: boolean;
  /** Namespaces that exist from the start. Default ['default']. */
  namespaces?: string[];
  /** When set, requests must carry `Authorization: Bearer <token>` (else 401): the administrator's token. */
  token?: string;
  /** Enforce RBAC for the bot's ServiceAccount (see RbacOptions); `true` for the defaults. */
  rbac?: boolean | RbacOptions;
}

/** Who a kubeconfig speaks as: the cluster administrator, or the bot's ServiceAccount (from the RoleBindings). */
export type FakeKubeUser = 'admin' | 'switchyard';

export interface FakeKube {
  /** http://127.0.0.1:<port> */
  url: string;
  /**
   * A KubeConfig (context "fake", namespace `namespace`, default "default") pointed at the server,
   * speaking as `user`: with `rbac` the default is the bot's ServiceAccount, else the administrator.
   */
  kubeConfig(namespace?: string, user?: FakeKubeUser): KubeConfig;
  /** The bot's ServiceAccount user name (system:serviceaccount:<ns>:<name>), from the RoleBindings. */
  readonly serviceAccount: string;
  /** Every request received, in order. Clear with `requests.length = 0`. */
  requests: RecordedRequest[];
  /** Every request RBAC refused with 403, in order (kept when `requests` is cleared). */
  readonly forbidden: RecordedRequest[];
  /** Advance the simulated controllers `n` ticks (default 1). */
  tick(n?: number): void;
  /**
   * Tick until nothing has changed for rolloutSteps + 1 ticks in a row (so rollouts finish), at
   * most `maxTicks`; returns the ticks taken. Deadlines and delays move with the clock, not ticks.
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
  /**
   * A used-up ResourceQuota in `namespace`. On `pods` (default): new pods there cannot be created
   * (ReplicaFailure FailedCreate); creating the Deployment itself works. On an object count such as
   * `count/deployments.apps`: creating one is refused with 403 "exceeded quota".
   */
  setQuotaExceeded(namespace: string, exceeded: boolean, quotaName?: string, resource?: string): void;
  /** The next `n` updates (PUT or PATCH, /status included) of the object that pass the resourceVersion check fail with 409 Conflict. */
  injectConflicts(kind: KindName, name: string, n: number, namespace?: string): void;
  /** The next `n` requests matching `method`/`path` (substring or RegExp) fail with this Status (default 500 InternalError). */
  injectErrors(n: number, opts?: { code?: number; reason?: string; message?: string; method?: string; path?: string | RegExp }): void;
  /** Last error thrown by a timer tick (ticks from tick() throw directly). */
  readonly lastTickError: unknown;
  close(): Promise<void>;
}

export async function startFakeKube(opts: FakeKubeOptions = {}): Promise<FakeKube> {
  const store = new FakeStore({
    autoNamespaces: opts.autoNamespaces ?? true, namespaces: opts.namespaces ?? ['default'], ...(opts.clock ? { now: opts.clock } : {}),
  });
  const rolloutSteps = opts.rolloutSteps ?? 3;
  const controllers = new Controllers(store, { rolloutSteps });
  const requests: RecordedRequest[] = [];
  const forbidden: RecordedRequest[] = [];
  const injected: InjectedError[] = [];
  let lastTickError: unknown;

  // Identities: the administrator's token, and the bot's ServiceAccount (the first one the RoleBindings name).
  const rbac = opts.rbac === true ? {} : opts.rbac || undefined;
  const rbacObjects = rbac ? rbacObjectsOf(rbac) : [];
  const sa = rbacObjects.flatMap((o) => (o.subjects as { kind: string; name: string; namespace?: string }[] | undefined) ?? [])
    .find((x) => x.kind === 'ServiceAccount');
  const saUser = serviceAccountUser(sa?.namespace ?? 'switchyard', sa?.name ?? 'switchyard');
  const tokens: Record<FakeKubeUser, string> = { admin: opts.token ?? 'admin-token', switchyard: `sa-token-${saUser.name}` };
  const authenticate = opts.token !== undefined || rbac
    ? (bearer: string | undefined): UserInfo | undefined =>
      bearer === tokens.admin ? ADMIN : rbac && bearer === tokens.switchyard ? saUser : undefined
    : undefined;
  const authorizer = rbac ? new Authorizer(rbacObjects) : undefined;

  const server = createServer((req, res) => {
    void handle({
      store, requests, injected, forbidden,
      ...(authenticate ? { authenticate } : {}),
      ...(authorizer ? { authorizer } : {}),
      onWrite: (info, ns, name) => controllers.react(info.kind, ns, name),
      afterRead: () => {
        try {
          controllers.flushReactions();
        } catch (err) {
          lastTickError = err;
        }
      },
    }, req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

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
    forbidden,
    get ticks() {
      return controllers.ticks;
    },
    get lastTickError() {
      return lastTickError;
    },
    serviceAccount: saUser.name,
    kubeConfig(namespace = 'default', user = rbac ? 'switchyard' : 'admin') {
      const kc = new KubeConfig();
      kc.loadFromOptions({
        clusters: [{ name: 'fake', server: url, skipTLSVerify: true }],
        users: [{ name: 'u', token: tokens[user] }],
        contexts: [{ name: 'fake', cluster: 'fake', user: 'u', namespace }],
        currentContext: 'fake',
      });
      return kc;
    },
    tick(n = 1) {
      for (let i = 0; i < n; i++) controllers.tick();
    },
    settle(maxTicks = 200) {
      const quietNeeded = rolloutSteps + 1;
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
        if (ns && quota) store.setQuotaExceeded(ns, true, quota.name, quota.resource);
      }
    },
    setQuotaExceeded(namespace, exceeded, quotaName, resource) {
      store.setQuotaExceeded(namespace, exceeded, quotaName, resource);
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

function rbacObjectsOf(o: RbacOptions): KubeObject[] {
  const base = o.objects ?? loadManifests(projectRbacFiles());
  const from = o.copyFrom ?? 'staging';
  return [...base, ...(o.namespaces ?? []).flatMap((ns) => copyToNamespace(base, from, ns))];
}
