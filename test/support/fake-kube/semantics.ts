/**
 * Per-kind API-server behaviour: defaulting, validation (422 Invalid with field causes) and what
 * bumps metadata.generation. A subset of the real strategies, enough for a release bot's writes.
 */
import { type KubeError, type StatusCause, duplicate, invalid, invalidValue, required } from './errors.js';
import { matchesLabelSelector } from './selectors.js';
import { type Json, type KindInfo, type KubeObject, deepEqual, isPlainObject } from './types.js';

export interface DefaultingContext {
  allocateClusterIP(): string;
}

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const LABEL_NAME = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

const MSG = {
  subdomain:
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
  label1123:
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
  label1035:
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
  labelValue:
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
  labelName:
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
};

/** Image tag: what follows the last ':' after the last '/', without a digest. */
export function imageTag(image: string): string {
  const noDigest = image.split('@')[0] ?? '';
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > slash ? noDigest.slice(colon + 1) : '';
}

/** The API server's pod spec defaults (also applied to pod templates of every built-in workload). */
export function defaultPodSpec(spec: Json): void {
  if (!isPlainObject(spec)) return;
  spec.restartPolicy ??= 'Always';
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.schedulerName ??= 'default-scheduler';
  spec.securityContext ??= {};
  for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
    if (!isPlainObject(c)) continue;
    const tag = typeof c.image === 'string' ? imageTag(c.image) : '';
    c.imagePullPolicy ??= tag === '' || tag === 'latest' ? 'Always' : 'IfNotPresent';
    c.terminationMessagePath ??= '/dev/termination-log';
    c.terminationMessagePolicy ??= 'File';
    c.resources ??= {};
    for (const p of c.ports ?? []) if (isPlainObject(p)) p.protocol ??= 'TCP';
  }
}

function defaultWorkload(obj: KubeObject, kind: 'Deployment' | 'ReplicaSet'): void {
  obj.spec ??= {};
  const s = obj.spec;
  s.replicas ??= 1;
  if (kind === 'Deployment') {
    s.revisionHistoryLimit ??= 10;
    s.progressDeadlineSeconds ??= 600;
    s.strategy ??= { type: 'RollingUpdate' };
    s.strategy.type ??= 'RollingUpdate';
    if (s.strategy.type === 'RollingUpdate') {
      s.strategy.rollingUpdate ??= {};
      s.strategy.rollingUpdate.maxUnavailable ??= '25%';
      s.strategy.rollingUpdate.maxSurge ??= '25%';
    }
  }
  if (isPlainObject(s.template)) {
    s.template.metadata ??= {};
    defaultPodSpec(s.template.spec);
  }
}

/** Fill in what the real API server defaults; `old` is the stored object on updates. */
export function applyDefaults(info: KindInfo, obj: KubeObject, old: KubeObject | undefined, ctx: DefaultingContext): void {
  switch (info.kind) {
    case 'Deployment':
    case 'ReplicaSet':
      defaultWorkload(obj, info.kind);
      break;
    case 'Service': {
      obj.spec ??= {};
      const s = obj.spec;
      s.type ??= 'ClusterIP';
      s.sessionAffinity ??= 'None';
      if (s.type !== 'ExternalName') {
        s.internalTrafficPolicy ??= 'Cluster';
        s.ipFamilies ??= ['IPv4'];
        s.ipFamilyPolicy ??= 'SingleStack';
        // Updates that leave clusterIP out keep the allocated one (Kubernetes >= 1.20).
        if (old?.spec?.clusterIP && (s.clusterIP === undefined || s.clusterIP === '')) {
          s.clusterIP = old.spec.clusterIP;
          s.clusterIPs = old.spec.clusterIPs;
        }
        if (s.clusterIP === undefined || s.clusterIP === '') s.clusterIP = ctx.allocateClusterIP();
        s.clusterIPs ??= [s.clusterIP];
      }
      for (const p of s.ports ?? []) {
        if (!isPlainObject(p)) continue;
        p.protocol ??= 'TCP';
        p.targetPort ??= p.port;
      }
      break;
    }
    case 'Namespace':
      obj.metadata.labels = { ...(obj.metadata.labels ?? {}), 'kubernetes.io/metadata.name': obj.metadata.name! };
      obj.spec = { finalizers: ['kubernetes'], ...(obj.spec ?? {}) };
      break;
    default:
      break;
  }
}

function validateName(info: KindInfo, name: string): StatusCause[] {
  const [re, msg, max] =
    info.kind === 'Service' ? [DNS1035_LABEL, MSG.label1035, 63] as const
      : info.kind === 'Namespace' ? [DNS1123_LABEL, MSG.label1123, 63] as const
        : [DNS1123_SUBDOMAIN, MSG.subdomain, 253] as const;
  const causes: StatusCause[] = [];
  if (name.length > max) causes.push(invalidValue('metadata.name', name, `must be no more than ${max} characters`));
  if (!re.test(name)) causes.push(invalidValue('metadata.name', name, msg));
  return causes;
}

function validateLabels(labels: unknown, field: string): StatusCause[] {
  if (labels === undefined || labels === null) return [];
  if (!isPlainObject(labels)) return [invalidValue(field, labels, 'must be a map of strings')];
  const causes: StatusCause[] = [];
  for (const [k, v] of Object.entries(labels)) {
    const namePart = k.includes('/') ? k.slice(k.indexOf('/') + 1) : k;
    if (!LABEL_NAME.test(k) || namePart.length > 63) causes.push(invalidValue(field, k, MSG.labelName));
    if (typeof v !== 'string') causes.push(invalidValue(field, v, 'must be a string'));
    else {
      if (v.length > 63) causes.push(invalidValue(field, v, 'must be no more than 63 characters'));
      if (!LABEL_VALUE.test(v)) causes.push(invalidValue(field, v, MSG.labelValue));
    }
  }
  return causes;
}

