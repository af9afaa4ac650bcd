/**
 * The Platform port: everything a worker asks of the place components run.
 * Adapters: simulated/ (embedded default, state in Redis) and, later, kubernetes/.
 *
 * Every call carries an `opId`. An adapter must treat a repeated opId as the same request:
 * a step re-delivered after a worker crash returns the first outcome and changes nothing twice.
 */
import type { Slot } from '../domain/bluegreen-job.js';

/** A component as it runs in an environment now. */
export interface RunningComponent {
  env: string;
  name: string;
  image: string;
  replicas: number;
  updatedAt: string;
}

/** Outcome of one platform step. `error` is a plain-words reason fit for a Slack thread. */
export type StepOutcome =
  | { ok: true; component: RunningComponent; previousImage?: string }
  | { ok: false; error: string };

export interface DeployRequest {
  opId: string;
  env: string;
  name: string;
  image: string;
  replicas: number;
}

export interface UpgradeRequest {
  opId: string;
  env: string;
  name: string;
  image: string;
}

export interface CloneRequest {
  opId: string;
  fromEnv: string;
  env: string;
  name: string;
}

export type { Slot } from '../domain/bluegreen-job.js';

/** One slot of a blue-green workload as the platform sees it. */
export interface SlotObservation {
  slot: Slot;
  image: string;
  replicas: number;
  ready: boolean;
  createdAt: string;
}

/** A blue-green workload: up to two slots and the one its service sends traffic to. */
export interface BlueGreenObservation {
  env: string;
  workload: string;
  serving?: Slot;
  slots: Partial<Record<Slot, SlotObservation>>;
}

export interface DeploySlotRequest {
  opId: string;
  env: string;
  workload: string;
  slot: Slot;
  image: string;
  replicas: number;
}

export interface SlotRequest {
  env: string;
  workload: string;
  slot: Slot;
  /**
   * On a switch: the slot that served until now must stay up (ready to take the traffic back) at
   * least this long after it, because the new one is being watched (policy keepOldFor). Adapters
   * that remove the old slot by themselves (Argo Rollouts) must hold off that long; the others keep
   * it anyway until bgDeleteSlot. Absent: no such need.
   */
  keepOldForMs?: number;
}

/** Batch release operations: deploy, upgrade and clone components. */
export interface ReleasePlatform {
  /** Create a component that does not exist yet. */
  deploy(req: DeployRequest): Promise<StepOutcome>;
  /** Change a component's image; the outcome carries the image it had before. */
  upgrade(req: UpgradeRequest): Promise<StepOutcome>;
  /** Copy a component from one environment to another. */
  clone(req: CloneRequest): Promise<StepOutcome>;
  /** What runs in an environment now, sorted by name. */
  list(env: string): Promise<RunningComponent[]>;
  get(env: string, name: string): Promise<RunningComponent | undefined>;
  /**
   * Several components of one environment in one batched read (what `get` says for each name,
   * missing ones left out), so a plan of 2,000 components is not 2,000 round trips. Optional:
   * without it readers fall back to `get`, a few at a time.
   */
  getMany?(env: string, names: readonly string[]): Promise<Map<string, RunningComponent>>;
  /**
   * Environments that have components, if the adapter can tell cheaply (the simulated platform
   * can; on Kubernetes that would need cluster-wide reads, so known environments come from the
   * bot's own tasks and jobs, and the policy file declares the rest).
   */
  environments?(): Promise<string[]>;
}

/**
 * Blue-green operations. Each is safe to repeat: a re-delivered switch or delete does no harm,
 * which is what lets a job resume after its worker died between the two.
 */
export interface BlueGreenPlatform {
  bgInspect(env: string, workload: string): Promise<BlueGreenObservation | undefined>;
  /** Bring `slot` up with `image`; resolves once it is ready, or with the reason it never will be. */
  bgDeploySlot(req: DeploySlotRequest): Promise<{ ok: true } | { ok: false; error: string }>;
  /** Send the workload's traffic to `slot` in one atomic step. Refused if the slot is not ready. */
  bgSwitch(req: SlotRequest): Promise<void>;
  /** Delete `slot`; a missing slot is fine, the serving slot is refused. */
  bgDeleteSlot(req: SlotRequest): Promise<void>;
}

export interface Platform extends ReleasePlatform, BlueGreenPlatform {}
