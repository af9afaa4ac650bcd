/**
 * Batch release on Kubernetes: deploy, upgrade, clone, list, get of component Deployments.
 *
 * Idempotency: every write carries the step's opId in the `switchyard.io/op-id` annotation (and,
 * for an upgrade, the image it replaced in `switchyard.io/previous-image`) in the same
 * resourceVersion-checked replace. A re-delivered step that finds its opId skips the write and
 * only waits for the rollout. A step whose rollout fails is undone (an upgrade goes back to the
 * previous image, a deploy is scaled to zero and left as a husk a later deploy takes over), and
 * that same write records the reason in `switchyard.io/op-error`, so a repeat answers the same.
 */
import type { V1Deployment, V1Service } from '@kubernetes/client-node';
import type { CloneRequest, DeployRequest, ReleasePlatform, RunningComponent, StepOutcome, UpgradeRequest } from '../port.js';
import {
  ANNOTATION, LABEL, MANAGER, apiError, isNotFound, readOrUndefined, refusal, retryOnConflict, statusBody, statusCode,
  type EnvTarget, type KubeClients,
} from './kube-api.js';
import {
  annotationsOf, cloneDeployment, cloneService, deploymentManifest, imageOf, mainContainerIndex, serviceManifest, updatedAtOf,
} from './manifests.js';
import { waitForDeployment, type Timing } from './rollout-watch.js';

export interface AdapterContext {
  clients: KubeClients;
  timing: Timing;
  clock: () => Date;
}

type Kind = 'deploy' | 'upgrade' | 'clone';
/** Thrown inside a write attempt to end the step with a plain reason. */
class Outcome extends Error {
  constructor(readonly outcome: StepOutcome) {
    super('outcome');
  }
}

/** The label selector of the Deployments Switchyard manages. */
const MANAGED = `${LABEL.managedBy}=${MANAGER}`;
/** getMany reads at most this many names the LIST lacks one by one (in parallel); more, and it lists the namespace. */
const READ_ONE_BY_ONE = 16;

/** A deploy or clone that failed: scaled to zero, not a running component. */
const isHusk = (d: V1Deployment) => {
  const a = annotationsOf(d);
  return !!a[ANNOTATION.opError] && (a[ANNOTATION.op] === 'deploy' || a[ANNOTATION.op] === 'clone');
};

/** A component as `get` and `list` report it: not a husk, not a blue-green slot. */
const isComponent = (d: V1Deployment) => !isHusk(d) && !d.metadata?.labels?.[LABEL.slot];

export class KubernetesRelease implements ReleasePlatform {
  constructor(private readonly c: AdapterContext) {}

  deploy(req: DeployRequest): Promise<StepOutcome> {
    const t = this.c.clients.target(req.env);
    const build = () => deploymentManifest({ name: req.name, namespace: t.namespace, app: req.name, image: req.image, replicas: req.replicas });
    const service = async () => serviceManifest(req.name, t.namespace, { [LABEL.name]: req.name });
    return this.create(t, req.name, req.opId, 'deploy', build, service);
  }

  async clone(req: CloneRequest): Promise<StepOutcome> {
    const from = this.c.clients.target(req.fromEnv);
    const t = this.c.clients.target(req.env);
    const src = await this.read(from, req.name);
    if (!src || isHusk(src)) return { ok: false, error: `${req.name} does not exist in ${req.fromEnv}, nothing to clone` };
    const service = async () => {
      const s = await readOrUndefined(() => from.api.core.readNamespacedService({ name: req.name, namespace: from.namespace }));
      return s ? cloneService(s, t.namespace) : serviceManifest(req.name, t.namespace, { [LABEL.name]: req.name });
    };
    return this.create(t, req.name, req.opId, 'clone', () => cloneDeployment(src, t.namespace, {}), service);
  }

