/**
 * Simulated controllers, advanced one `tick()` at a time: the Deployment controller, Argo Rollouts'
 * blue-green strategy, and ReplicaSets whose pods come up over `rolloutSteps` ticks (or never, for
 * the failure-injecting images). Pods are derived from ReplicaSets on read.
 *
 * Failure injection by image: `pullfail` anywhere in the image → ErrImagePull, then ImagePullBackOff;
 * `crash` in the tag → CrashLoopBackOff; a tag ending in `-broken` → running but never ready. As on
 * a real cluster these show only on the pods (`status.containerStatuses[].state.waiting.reason`):
 * the workload just stays unavailable until its `progressDeadlineSeconds` (default 600) pass
 * without progress, on the store's clock, and then says Progressing=False ProgressDeadlineExceeded.
 * A used-up pod quota leaves pods missing: the ReplicaSet says ReplicaFailure FailedCreate, and its
 * Deployment or Rollout copies that condition (as both controllers do).
 *
 * The controllers also react to every client write of a Deployment or Rollout (`react`), as real
 * ones do through their watches; the reaction's status write lands right after the client's next
 * read (`flushReactions`), i.e. inside the client's read-modify-write, so a write that carries the
 * resourceVersion it read meets 409 Conflict there, as it can on a real cluster.
 */
import { createHash } from 'node:crypto';
import type { FakeStore } from './store.js';
import { defaultPodSpec, imageTag } from './semantics.js';
import { type Json, type KubeObject, canonical, clone, kindInfo, safeHash, timestamp } from './types.js';

export interface ControllerOptions {
  /** Ticks a ReplicaSet takes from scaled up to all pods ready. */
  rolloutSteps: number;
}

export type FailureMode = 'pullfail' | 'crash' | 'broken';

export function imageFailure(image: string): FailureMode | undefined {
  if (image.includes('pullfail')) return 'pullfail';
  const tag = imageTag(image);
  if (tag.includes('crash')) return 'crash';
  if (tag.endsWith('-broken')) return 'broken';
  return undefined;
}

interface TemplateFailure {
  mode: FailureMode;
  container: string;
  image: string;
}

function templateFailure(template: Json): TemplateFailure | undefined {
  for (const c of template?.spec?.containers ?? []) {
    const mode = typeof c?.image === 'string' ? imageFailure(c.image) : undefined;
    if (mode) return { mode, container: c.name, image: c.image };
  }
  return undefined;
}

const DEPLOY_HASH = 'pod-template-hash';
const DEPLOY_REVISION = 'deployment.kubernetes.io/revision';
const ROLLOUT_HASH = 'rollouts-pod-template-hash';
const ROLLOUT_REVISION = 'rollout.argoproj.io/revision';
/** Where Argo Rollouts writes when an old ReplicaSet is to be scaled down (RFC 3339). */
export const SCALE_DOWN_DEADLINE = 'scale-down-deadline';
/** The API's default progressDeadlineSeconds (Deployments), and Argo's for Rollouts. */
const DEFAULT_PROGRESS_DEADLINE_S = 600;
/** Argo's defaults for scaleDownDelaySeconds and abortScaleDownDelaySeconds. */
const DEFAULT_SCALE_DOWN_DELAY_S = 30;

/**
 * The pod template hash (as in the `pod-template-hash` label): stable over the template's content,
 * with pod defaults applied first, so a Rollout template copied back from its (defaulted) ReplicaSet
 * (an undo) matches that ReplicaSet, as Argo's fallback template comparison does.
 */
export function templateHash(template: Json): string {
  const t = clone(template ?? {});
  t.metadata ??= {};
  defaultPodSpec(t.spec);
  if (t.metadata.labels) {
    delete t.metadata.labels[DEPLOY_HASH];
    delete t.metadata.labels[ROLLOUT_HASH];
  }
  return safeHash(canonical(t), 10);
}

const revisionOf = (rs: KubeObject, annotation: string) => Number(rs.metadata.annotations?.[annotation] ?? 0);

interface RsState {
  target: number;
  base: number;
  k: number;
  /** Tick at which the current not-ready pods appeared. */
  podsSince: number;
}

interface WorkloadState {
  /** When (store clock, ms) the rollout last made progress: the progress deadline counts from here. */
  lastProgressAt: number;
  counts?: string;
  createdRS?: number;
  aborted?: boolean;
  /** Argo: the template went back to a ReplicaSet still kept after a promotion; no pause on the way to it. */
  fastTrack?: boolean;
}

interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastUpdateTime?: string;
  lastTransitionTime?: string;
}

/** Conditions keep their timestamps unless they actually change (so a quiet tick writes nothing). */
function setConditions(previous: Condition[] | undefined, wanted: Condition[], withUpdateTime: boolean, now: string): Condition[] {
  return wanted.map((c) => {
    const old = previous?.find((p) => p.type === c.type);
    if (old && old.status === c.status && old.reason === c.reason && old.message === c.message) return old;
    return {
      ...c,
      ...(withUpdateTime ? { lastUpdateTime: now } : {}),
      lastTransitionTime: old && old.status === c.status ? old.lastTransitionTime ?? now : now,
    };
  });
}

