/**
 * PLATFORM=kubernetes: the Platform port on a real cluster. Batch components are Deployments
 * (release-ops.ts); blue-green runs natively on two Deployments and a Service, or on Argo
 * Rollouts, chosen per environment by the policy's `bluegreen` (native-bluegreen.ts,
 * argo-bluegreen.ts). Each environment maps to the policy's namespace (default: its name) in the
 * policy's kubeconfig context (default: the current one).
 */
import { KubeConfig } from '@kubernetes/client-node';
import type { Policy } from '../../policy/policy.js';
import type {
  BlueGreenObservation, CloneRequest, DeployRequest, DeploySlotRequest, Platform, RunningComponent, SlotRequest, StepOutcome, UpgradeRequest,
} from '../port.js';
import { ArgoBlueGreen } from './argo-bluegreen.js';
import { KubeClients, type EnvTarget } from './kube-api.js';
import { NativeBlueGreen } from './native-bluegreen.js';
import { KubernetesRelease } from './release-ops.js';

export interface KubernetesOptions {
  /** Default: loadFromDefault(), i.e. KUBECONFIG, ~/.kube/config, or the in-cluster service account. */
  kubeConfig?: KubeConfig;
  policy: Policy;
  /**
   * K8S_ROLLOUT_TIMEOUT_MS: how long a rollout may take before it counts as failed. Keep it above
   * the workloads' progressDeadlineSeconds (default 600 s) so Kubernetes's own verdict comes first;
   * a timeout that cuts the deadline short says so.
   */
  rolloutTimeoutMs: number;
  /** How often a rollout is polled (default 1000 ms). */
  pollMs?: number;
  clock?: () => Date;
  sleep?: (ms: number) => Promise<void>;
}

export class KubernetesPlatform implements Platform {
  private readonly clients: KubeClients;
  private readonly release: KubernetesRelease;
  private readonly native: NativeBlueGreen;
  private readonly argo: ArgoBlueGreen;

  constructor(opts: KubernetesOptions) {
    const kc = opts.kubeConfig ?? defaultKubeConfig();
    const clock = opts.clock ?? (() => new Date());
    const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    this.clients = new KubeClients(kc, opts.policy);
    const ctx = {
      clients: this.clients,
      clock,
      timing: { now: () => clock().getTime(), sleep, pollMs: opts.pollMs ?? 1000, timeoutMs: opts.rolloutTimeoutMs },
    };
    this.release = new KubernetesRelease(ctx);
    this.native = new NativeBlueGreen(ctx);
    this.argo = new ArgoBlueGreen(ctx);
  }

  deploy(req: DeployRequest): Promise<StepOutcome> {
    return this.release.deploy(req);
  }

  upgrade(req: UpgradeRequest): Promise<StepOutcome> {
    return this.release.upgrade(req);
  }

  clone(req: CloneRequest): Promise<StepOutcome> {
    return this.release.clone(req);
  }

  list(env: string): Promise<RunningComponent[]> {
    return this.release.list(env);
  }

  get(env: string, name: string): Promise<RunningComponent | undefined> {
    return this.release.get(env, name);
  }

  getMany(env: string, names: readonly string[]): Promise<Map<string, RunningComponent>> {
    return this.release.getMany(env, names);
  }

  bgInspect(env: string, workload: string): Promise<BlueGreenObservation | undefined> {
    const t = this.clients.target(env);
    return this.engine(t).bgInspect(t, workload);
  }

  bgDeploySlot(req: DeploySlotRequest): Promise<{ ok: true } | { ok: false; error: string }> {
    const t = this.clients.target(req.env);
    return this.engine(t).bgDeploySlot(t, req);
  }

  bgSwitch(req: SlotRequest): Promise<void> {
    const t = this.clients.target(req.env);
    return this.engine(t).bgSwitch(t, req);
  }

  bgDeleteSlot(req: SlotRequest): Promise<void> {
    const t = this.clients.target(req.env);
    return this.engine(t).bgDeleteSlot(t, req);
  }

  private engine(t: EnvTarget): NativeBlueGreen | ArgoBlueGreen {
    return t.bluegreen === 'argo-rollouts' ? this.argo : this.native;
  }
}

function defaultKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromDefault();
  return kc;
}
