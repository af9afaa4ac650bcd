/**
 * Watching a rollout until it is done or will never be: by polling (a watch would do too, but a
 * poll survives API-server restarts and proxies with no extra code, and a rollout takes seconds).
 * Failures become plain-words reasons for the Slack thread.
 */
import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import { apiError, readOrUndefined, statusBody, statusCode, type EnvTarget } from './kube-api.js';
import { imageOf } from './manifests.js';

export type Verdict =
  | { state: 'done' }
  | { state: 'failed'; reason: string }
  | { state: 'progressing'; ready: number; want: number };

export type WaitOutcome = { ok: true } | { ok: false; error: string };

export interface Timing {
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  pollMs: number;
  timeoutMs: number;
}

/**
 * What Kubernetes uses when a Deployment (or an Argo Rollout) sets no progressDeadlineSeconds.
 * K8S_ROLLOUT_TIMEOUT_MS defaults above it (660 s), so on a cluster with the default a stuck rollout
 * is reported with Kubernetes's own verdict (ProgressDeadlineExceeded), not as our timeout.
 */
export const DEFAULT_PROGRESS_DEADLINE_SECONDS = 600;

/** Pod waiting reasons that mean the new version will not come up by itself. */
const PULL = ['ImagePullBackOff', 'ErrImagePull', 'InvalidImageName', 'ErrImageNeverPull'];
const CRASH = ['CrashLoopBackOff'];
const START = ['CreateContainerConfigError', 'CreateContainerError', 'RunContainerError'];

export function podReason(name: string, image: string, reason: string, message = ''): string | undefined {
  if (PULL.includes(reason)) return `${name}: image ${image} cannot be pulled (${reason})`;
  if (CRASH.includes(reason)) return `${name} keeps crashing (${reason})`;
  if (START.includes(reason)) return `${name}: container cannot start (${reason}${message ? `: ${message}` : ''})`;
  return undefined;
}

export function quotaReason(env: string, message: string): string | undefined {
  return /exceeded quota/i.test(message) ? `${env} quota exceeded: ${message}` : undefined;
}

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

/**
 * What a workload's conditions say went wrong, if anything (Deployment and Rollout alike). Pods that
 * fail to pull or keep crashing are not among them: controllers leave those on the pods
 * (podTrouble), and the workload just stays unavailable until its progress deadline.
 */
export function conditionFailure(name: string, env: string, conditions: Condition[] = []): string | undefined {
  for (const c of conditions) {
    if (c.type === 'Progressing' && c.status === 'False' && c.reason === 'ProgressDeadlineExceeded') {
      return `${name} did not become available in time (ProgressDeadlineExceeded)`;
    }
    if (c.type === 'ReplicaFailure' && c.status === 'True') {
      return quotaReason(env, c.message ?? '') ?? `${name}: pods cannot be created (${c.reason ?? 'ReplicaFailure'}: ${c.message ?? ''})`;
    }
  }
  return undefined;
}

/** kubectl rollout status's test, plus the failure conditions. */
export function deploymentVerdict(d: V1Deployment, app: string, env: string): Verdict {
  const s = d.status ?? {};
  const want = d.spec?.replicas ?? 1;
  // A status from before the last write describes the old template: neither success nor failure.
  const observed = (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0);
  if (!observed) return { state: 'progressing', ready: s.readyReplicas ?? 0, want };
  const failed = conditionFailure(app, env, s.conditions);
  if (failed) return { state: 'failed', reason: failed };
  // status.replicas too: old pods still running count as ready and available until they go.
  const settled = [s.replicas, s.updatedReplicas, s.availableReplicas, s.readyReplicas].every((n) => (n ?? 0) === want);
  return settled ? { state: 'done' } : { state: 'progressing', ready: s.readyReplicas ?? 0, want };
}

/** The first waiting reason among pods of `image` that says they will not come up. */
export function podTrouble(pods: V1Pod[], app: string, image: string): { reason: string; message?: string } | undefined {
  for (const p of pods) {
    const specs = p.spec?.containers ?? [];
    const statuses = [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])];
    if (!specs.some((c) => c.image === image)) continue;
    for (const cs of statuses) {
      const w = cs.state?.waiting;
      if (w?.reason && podReason(app, image, w.reason)) return { reason: w.reason, ...(w.message ? { message: w.message } : {}) };
    }
  }
  return undefined;
}

/**
 * Pod trouble that is final, over successive polls: ErrImagePull alone is not (a registry blip);
 * it counts when the next poll still sees it (by then it is usually ImagePullBackOff anyway).
 */