function percentOf(v: unknown, total: number, roundUp: boolean): number {
  if (typeof v === 'number') return v;
  const m = typeof v === 'string' ? v.match(/^(\d+)%$/) : null;
  if (!m) return 0;
  const x = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(x) : Math.floor(x);
}

/** A ReplicaSet status (minReadySeconds is ignored: ready pods are available). */
function rsStatus(rs: KubeObject, replicas: number, ready: number): Json {
  return {
    replicas,
    ...counters({ fullyLabeledReplicas: replicas, readyReplicas: ready, availableReplicas: ready }),
    observedGeneration: rs.metadata.generation ?? 1,
  };
}

/** Omit zero counters, as the real status structs do (omitempty). */
function counters(c: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(c).filter(([, v]) => v !== 0));
}

const RS = kindInfo('ReplicaSet');
const DEPLOY = kindInfo('Deployment');
const ROLLOUT = kindInfo('Rollout');
const SERVICE = kindInfo('Service');

export class Controllers {
  ticks = 0;
  private readonly rsState = new Map<string, RsState>();
  private readonly workloads = new Map<string, WorkloadState>();
  /** Workloads (kind/ns/name) a client wrote, whose controller has yet to react. */
  private readonly pending = new Set<string>();

  constructor(
    private readonly store: FakeStore,
    private readonly opts: ControllerOptions,
  ) {
    store.derived.set('pods', (ns) => this.pods(ns));
  }

  tick(): void {
    this.ticks++;
    this.pending.clear(); // a tick reconciles everything anyway
    this.collectGarbage();
    const deployments = this.store.all(DEPLOY).map((d) => d.metadata);
    const rollouts = this.store.all(ROLLOUT).map((r) => r.metadata);
    for (const m of deployments) this.reconcileDeployment(m.namespace!, m.name!);
    for (const m of rollouts) this.reconcileRollout(m.namespace!, m.name!);
    for (const rs of this.store.all(RS)) this.advanceReplicaSet(rs.metadata.namespace!, rs.metadata.name!);
    for (const m of deployments) this.finishDeployment(m.namespace!, m.name!);
    for (const m of rollouts) this.finishRollout(m.namespace!, m.name!);
  }

  /** A client wrote this object: its controller will react (see flushReactions). */
  react(kind: string, ns: string | undefined, name: string): void {
    if (kind === 'Deployment' || kind === 'Rollout') this.pending.add(`${kind}/${ns ?? ''}/${name}`);
  }

  /**
   * The controllers' reactions to client writes: observe the new spec (new ReplicaSet, scaling,
   * status with observedGeneration, promote/abort), without moving any pod.
   */
  flushReactions(): void {
    const due = [...this.pending];
    this.pending.clear();
    for (const key of due) {
      const [kind, ns, name] = key.split('/') as [string, string, string];
      if (kind === 'Deployment') {
        this.reconcileDeployment(ns, name);
        this.finishDeployment(ns, name);
      } else {
        this.reconcileRollout(ns, name);
        this.finishRollout(ns, name);
      }
    }
  }

  // ---- shared ---------------------------------------------------------------------------------

  private now(): number {
    return this.store.now();
  }

  private collectGarbage(): void {
    const uids = new Set([...this.store.all(DEPLOY), ...this.store.all(ROLLOUT)].map((o) => o.metadata.uid));
    for (const rs of this.store.all(RS)) {
      const owner = rs.metadata.ownerReferences?.find((r) => r.controller);
      if (owner && (owner.kind === 'Deployment' || owner.kind === 'Rollout') && !uids.has(owner.uid)) {
        this.store.remove(RS, rs.metadata.namespace, rs.metadata.name!);
      }
    }
    for (const uid of this.rsState.keys()) {
      if (!this.store.all(RS).some((rs) => rs.metadata.uid === uid)) this.rsState.delete(uid);
    }
  }

  private workload(o: KubeObject): WorkloadState {
    let w = this.workloads.get(o.metadata.uid!);
    if (!w) this.workloads.set(o.metadata.uid!, (w = { lastProgressAt: this.now() }));
    return w;
  }

  private owned(owner: KubeObject): KubeObject[] {
    return this.store
      .all(RS, owner.metadata.namespace)
      .filter((rs) => rs.metadata.ownerReferences?.some((r) => r.uid === owner.metadata.uid && r.controller));
  }

