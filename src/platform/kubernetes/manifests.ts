/**
 * The objects Switchyard writes, as plain manifests. A component is a Deployment with one
 * container named after it, and a ClusterIP Service `<name>` selecting it: port 80 to the
 * container's 8080 (the convention Switchyard assumes; a cloned Service keeps the source's ports).
 */
import type { V1Deployment, V1Service } from '@kubernetes/client-node';
import { ANNOTATION, LABEL, MANAGER } from './kube-api.js';

export const SERVICE_PORT = 80;
export const CONTAINER_PORT = 8080;

export function componentLabels(name: string, extra: Record<string, string> = {}): Record<string, string> {
  return { [LABEL.name]: name, [LABEL.managedBy]: MANAGER, ...extra };
}

export interface DeploymentSpec {
  name: string;
  namespace: string;
  /** The container's name and the app.kubernetes.io/name label: the component or workload. */
  app: string;
  image: string;
  replicas: number;
  extraLabels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export function deploymentManifest(s: DeploymentSpec): V1Deployment {
  const labels = componentLabels(s.app, s.extraLabels);
  const selector = { [LABEL.name]: s.app, ...s.extraLabels };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: s.name, namespace: s.namespace, labels, annotations: { ...s.annotations } },
    spec: {
      replicas: s.replicas,
      selector: { matchLabels: selector },
      template: {
        metadata: { labels },
        spec: { containers: [{ name: s.app, image: s.image, ports: [{ containerPort: CONTAINER_PORT }] }] },
      },
    },
  };
}

export function serviceManifest(name: string, namespace: string, selector: Record<string, string>, app = name): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace, labels: componentLabels(app) },
    spec: { type: 'ClusterIP', selector, ports: [{ name: 'http', port: SERVICE_PORT, targetPort: CONTAINER_PORT }] },
  };
}

/** The container Switchyard manages: the one named after the component, else the first. */
export function mainContainerIndex(d: V1Deployment, name: string): number {
  const containers = d.spec?.template.spec?.containers ?? [];
  const i = containers.findIndex((c) => c.name === name);
  return i >= 0 ? i : 0;
}

export function imageOf(d: V1Deployment, name: string): string {
  return d.spec?.template.spec?.containers[mainContainerIndex(d, name)]?.image ?? '';
}

export const annotationsOf = (o: { metadata?: { annotations?: Record<string, string> } }) => o.metadata?.annotations ?? {};

/** Annotations the cluster or kubectl set, which must not travel to a copy. */
const CLUSTER_ANNOTATIONS = [
  'deployment.kubernetes.io/revision',
  'kubectl.kubernetes.io/last-applied-configuration',
  ...Object.values(ANNOTATION),
];

function strippedMetadata(m: V1Deployment['metadata'], namespace: string, annotations: Record<string, string>) {
  const {
    uid: _u, resourceVersion: _r, creationTimestamp: _c, generation: _g, managedFields: _m, ownerReferences: _o,
    selfLink: _s, deletionTimestamp: _d, deletionGracePeriodSeconds: _dg, finalizers: _f, ...rest
  } = m ?? {};
  const kept = Object.fromEntries(Object.entries(rest.annotations ?? {}).filter(([k]) => !CLUSTER_ANNOTATIONS.includes(k)));
  return { ...rest, namespace, annotations: { ...kept, ...annotations } };
}

/** A Deployment copied to another namespace, without what the cluster set on the original. */
export function cloneDeployment(src: V1Deployment, namespace: string, annotations: Record<string, string>): V1Deployment {
  const { status: _status, ...rest } = src;
  return { ...rest, apiVersion: 'apps/v1', kind: 'Deployment', metadata: strippedMetadata(src.metadata, namespace, annotations) };
}

/** A Service copied to another namespace: no cluster IPs, no node ports (they are cluster-wide). */
export function cloneService(src: V1Service, namespace: string): V1Service {
  const { status: _status, ...rest } = src;
  const { clusterIP: _ip, clusterIPs: _ips, healthCheckNodePort: _h, ...spec } = src.spec ?? {};
  const ports = spec.ports?.map(({ nodePort: _n, ...p }) => p);
  return {
    ...rest,
    apiVersion: 'v1',
    kind: 'Service',
    metadata: strippedMetadata(src.metadata, namespace, {}),
    spec: { ...spec, ...(ports ? { ports } : {}) },
  };
}

/** ISO time of a Deployment's last change: its newest condition, else its creation. */
export function updatedAtOf(d: V1Deployment): string {
  const times = [d.metadata?.creationTimestamp, ...(d.status?.conditions ?? []).flatMap((c) => [c.lastUpdateTime, c.lastTransitionTime])]
    .filter((t): t is Date => !!t)
    .map((t) => new Date(t).getTime())
    .filter((t) => !Number.isNaN(t));
  return times.length ? new Date(Math.max(...times)).toISOString() : new Date(0).toISOString();
}