export function troubleTracker(): (pods: V1Pod[], app: string, image: string) => string | undefined {
  let pulling = false;
  return (pods, app, image) => {
    const trouble = podTrouble(pods, app, image);
    const final = trouble && (trouble.reason !== 'ErrImagePull' || pulling);
    pulling = trouble?.reason === 'ErrImagePull';
    return final ? podReason(app, image, trouble.reason, trouble.message) : undefined;
  };
}

/**
 * Pods matching a selector (an API without pods has none). Without the right to list them the
 * adapter cannot see why a rollout is not ready yet: the answer is that, in plain words, as a
 * string (the rollout is still watched through its workload, and whatever failure comes names it;
 * manifests/kubernetes/rbac-*.yaml grants the right). Other errors throw.
 */
export async function listPods(t: EnvTarget, selector: Record<string, string>): Promise<V1Pod[] | string> {
  const labelSelector = Object.entries(selector).map(([k, v]) => `${k}=${v}`).join(',');
  try {
    return (await t.api.core.listNamespacedPod({ namespace: t.namespace, labelSelector })).items;
  } catch (err) {
    const code = statusCode(err);
    if (code === 404) return [];
    if (code === 403) {
      return `switchyard may not list pods in namespace ${t.namespace}, so it could not tell why the rollout was not ready `
        + `(Forbidden: ${statusBody(err).message ?? ''}); grant get and list on pods there (manifests/kubernetes/rbac-*.yaml)`;
    }
    throw apiError(err, `listing pods in ${t.namespace}`);
  }
}

/** `reason`, and what kept the adapter from seeing the pods, if anything did. */
export function withBlindSpot(reason: string, blind: string | undefined): string {
  return blind ? `${reason}; ${blind}` : reason;
}

/** The timeout's words, naming the workload's own deadline when the timeout cut it short. */
export function timeoutReason(app: string, timeoutMs: number, last: Verdict, deadlineSeconds: number | undefined): string {
  const secs = Math.round(timeoutMs / 1000);
  const deadline = deadlineSeconds ?? DEFAULT_PROGRESS_DEADLINE_SECONDS;
  // MaxInt32 means no deadline at all: then the timeout is the only bound, nothing was cut short.
  const cut = deadline * 1000 >= timeoutMs && deadline < 2147483647 ? `, shorter than its progressDeadlineSeconds of ${deadline}s` : '';
  return `${app} did not become ready within ${secs}s (K8S_ROLLOUT_TIMEOUT_MS${cut})${last.state === 'progressing' ? `: ${last.ready}/${last.want} replicas ready` : ''}`;
}

/** Poll `probe` until done, failed, or the timeout. */
export async function waitFor(timing: Timing, probe: () => Promise<Verdict>, onTimeout: (last: Verdict) => string): Promise<WaitOutcome> {
  const deadline = timing.now() + timing.timeoutMs;
  for (;;) {
    const v = await probe();
    if (v.state === 'done') return { ok: true };
    if (v.state === 'failed') return { ok: false, error: v.reason };
    if (timing.now() >= deadline) return { ok: false, error: onTimeout(v) };
    await timing.sleep(timing.pollMs);
  }
}

/** Wait for a Deployment's rollout (read fresh on every poll). */
export function waitForDeployment(timing: Timing, t: EnvTarget, name: string, app: string): Promise<WaitOutcome> {
  const trouble = troubleTracker();
  let deadline: number | undefined;
  let blind: string | undefined;
  const probe = async (): Promise<Verdict> => {
    const d = await readOrUndefined(() => t.api.apps.readNamespacedDeployment({ name, namespace: t.namespace }));
    if (!d) return { state: 'failed', reason: `${name} was deleted from ${t.env} while it was rolling out` };
    deadline = d.spec?.progressDeadlineSeconds;
    const v = deploymentVerdict(d, app, t.env);
    if (v.state === 'failed') return { state: 'failed', reason: withBlindSpot(v.reason, blind) };
    if (v.state !== 'progressing') return v;
    const image = imageOf(d, app);
    const pods = await listPods(t, d.spec?.selector.matchLabels ?? {});
    if (typeof pods === 'string') {
      blind = pods;
      return v;
    }
    const reason = trouble(pods, app, image);
    return reason ? { state: 'failed', reason } : v;
  };
  return waitFor(timing, probe, (last) => withBlindSpot(timeoutReason(app, timing.timeoutMs, last, deadline), blind));
}