  private createReplicaSet(owner: KubeObject, hash: string, hashLabel: string, revAnnotation: string, revision: number, replicas: number): KubeObject {
    const template = clone(owner.spec.template ?? {});
    template.metadata ??= {};
    defaultPodSpec(template.spec); // the API server defaults the ReplicaSet's template
    template.metadata.labels = { ...(template.metadata.labels ?? {}), [hashLabel]: hash };
    const selector = clone(owner.spec.selector ?? {});
    selector.matchLabels = { ...(selector.matchLabels ?? {}), [hashLabel]: hash };
    const copied = Object.fromEntries(
      Object.entries(owner.metadata.annotations ?? {}).filter(
        ([k]) => k !== 'kubectl.kubernetes.io/last-applied-configuration' && k !== revAnnotation,
      ),
    );
    const isDeploy = owner.kind === 'Deployment';
    const surge = isDeploy ? percentOf(owner.spec.strategy?.rollingUpdate?.maxSurge, replicas, true) : 0;
    const rs: KubeObject = {
      metadata: {
        name: `${owner.metadata.name}-${hash}`,
        namespace: owner.metadata.namespace,
        labels: template.metadata.labels,
        annotations: {
          ...copied,
          [revAnnotation]: String(revision),
          ...(isDeploy
            ? { 'deployment.kubernetes.io/desired-replicas': String(replicas), 'deployment.kubernetes.io/max-replicas': String(replicas + surge) }
            : {}),
        },
        ownerReferences: [
          { apiVersion: owner.apiVersion!, kind: owner.kind!, name: owner.metadata.name!, uid: owner.metadata.uid!, controller: true, blockOwnerDeletion: true },
        ],
        generation: 1,
      },
      spec: { replicas, ...(owner.spec.minReadySeconds ? { minReadySeconds: owner.spec.minReadySeconds } : {}), selector, template },
      status: { replicas: 0 },
    };
    const clash = this.store.peek(RS, owner.metadata.namespace, rs.metadata.name!);
    if (clash) {
      // Same name, other owner (a Deployment and a Rollout with one template): what collisionCount is for.
      const liveOwner = clash.metadata.ownerReferences?.some((r) =>
        [...this.store.all(DEPLOY), ...this.store.all(ROLLOUT)].some((o) => o.metadata.uid === r.uid));
      if (liveOwner) rs.metadata.name = `${rs.metadata.name}-${safeHash(owner.metadata.uid!, 3)}`;
      else this.store.remove(RS, owner.metadata.namespace, rs.metadata.name!);
    }
    return this.store.put(RS, rs);
  }

  private scaleReplicaSet(rs: KubeObject, replicas: number): KubeObject {
    if ((rs.spec.replicas ?? 1) === replicas) return rs;
    const next = clone(rs);
    next.spec.replicas = replicas;
    next.metadata.generation = (rs.metadata.generation ?? 1) + 1;
    // Scaling down is immediate: the surplus pods are gone, and with no pod left to create, so is
    // a ReplicaFailure (the ReplicaSet controller drops it on its next sync without a failed create).
    if (replicas <= (rs.status?.replicas ?? 0)) next.status = rsStatus(next, replicas, Math.min(replicas, rs.status?.readyReplicas ?? 0));
    return this.store.put(RS, next);
  }

  /** Argo's scale-down delay: the ReplicaSet keeps its pods until the deadline annotation passes. */
  private scheduleScaleDown(rs: KubeObject, delaySeconds: number): KubeObject {
    if (rs.metadata.annotations?.[SCALE_DOWN_DEADLINE] !== undefined || (rs.spec.replicas ?? 0) === 0) return rs;
    if (delaySeconds <= 0) return this.scaleReplicaSet(rs, 0);
    const next = clone(rs);
    next.metadata.annotations = { ...(next.metadata.annotations ?? {}), [SCALE_DOWN_DEADLINE]: timestamp(new Date(this.now() + delaySeconds * 1000)) };
    return this.store.put(RS, next);
  }

  /** A version in use again (a fast rollback, an undo) keeps its pods. */
  private cancelScaleDown(rs: KubeObject): KubeObject {
    if (rs.metadata.annotations?.[SCALE_DOWN_DEADLINE] === undefined) return rs;
    const next = clone(rs);
    delete next.metadata.annotations![SCALE_DOWN_DEADLINE];
    return this.store.put(RS, next);
  }

  /** Scale down the ReplicaSets whose deadline has passed; they stay, at zero, as revision history. */
  private applyScaleDowns(owner: KubeObject): void {
    for (const rs of this.owned(owner)) {
      const at = rs.metadata.annotations?.[SCALE_DOWN_DEADLINE];
      if (at === undefined || Date.parse(at) > this.now()) continue;
      const next = clone(rs);
      delete next.metadata.annotations![SCALE_DOWN_DEADLINE];
      this.scaleReplicaSet(this.store.put(RS, next), 0);
    }
  }

