/**
 * Blue-green with Argo Rollouts: one Rollout `<workload>` with strategy.blueGreen (active Service
 * `<workload>`, preview `<workload>-preview`, no auto-promotion). A new version waits Paused beside
 * the stable one; promote and abort are the same patches `kubectl argo rollouts` sends, and a
 * release undone while the old version is kept is its `undo`.
 */
import type { BlueGreenObservation, DeploySlotRequest, SlotObservation, SlotRequest } from '../port.js';
import { ANNOTATION, LABEL, MERGE_PATCH, apiError, readOrUndefined, refusal, retryOnConflict, statusCode, type EnvTarget } from './kube-api.js';
import { serviceManifest } from './manifests.js';
import type { AdapterContext } from './release-ops.js';
import {
  DEFAULT_SCALE_DOWN_DELAY_S, HASH_LABEL, ROLLOUTS, imageOfTemplate, observed, podTemplate, previewService, rolloutManifest, templateForRollout, versions, type Rollout, type Version,
} from './argo-rollout.js';
import { conditionFailure, listPods, timeoutReason, troubleTracker, waitFor, withBlindSpot, type Verdict, type WaitOutcome } from './rollout-watch.js';

export class ArgoBlueGreen {
  constructor(private readonly c: AdapterContext) {}

  async bgInspect(t: EnvTarget, workload: string): Promise<BlueGreenObservation | undefined> {
    const r = await this.read(t, workload);
    if (!r) return undefined;
    const vs = await versions(t, r);
    const slots: BlueGreenObservation['slots'] = {};
    const replicas = r.spec.replicas ?? 1;
    for (const hash of new Set([r.status?.stableRS, r.status?.currentPodHash])) {
      const v = hash ? vs.get(hash) : undefined;
      if (v) slots[v.slot] = observe(v, replicas);
    }
    if (!slots.blue && !slots.green) return undefined;
    const serving = this.serving(r, vs);
    return { env: t.env, workload, ...(serving ? { serving: serving.slot } : {}), slots };
  }

  async bgDeploySlot(t: EnvTarget, req: DeploySlotRequest): Promise<WaitOutcome> {
    try {
      const early = await retryOnConflict(this.c.timing.sleep, async () => {
        const r = await this.read(t, req.workload);
        const annotations = { [ANNOTATION.opId]: req.opId, [ANNOTATION.op]: 'slot' };
        if (r?.metadata.annotations?.[ANNOTATION.opId] === req.opId) {
          const error = r.metadata.annotations[ANNOTATION.opError];
          return error ? { ok: false as const, error } : undefined;
        }
        if (!r) {
          await this.ensureServices(t, req.workload);
          const body = rolloutManifest(t.namespace, req.workload, req.slot, req.image, req.replicas, annotations);
          await t.api.custom.createNamespacedCustomObject({ ...ROLLOUTS, namespace: t.namespace, body });
          return undefined;
        }
        if (this.serving(r, await versions(t, r))?.slot === req.slot) {
          return { ok: false as const, error: `slot ${req.slot} of ${req.workload} receives traffic; deploy to the idle slot` };
        }
        r.metadata.annotations = { ...withoutError(r.metadata.annotations), ...annotations };
        r.spec = { ...r.spec, replicas: req.replicas, template: podTemplate(req.workload, req.slot, req.image) };
        await t.api.custom.replaceNamespacedCustomObject({ ...ROLLOUTS, namespace: t.namespace, name: req.workload, body: r });
        return undefined;
      });
      if (early) return early;
    } catch (err) {
      const reason = refusal(err, t);
      if (reason) return { ok: false, error: reason };
      throw apiError(err, `writing rollout ${t.namespace}/${req.workload}`);
    }
    const out = await this.waitReady(t, req);
    if (!out.ok) await this.recordError(t, req.workload, req.opId, out.error);
    return out;
  }

