/**
 * Blue-green on the simulated platform: per workload, two slots and a service pointing at one of
 * them, in a Redis hash (fields `serving`, `blue`, `green`). A slot becomes ready SIM_LATENCY_MS
 * after it is deployed, unless its image tag ends in -broken. Switch and delete are level-based
 * (they bring the hash to a state), so repeating them is harmless.
 */
import type { Keys, RedisClient } from '../../store/redis.js';
import type { BlueGreenObservation, BlueGreenPlatform, DeploySlotRequest, SlotObservation, SlotRequest } from '../port.js';
import { isBrokenImage } from './failures.js';

const SWITCH = `
local slot = redis.call('HGET', KEYS[1], ARGV[1])
if not slot then return redis.error_reply('slot ' .. ARGV[1] .. ' does not exist') end
if not string.find(slot, '"ready":true', 1, true) then return redis.error_reply('slot ' .. ARGV[1] .. ' is not ready') end
if redis.call('HGET', KEYS[1], 'serving') == ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'serving', ARGV[1])
redis.call('HINCRBY', KEYS[2], ARGV[2], 1)
return 1`;

const DELETE = `
if redis.call('HGET', KEYS[1], 'serving') == ARGV[1] then return redis.error_reply('slot ' .. ARGV[1] .. ' receives traffic') end
return redis.call('HDEL', KEYS[1], ARGV[1])`;

export class SimulatedBlueGreen implements BlueGreenPlatform {
  constructor(
    private readonly redis: RedisClient,
    private readonly k: Keys,
    private readonly latencyMs: () => number,
    private readonly sleep: (ms: number) => Promise<void>,
    private readonly now: () => Date,
  ) {}

  async bgInspect(env: string, workload: string): Promise<BlueGreenObservation | undefined> {
    const h = await this.redis.hgetall(this.k.simBg(env, workload));
    if (!h.blue && !h.green) return undefined;
    const slots: BlueGreenObservation['slots'] = {};
    if (h.blue) slots.blue = JSON.parse(h.blue) as SlotObservation;
    if (h.green) slots.green = JSON.parse(h.green) as SlotObservation;
    return { env, workload, ...(h.serving === 'blue' || h.serving === 'green' ? { serving: h.serving } : {}), slots };
  }

  async bgDeploySlot(req: DeploySlotRequest): Promise<{ ok: true } | { ok: false; error: string }> {
    const opKey = this.k.simOp(req.opId);
    const done = await this.redis.get(opKey);
    if (done) return JSON.parse(done) as { ok: true } | { ok: false; error: string };
    const key = this.k.simBg(req.env, req.workload);
    const serving = await this.redis.hget(key, 'serving');
    if (serving === req.slot) return { ok: false, error: `slot ${req.slot} of ${req.workload} receives traffic; deploy to the idle slot` };
    const existing = await this.redis.hget(key, req.slot);
    const prior = existing ? (JSON.parse(existing) as SlotObservation) : undefined;
    // Re-delivered after a crash: the slot is already coming up with this image, keep its start time.
    const slot: SlotObservation =
      prior && prior.image === req.image
        ? prior
        : { slot: req.slot, image: req.image, replicas: req.replicas, ready: false, createdAt: this.now().toISOString() };
    await this.redis.hset(key, req.slot, JSON.stringify(slot));
    await this.sleep(this.latencyMs());
    const outcome = isBrokenImage(req.image)
      ? { ok: false as const, error: `${req.image} never became ready (readiness probe failing; progress deadline exceeded)` }
      : { ok: true as const };
    if (outcome.ok) await this.redis.hset(key, req.slot, JSON.stringify({ ...slot, ready: true }));
    await this.redis.set(opKey, JSON.stringify(outcome), 'EX', 604800);
    return outcome;
  }

  async bgSwitch(req: SlotRequest): Promise<void> {
    await this.sleep(this.latencyMs() / 10);
    await this.redis.eval(SWITCH, 2, this.k.simBg(req.env, req.workload), this.k.simBgSwitches, req.slot, `${req.env}/${req.workload}`);
  }

  async bgDeleteSlot(req: SlotRequest): Promise<void> {
    await this.sleep(this.latencyMs());
    await this.redis.eval(DELETE, 1, this.k.simBg(req.env, req.workload), req.slot);
  }

  /** Traffic switches that changed the serving slot, per env/workload: lets tests count swaps. */
  async switchCounts(): Promise<Record<string, number>> {
    const h = await this.redis.hgetall(this.k.simBgSwitches);
    return Object.fromEntries(Object.entries(h).map(([key, n]) => [key, Number(n)]));
  }
}