  /** revisionHistoryLimit: the oldest idle ReplicaSets beyond it go (never the stable or current one). */
  private pruneHistory(owner: KubeObject, hashLabel: string, revAnnotation: string, keep: (string | undefined)[]): void {
    const idle = this.owned(owner)
      .filter((rs) => !keep.includes(rs.metadata.labels?.[hashLabel]))
      .filter((rs) => (rs.spec.replicas ?? 0) === 0 && rs.metadata.annotations?.[SCALE_DOWN_DEADLINE] === undefined)
      .sort((a, b) => revisionOf(b, revAnnotation) - revisionOf(a, revAnnotation));
    const limit = owner.spec?.revisionHistoryLimit ?? 10;
    for (const rs of idle.slice(limit)) this.store.remove(RS, rs.metadata.namespace, rs.metadata.name!);
  }

  private setRevision(rs: KubeObject, annotation: string, revision: number): KubeObject {
    const next = clone(rs);
    next.metadata.annotations = { ...(next.metadata.annotations ?? {}), [annotation]: String(revision) };
    return this.store.put(RS, next);
  }

  /** Pods come up over rolloutSteps ticks; failing images and quota keep them from becoming ready. */
  private advanceReplicaSet(ns: string, name: string): void {
    const rs = this.store.peek(RS, ns, name);
    if (!rs) return;
    const want = rs.spec.replicas ?? 1;
    let st = this.rsState.get(rs.metadata.uid!);
    let replicas = Math.min(rs.status?.replicas ?? 0, want);
    let ready = Math.min(rs.status?.readyReplicas ?? 0, want);
    if (!st || st.target !== want) {
      st = { target: want, base: ready, k: 0, podsSince: st?.podsSince ?? this.ticks };
      this.rsState.set(rs.metadata.uid!, st);
    }
    const failure = templateFailure(rs.spec.template);
    const quota = this.store.podQuota(ns);
    const before = replicas;
    if (ready < want && !quota) {
      if (failure) {
        replicas = Math.max(replicas, Math.min(want, Math.max(1, Math.ceil(want / 4))));
      } else {
        const steps = Math.max(1, this.opts.rolloutSteps);
        st.k = Math.min(steps, st.k + 1);
        ready = st.base + Math.floor(((want - st.base) * st.k) / steps);
        const batch = Math.max(1, Math.ceil((want - st.base) / steps));
        replicas = Math.min(want, Math.max(replicas, ready + (ready < want ? batch : 0)));
      }
    }
    if (replicas > before && before === ready) st.podsSince = this.ticks;
    const status = rsStatus(rs, replicas, ready);
    if (quota && replicas < want) {
      const prev = (rs.status?.conditions as Condition[] | undefined)?.find((c) => c.type === 'ReplicaFailure');
      status.conditions = [prev ?? {
        type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', lastTransitionTime: this.store.timestamp(),
        message: `pods "${name}-${safeHash(`${name}:${this.ticks}`, 5)}" is forbidden: exceeded quota: ${quota}, requested: pods=1, used: pods=10, limited: pods=10`,
      }];
    }
    this.store.put(RS, { ...rs, status });
  }

  /**
   * The new ReplicaSet's ReplicaFailure (pods it could not create: quota), copied onto the workload
   * as the Deployment controller and Argo Rollouts do. Pods that exist but fail (image pulls,
   * crashes) are not replica failures: they show on the pods only.
   */
  private replicaFailure(newRS: KubeObject | undefined, complete: boolean): Condition | undefined {
    if (!newRS || complete) return undefined;
    const c = (newRS.status?.conditions as Condition[] | undefined)?.find((x) => x.type === 'ReplicaFailure' && x.status === 'True');
    return c ? { type: 'ReplicaFailure', status: 'True', reason: c.reason, message: c.message } : undefined;
  }

  /** Whether counts moved since the last tick (progress resets the deadline clock). */
  private noteProgress(w: WorkloadState, counts: unknown): void {
    const c = canonical(counts);
    if (w.counts !== c) {
      w.counts = c;
      w.lastProgressAt = this.now();
    }
  }

  /**
   * spec.progressDeadlineSeconds without progress, on the store's clock (the real controllers
   * compare the Progressing condition's lastUpdateTime with it). MaxInt32 means no deadline.
   */
  private deadlineExceeded(w: WorkloadState, o: KubeObject): boolean {
    const secs: number = o.spec?.progressDeadlineSeconds ?? DEFAULT_PROGRESS_DEADLINE_S;
    if (secs >= 2147483647) return false;
    return this.now() - w.lastProgressAt > secs * 1000;
  }

  // ---- Deployments ----------------------------------------------------------------------------