  /**
   * Send the traffic to `slot`:
   * - the new version, Paused beside the stable one: promote it with the patches of `kubectl argo
   *   rollouts promote`; where the old version must stay up a while (keepOldForMs), Argo's
   *   scaleDownDelaySeconds is raised to cover it first (see keepOld);
   * - the old version, still up after a promotion (a release undone while it is kept): switch back
   *   to it (see switchBack).
   * Either way it resolves once the slot is stable and the active Service on it.
   */
  async bgSwitch(t: EnvTarget, req: SlotRequest): Promise<void> {
    const r = await this.read(t, req.workload);
    if (!r) throw new Error(`${req.workload} has no Rollout in ${t.env}`);
    const vs = await versions(t, r);
    const serving = this.serving(r, vs);
    if (serving?.slot === req.slot) return; // already there: a repeat, or the first version
    const current = r.status?.currentPodHash ? vs.get(r.status.currentPodHash) : undefined;
    if (serving && current?.hash === serving.hash) return this.switchBack(t, req, serving, vs, r.spec.replicas ?? 1);
    if (current?.slot !== req.slot) throw new Error(`slot ${req.slot} of ${req.workload} does not exist`);
    // Promoting a version whose pods are not all ready would only wait for them (Argo switches the
    // active Service once they are): a pull or crash failure before its deadline is not Degraded yet.
    const notReady = r.status?.abort || r.status?.phase === 'Degraded' || current.ready < (r.spec.replicas ?? 1);
    if (notReady) throw new Error(`slot ${req.slot} of ${req.workload} is not ready`);
    // Before the promote: Argo reads the delay when it moves the active Service.
    if (req.keepOldForMs) await this.keepOld(t, r, req.keepOldForMs);
    await this.patch(t, req.workload, { status: { pauseConditions: null } }, 'status');
    await this.patch(t, req.workload, { spec: { paused: false } });
    const out = await waitFor(this.c.timing, async (): Promise<Verdict> => {
      const now = await this.read(t, req.workload);
      const s = now?.status;
      if (s?.abort) return { state: 'failed', reason: 'the rollout was aborted' };
      return s?.stableRS && s.stableRS === s.currentPodHash && s.phase === 'Healthy' ? { state: 'done' } : { state: 'progressing', ready: s?.readyReplicas ?? 0, want: now?.spec.replicas ?? 1 };
    }, () => `promotion did not finish within ${Math.round(this.c.timing.timeoutMs / 1000)}s`);
    if (!out.ok) throw new Error(`${req.workload} could not be switched to ${req.slot}: ${out.error}`);
  }

  /**
   * After a promotion Argo keeps the old ReplicaSet's pods for scaleDownDelaySeconds (default 30),
   * counted from the switch of the active Service. The bot's watch counts keepOldFor from a little
   * later (once the promotion was seen to finish), and a switch back at its very end still needs
   * the old pods: so the delay is raised to keepOldFor, rounded up to seconds, plus Argo's default
   * 30 s as the margin. Only ever raised: a longer delay the team set stays.
   */
  private async keepOld(t: EnvTarget, r: Rollout, keepOldForMs: number): Promise<void> {
    const want = Math.ceil(keepOldForMs / 1000) + DEFAULT_SCALE_DOWN_DELAY_S;
    const has = r.spec.strategy.blueGreen?.scaleDownDelaySeconds;
    if (typeof has === 'number' && has >= want) return;
    await this.patch(t, r.metadata.name, { spec: { strategy: { blueGreen: { scaleDownDelaySeconds: want } } } });
  }

