/**
 * The Platform port: everything a worker asks of the place components run.
 * Adapters: simulated/ (embedded default, state in Redis) and, later, kubernetes/.
 *
 * Every call carries an `opId`. An adapter must treat a repeated opId as the same request:
 * a step re-delivered after a worker crash returns the first outcome and changes nothing twice.
 */

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

export interface Platform {
  /** Create a component that does not exist yet. */
  deploy(req: DeployRequest): Promise<StepOutcome>;
  /** Change a component's image; the outcome carries the image it had before. */
  upgrade(req: UpgradeRequest): Promise<StepOutcome>;
  /** Copy a component from one environment to another. */
  clone(req: CloneRequest): Promise<StepOutcome>;
  /** What runs in an environment now, sorted by name. */
  list(env: string): Promise<RunningComponent[]>;
  get(env: string, name: string): Promise<RunningComponent | undefined>;
}