  private reconcileDeployment(ns: string, name: string): void {
    const d = this.store.peek(DEPLOY, ns, name);
    if (!d || d.metadata.deletionTimestamp || d.spec.paused) return;
    const want = d.spec.replicas ?? 1;
    const w = this.workload(d);
    const hash = templateHash(d.spec.template);
    const owned = this.owned(d);
    const maxRev = Math.max(0, ...owned.map((rs) => revisionOf(rs, DEPLOY_REVISION)));
    let newRS = owned.find((rs) => rs.metadata.labels?.[DEPLOY_HASH] === hash);
    if (!newRS) {
      newRS = this.createReplicaSet(d, hash, DEPLOY_HASH, DEPLOY_REVISION, maxRev + 1, want);
      w.createdRS = this.ticks;
      w.lastProgressAt = this.now();
    } else {
      if (revisionOf(newRS, DEPLOY_REVISION) < maxRev) {
        // Back to an older template (a rollback): that ReplicaSet becomes the newest revision.
        newRS = this.setRevision(newRS, DEPLOY_REVISION, maxRev + 1);
        w.lastProgressAt = this.now();
      }
      newRS = this.scaleReplicaSet(newRS, want);
    }
    if (d.spec.strategy?.type === 'Recreate') {
      for (const old of owned) if (old.metadata.uid !== newRS.metadata.uid) this.scaleReplicaSet(old, 0);
    }
  }

