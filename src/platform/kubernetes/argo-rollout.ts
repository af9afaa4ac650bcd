/**
 * Argo Rollouts objects as the blue-green engine reads and writes them: the Rollout manifest, and
 * which slot each of its ReplicaSets is.
 *
 * Slots: the slot goes into the pod template as the label switchyard.io/slot. Argo copies the
 * template onto each ReplicaSet (keyed by rollouts-pod-template-hash), so the slot of a pod hash
 * is read off its ReplicaSet: stable across restarts and promotions, with no bookkeeping of our
 * own to keep in step (an annotation per hash would need a second write after the controller
 * picked a hash). The stable hash is the slot that serves; the current one, when it differs, is
 * the new version waiting in preview.
 */
import type { V1PodTemplateSpec, V1ReplicaSet } from '@kubernetes/client-node';
import type { Slot } from '../port.js';
import { LABEL, type EnvTarget } from './kube-api.js';
import { componentLabels, CONTAINER_PORT } from './manifests.js';

export const ROLLOUTS = { group: 'argoproj.io', version: 'v1alpha1', plural: 'rollouts' } as const;
export const HASH_LABEL = 'rollouts-pod-template-hash';

export interface Rollout {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string; generation?: number; annotations?: Record<string, string>; labels?: Record<string, string> };
  spec: {
    replicas?: number;
    paused?: boolean;
    selector: { matchLabels: Record<string, string> };
    template: V1PodTemplateSpec;
    strategy: { blueGreen?: { activeService: string; previewService?: string; autoPromotionEnabled?: boolean; scaleDownDelaySeconds?: number } };
    [k: string]: unknown;
  };
  status?: {
    phase?: 'Progressing' | 'Paused' | 'Healthy' | 'Degraded' | string;
    message?: string;
    abort?: boolean;
    currentPodHash?: string;
    stableRS?: string;
    observedGeneration?: string | number;
    pauseConditions?: { reason: string; startTime?: string }[] | null;
    readyReplicas?: number;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
}

/** Argo's scaleDownDelaySeconds when the Rollout sets none. */
export const DEFAULT_SCALE_DOWN_DELAY_S = 30;

export const previewService = (workload: string) => `${workload}-preview`;

export function podTemplate(workload: string, slot: Slot, image: string): V1PodTemplateSpec {
  return {
    metadata: { labels: componentLabels(workload, { [LABEL.slot]: slot }) },
    spec: { containers: [{ name: workload, image, ports: [{ containerPort: CONTAINER_PORT }] }] },
  };
}

export function rolloutManifest(namespace: string, workload: string, slot: Slot, image: string, replicas: number, annotations: Record<string, string>): Rollout {
  return {
    apiVersion: `${ROLLOUTS.group}/${ROLLOUTS.version}`,
    kind: 'Rollout',
    metadata: { name: workload, namespace, labels: componentLabels(workload), annotations },
    spec: {
      replicas,
      revisionHistoryLimit: 2,
      selector: { matchLabels: { [LABEL.name]: workload } },
      template: podTemplate(workload, slot, image),
      strategy: { blueGreen: { activeService: workload, previewService: previewService(workload), autoPromotionEnabled: false } },
    },
  };
}

/** The status describes the spec as it is now (Argo writes observedGeneration as a string). */
export function observed(r: Rollout): boolean {
  const og = Number(r.status?.observedGeneration);
  return Number.isNaN(og) || r.status?.observedGeneration === undefined ? true : og >= (r.metadata.generation ?? 0);
}

export interface Version {
  hash: string;
  slot: Slot;
  image: string;
  ready: number;
  createdAt: string;
  template: V1PodTemplateSpec;
}

const slotOf = (labels: Record<string, string> | undefined): Slot | undefined =>
  labels?.[LABEL.slot] === 'blue' || labels?.[LABEL.slot] === 'green' ? (labels[LABEL.slot] as Slot) : undefined;

/** The Rollout's versions by pod hash, read off its ReplicaSets. */
export async function versions(t: EnvTarget, r: Rollout): Promise<Map<string, Version>> {
  const workload = r.metadata.name;
  const list = await t.api.apps.listNamespacedReplicaSet({ namespace: t.namespace, labelSelector: `${LABEL.name}=${workload}` });
  const out = new Map<string, Version>();
  for (const rs of list.items) {
    const owners = rs.metadata?.ownerReferences ?? [];
    if (owners.length && !owners.some((o) => o.kind === 'Rollout' && o.name === workload)) continue;
    const v = version(rs, workload);
    if (v) out.set(v.hash, v);
  }
  // The controller has not made the current ReplicaSet yet: the template is the current version.
  const current = r.status?.currentPodHash;
  const slot = slotOf(r.spec.template.metadata?.labels);
  if (current && !out.has(current) && slot && observed(r)) {
    out.set(current, { hash: current, slot, image: imageOfTemplate(r.spec.template, workload), ready: 0, createdAt: new Date(0).toISOString(), template: r.spec.template });
  }
  return out;
}

function version(rs: V1ReplicaSet, workload: string): Version | undefined {
  const template = rs.spec?.template;
  const hash = rs.metadata?.labels?.[HASH_LABEL] ?? template?.metadata?.labels?.[HASH_LABEL];
  const slot = slotOf(template?.metadata?.labels) ?? slotOf(rs.metadata?.labels);
  if (!hash || !slot || !template) return undefined;
  const created = rs.metadata?.creationTimestamp;
  return {
    hash, slot, template,
    image: imageOfTemplate(template, workload),
    ready: rs.status?.readyReplicas ?? 0,
    createdAt: created ? new Date(created).toISOString() : new Date(0).toISOString(),
  };
}

export function imageOfTemplate(t: V1PodTemplateSpec, workload: string): string {
  const cs = t.spec?.containers ?? [];
  return (cs.find((c) => c.name === workload) ?? cs[0])?.image ?? '';
}

/** A ReplicaSet's pod template as a Rollout template: without the hash label Argo adds. */
export function templateForRollout(v: Version): V1PodTemplateSpec {
  const { [HASH_LABEL]: _h, ...labels } = v.template.metadata?.labels ?? {};
  return { ...v.template, metadata: { ...v.template.metadata, labels } };
}