  upgrade(req: UpgradeRequest): Promise<StepOutcome> {
    const t = this.c.clients.target(req.env);
    return this.step(t, req.name, req.opId, 'upgrade', async () => {
      const cur = await this.read(t, req.name);
      if (!cur || isHusk(cur)) throw new Outcome({ ok: false, error: `${req.name} does not exist in ${req.env}; deploy it first` });
      if (annotationsOf(cur)[ANNOTATION.opId] === req.opId) return;
      const previous = imageOf(cur, req.name);
      cur.spec!.template.spec!.containers[mainContainerIndex(cur, req.name)]!.image = req.image;
      setOp(cur, req.opId, 'upgrade', { [ANNOTATION.previousImage]: previous });
      await t.api.apps.replaceNamespacedDeployment({ name: req.name, namespace: t.namespace, body: cur });
    });
  }

  async list(env: string): Promise<RunningComponent[]> {
    const t = this.c.clients.target(env);
    return (await this.listDeployments(t, MANAGED))
      .filter(isComponent)
      .map((d) => this.component(env, d))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async get(env: string, name: string): Promise<RunningComponent | undefined> {
    const d = await this.read(this.c.clients.target(env), name);
    return d && isComponent(d) ? this.component(env, d) : undefined;
  }

  /**
   * What `get` says for each name, in one LIST of the Deployments Switchyard manages (by its
   * label). `get` also sees a Deployment of that name that the team made themselves, so names
   * the LIST lacks are read too: by name when a few, else with one LIST of the whole namespace.
   */
  async getMany(env: string, names: readonly string[]): Promise<Map<string, RunningComponent>> {
    const t = this.c.clients.target(env);
    const byName = new Map((await this.listDeployments(t, MANAGED)).map((d) => [d.metadata?.name ?? '', d]));
    const missing = names.filter((n) => !byName.has(n));
    if (missing.length > 0 && missing.length <= READ_ONE_BY_ONE) {
      const read = await Promise.all(missing.map((n) => this.read(t, n)));
      missing.forEach((n, i) => read[i] && byName.set(n, read[i]));
    } else if (missing.length > 0) {
      for (const d of await this.listDeployments(t)) if (!byName.has(d.metadata?.name ?? '')) byName.set(d.metadata?.name ?? '', d);
    }
    const out = new Map<string, RunningComponent>();
    for (const n of names) {
      const d = byName.get(n);
      if (d && isComponent(d)) out.set(n, this.component(env, d));
    }
    return out;
  }

  /** The Deployments of a namespace (those matching `labelSelector`, if given); none when the namespace does not exist. */
  private async listDeployments(t: EnvTarget, labelSelector?: string): Promise<V1Deployment[]> {
    const all = await t.api.apps.listNamespacedDeployment({ namespace: t.namespace, ...(labelSelector ? { labelSelector } : {}) }).catch((err: unknown) => {
      if (isNotFound(err)) return { items: [] as V1Deployment[] };
      throw apiError(err, `listing deployments in ${t.namespace}`);
    });
    return all.items;
  }

  private component(env: string, d: V1Deployment): RunningComponent {
    const name = d.metadata!.name!;
    return { env, name, image: imageOf(d, name), replicas: d.spec?.replicas ?? 1, updatedAt: updatedAtOf(d) };
  }

  private read(t: EnvTarget, name: string): Promise<V1Deployment | undefined> {
    return readOrUndefined(() => t.api.apps.readNamespacedDeployment({ name, namespace: t.namespace })).catch((err: unknown) => {
      throw apiError(err, `reading deployment ${t.namespace}/${name}`);
    });
  }

  /** Deploy and clone: create the Deployment (or take over a failed one's husk), then its Service. */
  private create(t: EnvTarget, name: string, opId: string, kind: Kind, build: () => V1Deployment, service: () => Promise<V1Service>) {
    return this.step(t, name, opId, kind, async () => {
      const cur = await this.read(t, name);
      if (cur && annotationsOf(cur)[ANNOTATION.opId] === opId) return;
      if (cur && !isHusk(cur)) {
        const hint = kind === 'deploy' ? '; use a Bulk Upgrade' : '';
        throw new Outcome({ ok: false, error: `${name} already exists in ${t.env} (running ${imageOf(cur, name)})${hint}` });
      }
      const body = build();
      setOp(body, opId, kind, {});
      if (cur) {
        body.metadata!.resourceVersion = cur.metadata?.resourceVersion;
        await t.api.apps.replaceNamespacedDeployment({ name, namespace: t.namespace, body });
      } else {
        await t.api.apps.createNamespacedDeployment({ namespace: t.namespace, body });
      }
    }, async () => {
      const body = await service();
      await t.api.core.createNamespacedService({ namespace: t.namespace, body }).catch((err: unknown) => {
        if (statusCode(err) !== 409) throw err; // AlreadyExists: ours from an earlier delivery, or the team's own
      });
    });
  }

  /**
   * One step: `write` (retried on 409 Conflict; a 409 AlreadyExists means a racing delivery
   * created it, so it is re-run and finds the opId), then `after`, then the rollout.
   */
  private async step(t: EnvTarget, name: string, opId: string, kind: Kind, write: () => Promise<void>, after?: () => Promise<void>): Promise<StepOutcome> {
    try {
      await retryOnConflict(this.c.timing.sleep, async () => {
        try {
          await write();
        } catch (err) {
          if (statusBody(err).reason === 'AlreadyExists' && kind !== 'upgrade') return write();
          throw err;
        }
      });
      await after?.();
    } catch (err) {
      if (err instanceof Outcome) return err.outcome;
      const reason = refusal(err, t);
      if (reason) return { ok: false, error: reason };
      throw apiError(err, `writing ${t.namespace}/${name}`);
    }
    return this.settle(t, name, opId, kind);
  }

  /** Wait for the rollout of `opId`; on failure undo it and record why, in one write. */
  private async settle(t: EnvTarget, name: string, opId: string, kind: Kind): Promise<StepOutcome> {
    const recorded = await this.read(t, name);
    const a = recorded ? annotationsOf(recorded) : {};
    const recordedError = a[ANNOTATION.opId] === opId ? a[ANNOTATION.opError] : undefined;
    if (recordedError) return { ok: false, error: recordedError };
    const out = await waitForDeployment(this.c.timing, t, name, name);
    if (!out.ok) {
      await this.undo(t, name, opId, kind, out.error);
      return out;
    }
    const d = await this.read(t, name);
    if (!d) return { ok: false, error: `${name} was deleted from ${t.env} while it was rolling out` };
    const previousImage = kind === 'upgrade' ? annotationsOf(d)[ANNOTATION.previousImage] : undefined;
    const component = { ...this.component(t.env, d), updatedAt: this.c.clock().toISOString() };
    return { ok: true, component, ...(previousImage ? { previousImage } : {}) };
  }

  private async undo(t: EnvTarget, name: string, opId: string, kind: Kind, error: string): Promise<void> {
    await retryOnConflict(this.c.timing.sleep, async () => {
      const d = await this.read(t, name);
      const a = d ? annotationsOf(d) : {};
      if (!d || a[ANNOTATION.opId] !== opId || a[ANNOTATION.opError]) return; // gone, taken over, or undone already
      if (kind === 'upgrade' && a[ANNOTATION.previousImage]) {
        d.spec!.template.spec!.containers[mainContainerIndex(d, name)]!.image = a[ANNOTATION.previousImage];
      } else if (kind !== 'upgrade') {
        d.spec!.replicas = 0;
      }
      d.metadata!.annotations = { ...a, [ANNOTATION.opError]: error };
      await t.api.apps.replaceNamespacedDeployment({ name, namespace: t.namespace, body: d });
    }).catch(() => undefined); // the reason still reaches the thread; the next step sees the cluster as it is
  }
}

function setOp(d: V1Deployment, opId: string, kind: Kind, extra: Record<string, string>): void {
  const { [ANNOTATION.opError]: _e, [ANNOTATION.previousImage]: _p, ...kept } = d.metadata!.annotations ?? {};
  d.metadata!.annotations = { ...kept, [ANNOTATION.opId]: opId, [ANNOTATION.op]: kind, ...extra };
}
