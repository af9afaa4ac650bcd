/**
 * The embedded platform: environments and their components live in Redis, so every worker
 * process sees the same world and it survives restarts. Each step takes SIM_LATENCY_MS (±20%).
 *
 * Idempotency: a step's outcome is committed together with its opId in one Lua script that also
 * checks nobody changed the component meanwhile. A re-delivered step finds its opId and returns
 * the first outcome; two deliveries racing each other commit once.
 */
import type { Keys, RedisClient } from '../../store/redis.js';
import type {
  BlueGreenObservation,
  CloneRequest,
  DeployRequest,
  DeploySlotRequest,
  Platform,
  RunningComponent,
  SlotRequest,
  StepOutcome,
  UpgradeRequest,
} from '../port.js';
import { isBrokenImage } from './failures.js';
import { SimulatedBlueGreen } from './simulated-bluegreen.js';

const COMMIT = `
local done = redis.call('GET', KEYS[1])
if done then return done end
local cur = redis.call('HGET', KEYS[2], ARGV[1]) or ''
if cur ~= ARGV[2] then return false end
if ARGV[3] ~= '' then
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
  redis.call('SADD', KEYS[3], ARGV[5])
  redis.call('HINCRBY', KEYS[4], ARGV[5] .. '/' .. ARGV[1], 1)
end
redis.call('SET', KEYS[1], ARGV[4], 'EX', 604800)
return ARGV[4]`;

export interface SimulatedOptions {
  latencyMs: number;
  /** Component names (or env/name) that always fail. */
  failComponents: string[];
  clock?: () => Date;
  sleep?: (ms: number) => Promise<void>;
}

export class SimulatedPlatform implements Platform {
  private readonly now: () => Date;
  private readonly sleep: (ms: number) => Promise<void>;
  /** Blue-green workloads; the Platform methods below delegate to it. */
  readonly blueGreen: SimulatedBlueGreen;

  constructor(
    private readonly redis: RedisClient,
    private readonly k: Keys,
    private readonly opts: SimulatedOptions,
  ) {
    this.now = opts.clock ?? (() => new Date());
    this.sleep = opts.sleep ?? ((ms) => (ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve()));
    this.blueGreen = new SimulatedBlueGreen(redis, k, () => this.latency(), this.sleep, this.now);
  }

  bgInspect(env: string, workload: string): Promise<BlueGreenObservation | undefined> {
    return this.blueGreen.bgInspect(env, workload);
  }

  bgDeploySlot(req: DeploySlotRequest) {
    return this.blueGreen.bgDeploySlot(req);
  }

  bgSwitch(req: SlotRequest): Promise<void> {
    return this.blueGreen.bgSwitch(req);
  }

  bgDeleteSlot(req: SlotRequest): Promise<void> {
    return this.blueGreen.bgDeleteSlot(req);
  }

  /** SIM_LATENCY_MS with ±20% jitter. */
  private latency(): number {
    return this.opts.latencyMs * (0.8 + Math.random() * 0.4);
  }

  deploy(req: DeployRequest): Promise<StepOutcome> {
    return this.step(req.opId, req.env, req.name, req.image, (cur) =>
      cur
        ? { ok: false, error: `${req.name} already exists in ${req.env} (running ${cur.image}); use a Bulk Upgrade` }
        : { ok: true, component: this.component(req.env, req.name, req.image, req.replicas) },
    );
  }

  upgrade(req: UpgradeRequest): Promise<StepOutcome> {
    return this.step(req.opId, req.env, req.name, req.image, (cur) =>
      cur
        ? { ok: true, component: this.component(req.env, req.name, req.image, cur.replicas), previousImage: cur.image }
        : { ok: false, error: `${req.name} does not exist in ${req.env}; deploy it first` },
    );
  }

  async clone(req: CloneRequest): Promise<StepOutcome> {
    const source = await this.get(req.fromEnv, req.name);
    return this.step(req.opId, req.env, req.name, source?.image, (cur) => {
      if (!source) return { ok: false, error: `${req.name} does not exist in ${req.fromEnv}, nothing to clone` };
      if (cur) return { ok: false, error: `${req.name} already exists in ${req.env} (running ${cur.image})` };
      return { ok: true, component: this.component(req.env, req.name, source.image, source.replicas) };
    });
  }

  async list(env: string): Promise<RunningComponent[]> {
    const all = await this.redis.hgetall(this.k.simEnv(env));
    return Object.values(all)
      .map((json) => JSON.parse(json) as RunningComponent)
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async environments(): Promise<string[]> {
    return this.redis.smembers(this.k.simEnvs);
  }

  async get(env: string, name: string): Promise<RunningComponent | undefined> {
    const json = await this.redis.hget(this.k.simEnv(env), name);
    return json ? (JSON.parse(json) as RunningComponent) : undefined;
  }

  /** One HMGET for all the names. */
  async getMany(env: string, names: readonly string[]): Promise<Map<string, RunningComponent>> {
    const out = new Map<string, RunningComponent>();
    if (names.length === 0) return out;
    const found = await this.redis.hmget(this.k.simEnv(env), ...names);
    names.forEach((name, i) => {
      const json = found[i];
      if (json) out.set(name, JSON.parse(json) as RunningComponent);
    });
    return out;
  }

  /** How many times each env/name was changed: lets tests prove a step was applied exactly once. */
  async appliedCounts(): Promise<Record<string, number>> {
    const h = await this.redis.hgetall(this.k.simApplied);
    return Object.fromEntries(Object.entries(h).map(([key, n]) => [key, Number(n)]));
  }

  private component(env: string, name: string, image: string, replicas: number): RunningComponent {
    return { env, name, image, replicas, updatedAt: this.now().toISOString() };
  }

  private async step(
    opId: string,
    env: string,
    name: string,
    image: string | undefined,
    decide: (current: RunningComponent | undefined) => StepOutcome,
  ): Promise<StepOutcome> {
    const done = await this.redis.get(this.k.simOp(opId));
    if (done) return JSON.parse(done) as StepOutcome;
    await this.sleep(this.latency());
    for (;;) {
      const raw = (await this.redis.hget(this.k.simEnv(env), name)) ?? '';
      let outcome = decide(raw ? (JSON.parse(raw) as RunningComponent) : undefined);
      const failure = this.injectedFailure(env, name, image);
      if (outcome.ok && failure) outcome = { ok: false, error: failure };
      const write = outcome.ok ? JSON.stringify(outcome.component) : '';
      const keys = [this.k.simOp(opId), this.k.simEnv(env), this.k.simEnvs, this.k.simApplied];
      const r = await this.redis.eval(COMMIT, keys.length, ...keys, name, raw, write, JSON.stringify(outcome), env);
      if (typeof r === 'string') return JSON.parse(r) as StepOutcome;
      // The component changed between read and commit: decide again on what is there now.
    }
  }

  private injectedFailure(env: string, name: string, image: string | undefined): string | undefined {
    if (this.opts.failComponents.includes(name) || this.opts.failComponents.includes(`${env}/${name}`)) {
      return `${name} failed to start in ${env} (simulated failure: listed in SIM_FAIL_COMPONENTS)`;
    }
    if (image && isBrokenImage(image)) {
      return `${image} never became ready (readiness probe failing; progress deadline exceeded)`;
    }
    return undefined;
  }
}