  private finishDeployment(ns: string, name: string): void {
    const d = this.store.peek(DEPLOY, ns, name);
    if (!d || d.metadata.deletionTimestamp) return;
    const want = d.spec.replicas ?? 1;
    const w = this.workload(d);
    const hash = templateHash(d.spec.template);
    let owned = this.owned(d);
    const newRS = owned.find((rs) => rs.metadata.labels?.[DEPLOY_HASH] === hash);
    if (newRS && !d.spec.paused) {
      // Rolling update: old ReplicaSets give way as new pods become available.
      let remaining = Math.max(0, want - (newRS.status?.availableReplicas ?? 0));
      const olds = owned
        .filter((rs) => rs.metadata.uid !== newRS.metadata.uid)
        .sort((a, b) => revisionOf(b, DEPLOY_REVISION) - revisionOf(a, DEPLOY_REVISION));
      for (const old of olds) {
        const keep = Math.min(old.spec.replicas ?? 0, remaining);
        remaining -= keep;
        this.scaleReplicaSet(old, keep);
      }
      // revisionHistoryLimit: drop the oldest scaled-down ReplicaSets beyond it.
      const idle = olds.filter((rs) => (this.store.peek(RS, ns, rs.metadata.name!)?.spec.replicas ?? 0) === 0).reverse();
      const limit = d.spec.revisionHistoryLimit ?? 10;
      for (const rs of idle.slice(0, Math.max(0, idle.length - limit))) this.store.remove(RS, ns, rs.metadata.name!);
      owned = this.owned(d);
    }
    const fresh = newRS ? this.store.peek(RS, ns, newRS.metadata.name!) : undefined;
    const sum = (f: string) => owned.reduce((n, rs) => n + (rs.status?.[f] ?? 0), 0);
    const total = sum('replicas');
    const ready = sum('readyReplicas');
    const available = sum('availableReplicas');
    const updated = fresh?.status?.replicas ?? 0;
    this.noteProgress(w, { total, ready, available, updated, hash });
    const complete = !!fresh && updated === want && total === want && available === want;
    const maxUnavailable = d.spec.strategy?.type === 'Recreate' ? 0 : percentOf(d.spec.strategy?.rollingUpdate?.maxUnavailable, want, false);
    const rsName = fresh?.metadata.name ?? `${name}-${hash}`;
    const wanted: Condition[] = [
      available >= want - maxUnavailable
        ? { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' }
        : { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.' },
      d.spec.paused
        ? { type: 'Progressing', status: 'Unknown', reason: 'DeploymentPaused', message: 'Deployment is paused' }
        : complete
          ? { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${rsName}" has successfully progressed.` }
          : this.deadlineExceeded(w, d)
            ? { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: `ReplicaSet "${rsName}" has timed out progressing.` }
            : w.createdRS === this.ticks
              ? { type: 'Progressing', status: 'True', reason: 'NewReplicaSetCreated', message: `Created new replica set "${rsName}"` }
              : { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', message: `ReplicaSet "${rsName}" is progressing.` },
    ];
    const failure = this.replicaFailure(fresh, complete);
    if (failure) wanted.push(failure);
    const next = clone(d);
    next.status = {
      observedGeneration: d.metadata.generation ?? 1,
      ...counters({ replicas: total, updatedReplicas: updated, readyReplicas: ready, availableReplicas: available, unavailableReplicas: Math.max(0, want - available) }),
      conditions: setConditions(d.status?.conditions, wanted, true, this.store.timestamp()),
    };
    if (fresh) {
      next.metadata.annotations = { ...(next.metadata.annotations ?? {}), [DEPLOY_REVISION]: String(revisionOf(fresh, DEPLOY_REVISION)) };
    }
    this.store.put(DEPLOY, next);
  }

  // ---- Argo Rollouts (blue-green) -------------------------------------------------------------

  private reconcileRollout(ns: string, name: string): void {
    const r = this.store.peek(ROLLOUT, ns, name);
    if (!r || r.metadata.deletionTimestamp) return;
    const want = r.spec?.replicas ?? 1;
    const w = this.workload(r);
    const s: Json = clone(r.status ?? {});
    const stable: string | undefined = s.stableRS;
    const hash = templateHash(r.spec?.template);
    const owned = this.owned(r);
    const maxRev = Math.max(0, ...owned.map((rs) => revisionOf(rs, ROLLOUT_REVISION)));
    let newRS = owned.find((rs) => rs.metadata.labels?.[ROLLOUT_HASH] === hash);
    const bg = r.spec?.strategy?.blueGreen ?? {};

    if (s.currentPodHash !== hash) {
      // A new template (an update), or back to the stable one (an undo): start over from here.
      // The version it replaces, if it never became stable, goes at once (an aborted one keeps its delay).
      const previous = owned.find((rs) => rs.metadata.labels?.[ROLLOUT_HASH] === s.currentPodHash);
      if (previous && s.currentPodHash !== stable && previous.metadata.annotations?.[SCALE_DOWN_DEADLINE] === undefined) {
        this.scaleReplicaSet(previous, 0);
      }
      // Back to a version Argo still keeps up after a promotion (its ReplicaSet has a scale-down
      // deadline, e.g. `kubectl argo rollouts undo` within scaleDownDelaySeconds): Argo fast-tracks
      // it, no BlueGreenPause, the active Service straight to it (isBlueGreenFastTracked).
      w.fastTrack = !!newRS && hash !== stable && newRS.metadata.annotations?.[SCALE_DOWN_DEADLINE] !== undefined && (newRS.spec.replicas ?? 0) > 0;
      s.currentPodHash = hash;
      for (const k of ['abort', 'abortedAt', 'pauseConditions', 'controllerPause', 'promoteFull']) delete s[k];
      w.aborted = false;
      w.lastProgressAt = this.now();
      if (newRS && revisionOf(newRS, ROLLOUT_REVISION) < maxRev) newRS = this.setRevision(newRS, ROLLOUT_REVISION, maxRev + 1);
    }
    const aborted = s.abort === true && hash !== stable;
    if (w.aborted && !aborted) w.lastProgressAt = this.now(); // retried
    w.aborted = aborted;
    if (!newRS) {
      newRS = this.createReplicaSet(r, hash, ROLLOUT_HASH, ROLLOUT_REVISION, maxRev + 1, aborted ? 0 : want);
      w.createdRS = this.ticks;
      w.lastProgressAt = this.now();
    }
    if (aborted) {
      // The aborted preview keeps its pods for abortScaleDownDelaySeconds (0: for good).
      const delay: number = bg.abortScaleDownDelaySeconds ?? DEFAULT_SCALE_DOWN_DELAY_S;
      if (delay > 0) this.scheduleScaleDown(newRS, delay);
    } else {
      this.scaleReplicaSet(this.cancelScaleDown(newRS), want);
    }
    const stableRS = owned.find((rs) => rs.metadata.labels?.[ROLLOUT_HASH] === stable);
    if (stableRS && stableRS.metadata.uid !== newRS.metadata.uid) this.scaleReplicaSet(this.cancelScaleDown(stableRS), want);
    this.applyScaleDowns(r);
    this.pruneHistory(r, ROLLOUT_HASH, ROLLOUT_REVISION, [stable, hash]);
    this.store.put(ROLLOUT, { ...r, status: s });
  }

  private finishRollout(ns: string, name: string): void {
    const r = this.store.peek(ROLLOUT, ns, name);
    if (!r || r.metadata.deletionTimestamp) return;
    const want = r.spec?.replicas ?? 1;
    const w = this.workload(r);
    const s: Json = clone(r.status ?? {});
    const hash: string = s.currentPodHash;
    const bg = r.spec?.strategy?.blueGreen;
    const autoPromote = !bg || bg.autoPromotionEnabled !== false;
    const rsOf = (h: string | undefined) => (h ? this.owned(r).find((rs) => rs.metadata.labels?.[ROLLOUT_HASH] === h) : undefined);
    const newRS = rsOf(hash);
    const newAvailable = newRS?.status?.availableReplicas ?? 0;
    const revision = newRS ? revisionOf(newRS, ROLLOUT_REVISION) : 0;
    s.blueGreen ??= {};
    let progressing: Condition;
    let healthy = false;

    const promote = () => {
      // The old version keeps serving nothing but stays up for scaleDownDelaySeconds (a fast way back).
      const old = rsOf(s.stableRS);
      if (old && old.metadata.uid !== newRS?.metadata.uid) this.scheduleScaleDown(old, bg?.scaleDownDelaySeconds ?? DEFAULT_SCALE_DOWN_DELAY_S);
      s.stableRS = hash;
      s.blueGreen.activeSelector = hash;
      s.blueGreen.previewSelector = hash;
      for (const k of ['pauseConditions', 'controllerPause', 'promoteFull', 'message']) delete s[k];
      s.phase = 'Healthy';
      healthy = true;
      w.fastTrack = false;
    };

    if (!s.stableRS || hash === s.stableRS) {
      // First rollout, or settled on (or back to) the stable template.
      if (newAvailable >= want) {
        promote();
        progressing = { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${newRS!.metadata.name}" has successfully progressed.` };
      } else {
        s.phase = 'Progressing';
        s.message = 'updated replicas are still becoming available';
        progressing = { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', message: `ReplicaSet "${newRS?.metadata.name}" is progressing.` };
      }
    } else if (s.abort === true) {
      s.phase = 'Degraded';
      s.message = `RolloutAborted: Rollout aborted update to revision ${revision}`;
      s.abortedAt ??= this.store.timestamp();
      s.blueGreen.activeSelector = s.stableRS;
      s.blueGreen.previewSelector = s.stableRS;
      delete s.pauseConditions;
      delete s.controllerPause;
      progressing = { type: 'Progressing', status: 'False', reason: 'RolloutAborted', message: `Rollout aborted update to revision ${revision}` };
    } else if (r.spec?.paused) {
      s.phase = 'Paused';
      s.message = 'manually paused';
      progressing = { type: 'Progressing', status: 'Unknown', reason: 'RolloutPaused', message: 'Rollout is paused' };
    } else if (newAvailable >= want) {
      const paused = (s.pauseConditions ?? []).length > 0;
      if (s.promoteFull === true || autoPromote || w.fastTrack || (s.controllerPause === true && !paused)) {
        promote();
        progressing = { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${newRS!.metadata.name}" has successfully progressed.` };
      } else {
        if (!paused) {
          s.pauseConditions = [{ reason: 'BlueGreenPause', startTime: this.store.timestamp() }];
          s.controllerPause = true;
        }
        s.blueGreen.previewSelector = hash;
        s.phase = 'Paused';
        s.message = 'BlueGreenPause';
        progressing = { type: 'Progressing', status: 'Unknown', reason: 'RolloutPaused', message: 'Rollout is paused' };
      }
    } else if (this.deadlineExceeded(w, r)) {
      s.phase = 'Degraded';
      s.message = `ProgressDeadlineExceeded: ReplicaSet "${newRS?.metadata.name}" has timed out progressing.`;
      progressing = { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: `ReplicaSet "${newRS?.metadata.name}" has timed out progressing.` };
    } else {
      s.phase = 'Progressing';
      s.message = (newRS?.status?.replicas ?? 0) < want ? 'more replicas need to be updated' : 'updated replicas are still becoming available';
      progressing = { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', message: `ReplicaSet "${newRS?.metadata.name}" is progressing.` };
    }

    const owned = this.owned(r);
    const sum = (f: string) => owned.reduce((n, rs) => n + (rs.status?.[f] ?? 0), 0);
    const active = rsOf(s.blueGreen.activeSelector) ?? (s.stableRS ? undefined : newRS);
    const available = active?.status?.availableReplicas ?? 0;
    const counts = {
      replicas: sum('replicas'),
      updatedReplicas: this.store.peek(RS, ns, newRS?.metadata.name ?? '')?.status?.replicas ?? 0,
      readyReplicas: sum('readyReplicas'),
      availableReplicas: available,
    };
    if (!s.abort) this.noteProgress(w, { ...counts, hash });
    Object.assign(s, { replicas: 0, updatedReplicas: 0, readyReplicas: 0, availableReplicas: 0 }, counters(counts));
    for (const k of ['replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas']) if (s[k] === 0) delete s[k];
    s.HPAReplicas = counts.replicas;
    s.selector = Object.entries(r.spec?.selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
    s.observedGeneration = String(r.metadata.generation ?? 1);
    if (!Object.keys(s.blueGreen).length) delete s.blueGreen;
    const isPaused = s.phase === 'Paused';
    const wanted: Condition[] = [
      progressing,
      available >= want
        ? { type: 'Available', status: 'True', reason: 'AvailableReason', message: 'Rollout has minimum availability' }
        : { type: 'Available', status: 'False', reason: 'AvailableReason', message: 'Rollout does not have minimum availability' },
      isPaused
        ? { type: 'Paused', status: 'True', reason: 'RolloutPaused', message: 'Rollout is paused' }
        : { type: 'Paused', status: 'False', reason: 'RolloutResumed', message: 'Rollout is resumed' },
      healthy
        ? { type: 'Healthy', status: 'True', reason: 'RolloutHealthy', message: 'Rollout is healthy' }
        : { type: 'Healthy', status: 'False', reason: 'RolloutHealthy', message: 'Rollout is not healthy' },
    ];
    const failure = this.replicaFailure(newRS, healthy || s.abort === true);
    if (failure) wanted.push(failure);
    s.conditions = setConditions(r.status?.conditions, wanted, true, this.store.timestamp());
    const next = { ...r, status: s };
    if (newRS) next.metadata = { ...r.metadata, annotations: { ...(r.metadata.annotations ?? {}), [ROLLOUT_REVISION]: String(revision) } };
    this.store.put(ROLLOUT, next);
    if (bg) {
      this.pointService(ns, bg.activeService, s.blueGreen?.activeSelector, name);
      this.pointService(ns, bg.previewService, s.blueGreen?.previewSelector, name);
    }
  }

  /** Argo points the active/preview Services at a ReplicaSet through the hash label. */
  private pointService(ns: string, svcName: string | undefined, hash: string | undefined, rollout: string): void {
    if (!svcName || !hash) return;
    const svc = this.store.peek(SERVICE, ns, svcName);
    if (!svc) return;
    const next = clone(svc);
    next.spec.selector = { ...(next.spec.selector ?? {}), [ROLLOUT_HASH]: hash };
    next.metadata.annotations = { ...(next.metadata.annotations ?? {}), 'argo-rollouts.argoproj.io/managed-by-rollouts': rollout };
    this.store.put(SERVICE, next);
  }

  // ---- Pods (derived) -------------------------------------------------------------------------

  private podName(rs: KubeObject, i: number): string {
    return `${rs.metadata.name}-${safeHash(`${rs.metadata.uid}:${i}`, 5)}`;
  }

  pods(ns?: string): KubeObject[] {
    const out: KubeObject[] = [];
    for (const rs of this.store.all(RS, ns)) {
      const n = rs.status?.replicas ?? 0;
      const ready = rs.status?.readyReplicas ?? 0;
      for (let i = 0; i < n; i++) out.push(this.pod(rs, i, i < ready));
    }
    return out.sort((a, b) => (a.metadata.name! < b.metadata.name! ? -1 : 1));
  }

  private pod(rs: KubeObject, i: number, ready: boolean): KubeObject {
    const name = this.podName(rs, i);
    const h = createHash('sha256').update(`pod:${rs.metadata.uid}:${i}`).digest('hex');
    const uid = `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
    const ns = rs.metadata.namespace!;
    const age = this.ticks - (this.rsState.get(rs.metadata.uid!)?.podsSince ?? this.ticks);
    const started = rs.metadata.creationTimestamp;
    const containers: Json[] = rs.spec.template?.spec?.containers ?? [];
    let phase = ready ? 'Running' : 'Pending';
    const statuses = containers.map((c) => {
      const base = { name: c.name, image: c.image, imageID: '', restartCount: 0 };
      if (ready) return { ...base, ready: true, started: true, state: { running: { startedAt: started } } };
      const mode = imageFailure(c.image ?? '');
      const failing = templateFailure(rs.spec.template);
      if (mode === 'pullfail') {
        return {
          ...base, ready: false, started: false,
          state: age >= 1
            ? { waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${c.image}"` } }
            : { waiting: { reason: 'ErrImagePull', message: `rpc error: code = NotFound desc = failed to pull and unpack image "${c.image}": not found` } },
        };
      }
      if (mode === 'crash') {
        phase = 'Running';
        return age >= 1
          ? {
            ...base, restartCount: age, ready: false, started: false,
            state: { waiting: { reason: 'CrashLoopBackOff', message: `back-off 10s restarting failed container=${c.name} pod=${name}_${ns}(${uid})` } },
            lastState: { terminated: { exitCode: 1, reason: 'Error', startedAt: started, finishedAt: started } },
          }
          : { ...base, ready: false, started: true, state: { running: { startedAt: started } } };
      }
      if (mode === 'broken' || (failing && failing.mode !== 'broken')) {
        phase = 'Running';
        return { ...base, ready: false, started: true, state: { running: { startedAt: started } } };
      }
      return { ...base, ready: false, started: false, state: { waiting: { reason: 'ContainerCreating' } } };
    });
    const cond = (type: string, ok: boolean) => ({
      type, status: ok ? 'True' : 'False', lastProbeTime: null, lastTransitionTime: started,
      ...(ok ? {} : { reason: 'ContainersNotReady', message: `containers with unready status: [${containers.map((c) => c.name).join(' ')}]` }),
    });
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name, namespace: ns, uid, resourceVersion: rs.metadata.resourceVersion, creationTimestamp: started,
        generateName: `${rs.metadata.name}-`,
        labels: clone(rs.spec.template?.metadata?.labels ?? {}),
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rs.metadata.name!, uid: rs.metadata.uid!, controller: true, blockOwnerDeletion: true }],
      },
      spec: { ...clone(rs.spec.template?.spec ?? {}), nodeName: 'fake-node' },
      status: {
        phase,
        conditions: [cond('PodScheduled', true), cond('Initialized', true), cond('ContainersReady', ready), cond('Ready', ready)],
        hostIP: '10.0.0.1',
        podIP: `10.244.${parseInt(h.slice(0, 2), 16)}.${parseInt(h.slice(2, 4), 16)}`,
        startTime: started,
        containerStatuses: statuses,
      },
    };
  }
}