  /**
   * Back to the old version after a promotion, while Argo still keeps its pods: what `kubectl argo
   * rollouts undo` does, the Rollout's template set back to the old ReplicaSet's. Argo fast-tracks
   * a template whose ReplicaSet still carries its scale-down deadline (no BlueGreenPause: the active
   * Service goes straight back to those pods, already up), and it becomes the stable version again.
   * An abort would not do: after a promotion the new version is the stable one, and an abort only
   * ever returns to the stable one. Should Argo pause the way back all the same (a controller that
   * does not fast-track), it is promoted: it is a version that already served.
   */
  private async switchBack(t: EnvTarget, req: SlotRequest, serving: Version, vs: Map<string, Version>, replicas: number): Promise<void> {
    const olds = [...vs.values()].filter((v) => v.slot === req.slot && v.hash !== serving.hash).sort((a, b) => b.ready - a.ready || b.createdAt.localeCompare(a.createdAt));
    const back = olds[0];
    if (!back) throw new Error(`slot ${req.slot} of ${req.workload} does not exist`);
    if (back.ready < replicas) throw new Error(`slot ${req.slot} of ${req.workload} is not ready (its pods were scaled down)`);
    const at = { ...ROLLOUTS, namespace: t.namespace, name: req.workload };
    try {
      await retryOnConflict(this.c.timing.sleep, async () => {
        const fresh = await this.read(t, req.workload);
        if (!fresh) throw new Error(`${req.workload} has no Rollout in ${t.env}`);
        const tpl = fresh.spec.template;
        if (tpl.metadata?.labels?.[LABEL.slot] === back.slot && imageOfTemplate(tpl, req.workload) === back.image) return; // a repeat
        fresh.spec = { ...fresh.spec, template: templateForRollout(back) };
        await t.api.custom.replaceNamespacedCustomObject({ ...at, body: fresh });
      });
    } catch (err) {
      throw new Error(refusal(err, t) ?? apiError(err, `writing rollout ${t.namespace}/${req.workload}`).message);
    }
    let promoted = false;
    const out = await waitFor(this.c.timing, async (): Promise<Verdict> => {
      const now = await this.read(t, req.workload);
      if (!now) return { state: 'failed', reason: `${req.workload} was deleted from ${t.env}` };
      const s = now.status ?? {};
      const want = now.spec.replicas ?? 1;
      if (!observed(now) || s.currentPodHash !== back.hash) return { state: 'progressing', ready: 0, want };
      if (s.stableRS === back.hash && s.phase === 'Healthy') return { state: 'done' };
      if (s.abort) return { state: 'failed', reason: 'the rollout was aborted' };
      if (!promoted && s.phase === 'Paused' && (s.pauseConditions ?? []).some((p) => p.reason === 'BlueGreenPause')) {
        await this.patch(t, req.workload, { status: { pauseConditions: null } }, 'status');
        promoted = true;
      }
      return { state: 'progressing', ready: s.readyReplicas ?? 0, want };
    }, () => `the switch back did not finish within ${Math.round(this.c.timing.timeoutMs / 1000)}s`);
    if (!out.ok) throw new Error(`${req.workload} could not be switched back to ${req.slot}: ${out.error}`);
  }

  /**
   * The new version while Paused or Degraded: abort, then undo to the stable ReplicaSet's template.
   * The old version after a promote: nothing to do (Argo scales it down after scaleDownDelaySeconds).
   * A first version that never came up: delete the Rollout.
   */
  async bgDeleteSlot(t: EnvTarget, req: SlotRequest): Promise<void> {
    const r = await this.read(t, req.workload);
    if (!r) return;
    const vs = await versions(t, r);
    const serving = this.serving(r, vs);
    if (serving?.slot === req.slot) throw new Error(`slot ${req.slot} of ${req.workload} receives traffic`);
    const at = { ...ROLLOUTS, namespace: t.namespace, name: req.workload };
    const current = r.status?.currentPodHash ? vs.get(r.status.currentPodHash) : undefined;
    if (!serving) {
      if (current?.slot === req.slot) await t.api.custom.deleteNamespacedCustomObject(at).catch(ignore404);
      return;
    }
    if (current?.slot !== req.slot) return;
    await this.patch(t, req.workload, { status: { abort: true } }, 'status');
    await retryOnConflict(this.c.timing.sleep, async () => {
      const fresh = await this.read(t, req.workload);
      if (!fresh || fresh.status?.stableRS !== serving.hash) return;
      fresh.spec = { ...fresh.spec, template: templateForRollout(serving) };
      await t.api.custom.replaceNamespacedCustomObject({ ...at, body: fresh });
    });
  }

  /** A merge patch of the Rollout (or its status subresource), again on 409 Conflict. */
  private patch(t: EnvTarget, name: string, body: object, sub?: 'status'): Promise<unknown> {
    const ref = { ...ROLLOUTS, namespace: t.namespace, name, body };
    return retryOnConflict(this.c.timing.sleep, () =>
      sub ? t.api.custom.patchNamespacedCustomObjectStatus(ref, MERGE_PATCH) : t.api.custom.patchNamespacedCustomObject(ref, MERGE_PATCH),
    );
  }

  private read(t: EnvTarget, name: string): Promise<Rollout | undefined> {
    return readOrUndefined(async () => (await t.api.custom.getNamespacedCustomObject({ ...ROLLOUTS, namespace: t.namespace, name })) as Rollout);
  }