function validateContainers(containers: unknown, field: string): StatusCause[] {
  if (!Array.isArray(containers) || containers.length === 0) return [required(field)];
  const causes: StatusCause[] = [];
  const seen = new Set<string>();
  containers.forEach((c: Json, i) => {
    const f = `${field}[${i}]`;
    if (!c?.name) causes.push(required(`${f}.name`));
    else if (seen.has(c.name)) causes.push(duplicate(`${f}.name`, c.name));
    else {
      seen.add(c.name);
      if (!DNS1123_LABEL.test(c.name)) causes.push(invalidValue(`${f}.name`, c.name, MSG.label1123));
    }
    if (!c?.image || typeof c.image !== 'string') causes.push(required(`${f}.image`));
  });
  return causes;
}

function validateWorkload(info: KindInfo, obj: KubeObject, old: KubeObject | undefined): StatusCause[] {
  const s = obj.spec ?? {};
  const causes: StatusCause[] = [];
  const sel = s.selector;
  const labels = s.template?.metadata?.labels;
  if (!sel) causes.push(required('spec.selector'));
  else if (!Object.keys(sel.matchLabels ?? {}).length && !(sel.matchExpressions ?? []).length) {
    causes.push(invalidValue('spec.selector', sel, `empty selector is invalid for ${info.kind.toLowerCase()}`));
  } else if (!matchesLabelSelector(sel, labels ?? {})) {
    causes.push(invalidValue('spec.template.metadata.labels', labels ?? {}, '`selector` does not match template `labels`'));
  }
  if (typeof s.replicas !== 'number' || s.replicas < 0 || !Number.isInteger(s.replicas)) {
    causes.push(invalidValue('spec.replicas', s.replicas, 'must be greater than or equal to 0'));
  }
  causes.push(...validateLabels(labels, 'spec.template.metadata.labels'));
  causes.push(...validateContainers(s.template?.spec?.containers, 'spec.template.spec.containers'));
  if (old && sel && !deepEqual(old.spec?.selector, sel)) causes.push(invalidValue('spec.selector', sel, 'field is immutable'));
  return causes;
}

function validateService(obj: KubeObject, old: KubeObject | undefined): StatusCause[] {
  const s = obj.spec ?? {};
  const causes: StatusCause[] = [];
  const ports: Json[] = Array.isArray(s.ports) ? s.ports : [];
  if (s.type !== 'ExternalName' && ports.length === 0) causes.push(required('spec.ports'));
  const names = new Set<string>();
  ports.forEach((p, i) => {
    if (typeof p?.port !== 'number' || p.port < 1 || p.port > 65535) {
      causes.push(invalidValue(`spec.ports[${i}].port`, p?.port, 'must be between 1 and 65535, inclusive'));
    }
    if (ports.length > 1 && !p?.name) causes.push(required(`spec.ports[${i}].name`));
    if (p?.name) {
      if (names.has(p.name)) causes.push(duplicate(`spec.ports[${i}].name`, p.name));
      names.add(p.name);
    }
  });
  causes.push(...validateLabels(s.selector, 'spec.selector'));
  if (old?.spec?.clusterIP && s.clusterIP !== old.spec.clusterIP && old.spec.clusterIP !== 'None') {
    causes.push(invalidValue('spec.clusterIPs[0]', s.clusterIPs ?? [s.clusterIP], 'may not change once set'));
  }
  return causes;
}

/** Throws 422 Invalid listing every problem, like the API server. */
export function validate(info: KindInfo, obj: KubeObject, old: KubeObject | undefined): void {
  const name = obj.metadata.name ?? '';
  const causes = [...validateName(info, name), ...validateLabels(obj.metadata.labels, 'metadata.labels')];
  if (obj.metadata.annotations !== undefined && !isPlainObject(obj.metadata.annotations)) {
    causes.push(invalidValue('metadata.annotations', obj.metadata.annotations, 'must be a map of strings'));
  } else {
    for (const [k, v] of Object.entries(obj.metadata.annotations ?? {})) {
      if (typeof v !== 'string') causes.push(invalidValue(`metadata.annotations`, k, 'annotation values must be strings'));
    }
  }
  if (info.kind === 'Deployment' || info.kind === 'ReplicaSet') causes.push(...validateWorkload(info, obj, old));
  if (info.kind === 'Service') causes.push(...validateService(obj, old));
  if (causes.length) throw invalid(info, name, causes) as KubeError;
}

/** Whether an update bumps metadata.generation (the rules of the real registry strategies). */
export function bumpsGeneration(info: KindInfo, old: KubeObject, next: KubeObject): boolean {
  switch (info.generation) {
    case 'none':
      return false;
    case 'spec':
      return !deepEqual(old.spec, next.spec);
    case 'spec+annotations':
      // Deployments: annotation changes bump it too, as they are copied to the ReplicaSets.
      return !deepEqual(old.spec, next.spec) || !deepEqual(old.metadata.annotations ?? {}, next.metadata.annotations ?? {});
    case 'all-but-metadata-status': {
      const strip = ({ metadata: _m, status: _s, ...rest }: KubeObject) => rest;
      return !deepEqual(strip(old), strip(next));
    }
  }
}
