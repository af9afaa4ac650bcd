/**
 * Blue-green with plain Deployments: `<workload>-blue` and `<workload>-green` (label
 * switchyard.io/slot), and a Service `<workload>` whose selector's switchyard.io/slot says which
 * one takes the traffic. The Service is created by the first switch, so a first version that never
 * comes up leaves no Service pointing at it. Every operation brings the cluster to a state, so a
 * repeat is harmless.
 */
import type { V1Deployment, V1Service } from '@kubernetes/client-node';
import type { BlueGreenObservation, DeploySlotRequest, Slot, SlotObservation, SlotRequest } from '../port.js';
import { ANNOTATION, LABEL, MERGE_PATCH, apiError, isNotFound, readOrUndefined, refusal, retryOnConflict, type EnvTarget } from './kube-api.js';
import { annotationsOf, deploymentManifest, imageOf, serviceManifest } from './manifests.js';
import { deploymentVerdict, waitForDeployment, type WaitOutcome } from './rollout-watch.js';
import type { AdapterContext } from './release-ops.js';

const SLOTS: Slot[] = ['blue', 'green'];
const slotName = (workload: string, slot: Slot) => `${workload}-${slot}`;

export class NativeBlueGreen {
  constructor(private readonly c: AdapterContext) {}

  async bgInspect(t: EnvTarget, workload: string): Promise<BlueGreenObservation | undefined> {
    const [service, ...deps] = await Promise.all([this.service(t, workload), ...SLOTS.map((s) => this.slot(t, workload, s))]);
    const slots: BlueGreenObservation['slots'] = {};
    SLOTS.forEach((s, i) => {
      const d = deps[i] as V1Deployment | undefined;
      if (d) slots[s] = observe(s, d, workload, t.env);
    });
    if (!slots.blue && !slots.green) return undefined;
    const serving = servingSlot(service);
    return { env: t.env, workload, ...(serving ? { serving } : {}), slots };
  }

  async bgDeploySlot(t: EnvTarget, req: DeploySlotRequest): Promise<WaitOutcome> {
    const name = slotName(req.workload, req.slot);
    try {
      const repeat = await retryOnConflict(this.c.timing.sleep, async () => {
        const cur = await this.slot(t, req.workload, req.slot);
        if (cur && annotationsOf(cur)[ANNOTATION.opId] === req.opId) return annotationsOf(cur)[ANNOTATION.opError] ?? true;
        if (servingSlot(await this.service(t, req.workload)) === req.slot) {
          return `slot ${req.slot} of ${req.workload} receives traffic; deploy to the idle slot`;
        }
        const body = deploymentManifest({
          name, namespace: t.namespace, app: req.workload, image: req.image, replicas: req.replicas,
          extraLabels: { [LABEL.slot]: req.slot }, annotations: { [ANNOTATION.opId]: req.opId, [ANNOTATION.op]: 'slot' },
        });
        if (!cur) await t.api.apps.createNamespacedDeployment({ namespace: t.namespace, body });
        else await t.api.apps.replaceNamespacedDeployment({ name, namespace: t.namespace, body: { ...body, metadata: { ...body.metadata, resourceVersion: cur.metadata?.resourceVersion } } });
        return false;
      });
      if (typeof repeat === 'string') return { ok: false, error: repeat };
    } catch (err) {
      const reason = refusal(err, t);
      if (reason) return { ok: false, error: reason };
      throw apiError(err, `writing deployment ${t.namespace}/${name}`);
    }
    const out = await waitForDeployment(this.c.timing, t, name, req.workload);
    if (!out.ok) await this.recordError(t, name, req.opId, out.error);
    return out;
  }

  async bgSwitch(t: EnvTarget, req: SlotRequest): Promise<void> {
    const d = await this.slot(t, req.workload, req.slot);
    if (!d) throw new Error(`slot ${req.slot} of ${req.workload} does not exist`);
    if (deploymentVerdict(d, req.workload, t.env).state !== 'done') throw new Error(`slot ${req.slot} of ${req.workload} is not ready`);
    const service = await this.service(t, req.workload);
    if (servingSlot(service) === req.slot) return;
    try {
      if (!service) {
        const body = serviceManifest(req.workload, t.namespace, { [LABEL.name]: req.workload, [LABEL.slot]: req.slot });
        await t.api.core.createNamespacedService({ namespace: t.namespace, body });
      } else {
        // One merge patch of one selector key: the switch is atomic, and a repeat changes nothing.
        const body = { spec: { selector: { [LABEL.slot]: req.slot } } };
        await retryOnConflict(this.c.timing.sleep, () => t.api.core.patchNamespacedService({ name: req.workload, namespace: t.namespace, body }, MERGE_PATCH));
      }
    } catch (err) {
      throw new Error(refusal(err, t) ?? apiError(err, `switching service ${t.namespace}/${req.workload}`).message);
    }
  }

  async bgDeleteSlot(t: EnvTarget, req: SlotRequest): Promise<void> {
    if (servingSlot(await this.service(t, req.workload)) === req.slot) {
      throw new Error(`slot ${req.slot} of ${req.workload} receives traffic`);
    }
    const name = slotName(req.workload, req.slot);
    try {
      // Scale to zero first, so the pods drain with their grace period before the object goes.
      const body = { spec: { replicas: 0 } };
      await retryOnConflict(this.c.timing.sleep, () => t.api.apps.patchNamespacedDeployment({ name, namespace: t.namespace, body }, MERGE_PATCH));
      await t.api.apps.deleteNamespacedDeployment({ name, namespace: t.namespace, propagationPolicy: 'Background' });
    } catch (err) {
      if (isNotFound(err)) return; // missing is fine
      throw new Error(refusal(err, t) ?? apiError(err, `deleting deployment ${t.namespace}/${name}`).message);
    }
  }

  private slot(t: EnvTarget, workload: string, slot: Slot): Promise<V1Deployment | undefined> {
    return readOrUndefined(() => t.api.apps.readNamespacedDeployment({ name: slotName(workload, slot), namespace: t.namespace }));
  }

  private service(t: EnvTarget, workload: string): Promise<V1Service | undefined> {
    return readOrUndefined(() => t.api.core.readNamespacedService({ name: workload, namespace: t.namespace }));
  }

  /** Record a failed slot rollout on the Deployment, so a repeat of the step answers the same at once. */
  private async recordError(t: EnvTarget, name: string, opId: string, error: string): Promise<void> {
    const body = { metadata: { annotations: { [ANNOTATION.opError]: error } } };
    const d = await readOrUndefined(() => t.api.apps.readNamespacedDeployment({ name, namespace: t.namespace })).catch(() => undefined);
    if (!d || annotationsOf(d)[ANNOTATION.opId] !== opId) return;
    await t.api.apps.patchNamespacedDeployment({ name, namespace: t.namespace, body }, MERGE_PATCH).catch(() => undefined);
  }
}

function servingSlot(s: V1Service | undefined): Slot | undefined {
  const slot = s?.spec?.selector?.[LABEL.slot];
  return slot === 'blue' || slot === 'green' ? slot : undefined;
}

function observe(slot: Slot, d: V1Deployment, workload: string, env: string): SlotObservation {
  const created = d.metadata?.creationTimestamp;
  return {
    slot,
    image: imageOf(d, workload),
    replicas: d.spec?.replicas ?? 1,
    ready: deploymentVerdict(d, workload, env).state === 'done',
    createdAt: created ? new Date(created).toISOString() : new Date(0).toISOString(),
  };
}