  /** The stable version, once it has served: a first version still coming up serves nobody yet. */
  private serving(r: Rollout, vs: Map<string, Version>): Version | undefined {
    const s = r.status ?? {};
    const stable = s.stableRS ? vs.get(s.stableRS) : undefined;
    if (!stable) return undefined;
    const first = s.stableRS === s.currentPodHash && [...vs.keys()].length <= 1;
    return first && !(s.phase === 'Healthy' || s.phase === 'Paused') ? undefined : stable;
  }

  private async ensureServices(t: EnvTarget, workload: string): Promise<void> {
    for (const name of [workload, previewService(workload)]) {
      const body = serviceManifest(name, t.namespace, { [LABEL.name]: workload }, workload);
      await t.api.core.createNamespacedService({ namespace: t.namespace, body }).catch((err: unknown) => {
        if (statusCode(err) !== 409) throw err;
      });
    }
  }

  /** Ready: Paused on BlueGreenPause with the new pods, or Healthy (a first version). */
  private waitReady(t: EnvTarget, req: DeploySlotRequest): Promise<WaitOutcome> {
    const trouble = troubleTracker();
    let deadline: number | undefined;
    let blind: string | undefined;
    const probe = async (): Promise<Verdict> => {
      const r = await this.read(t, req.workload);
      if (!r) return { state: 'failed', reason: `${req.workload} was deleted from ${t.env} while it was rolling out` };
      deadline = typeof r.spec.progressDeadlineSeconds === 'number' ? r.spec.progressDeadlineSeconds : undefined;
      const s = r.status ?? {};
      const want = r.spec.replicas ?? 1;
      if (!observed(r)) return { state: 'progressing', ready: 0, want };
      if (s.abort) return { state: 'failed', reason: `the update of ${req.workload} was aborted${s.message ? ` (${s.message})` : ''}` };
      const failed = conditionFailure(req.workload, t.env, s.conditions);
      if (failed) return { state: 'failed', reason: withBlindSpot(failed, blind) };
      if (s.phase === 'Degraded') return { state: 'failed', reason: withBlindSpot(`${req.workload} is degraded${s.message ? ` (${s.message})` : ''}`, blind) };
      const paused = s.phase === 'Paused' && (s.pauseConditions ?? []).some((p) => p.reason === 'BlueGreenPause');
      if (paused || s.phase === 'Healthy') {
        // A status not yet about our template (a controller that omits observedGeneration): wait.
        const v = s.currentPodHash ? (await versions(t, r)).get(s.currentPodHash) : undefined;
        return v && (v.image !== req.image || v.slot !== req.slot) ? { state: 'progressing', ready: 0, want } : { state: 'done' };
      }
      const pods = s.currentPodHash ? await listPods(t, { [HASH_LABEL]: s.currentPodHash }) : [];
      if (typeof pods === 'string') {
        blind = pods;
        return { state: 'progressing', ready: s.readyReplicas ?? 0, want };
      }
      const reason = trouble(pods, req.workload, req.image);
      if (reason) return { state: 'failed', reason };
      return { state: 'progressing', ready: s.readyReplicas ?? 0, want };
    };
    return waitFor(this.c.timing, probe, (last) => withBlindSpot(timeoutReason(req.workload, this.c.timing.timeoutMs, last, deadline), blind));
  }

  private async recordError(t: EnvTarget, workload: string, opId: string, error: string): Promise<void> {
    const r = await this.read(t, workload).catch(() => undefined);
    if (r?.metadata.annotations?.[ANNOTATION.opId] !== opId) return;
    const body = { metadata: { annotations: { [ANNOTATION.opError]: error } } };
    await t.api.custom.patchNamespacedCustomObject({ ...ROLLOUTS, namespace: t.namespace, name: workload, body }, MERGE_PATCH).catch(() => undefined);
  }
}

function observe(v: Version, replicas: number): SlotObservation {
  return { slot: v.slot, image: v.image, replicas, ready: v.ready >= replicas, createdAt: v.createdAt };
}

function withoutError(a: Record<string, string> = {}): Record<string, string> {
  const { [ANNOTATION.opError]: _e, ...rest } = a;
  return rest;
}

function ignore404(err: unknown): void {
  if (statusCode(err) !== 404) throw err;
}
