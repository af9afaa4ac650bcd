/**
 * Redis connections, to one server or to a Redis Cluster, and every key name. BullMQ workers
 * block on Redis, so their connections need `maxRetriesPerRequest: null`.
 */
import { Cluster, Redis } from 'ioredis';

/** A node of a Redis Cluster (any few masters will do: the client discovers the rest). */
export interface RedisAddress {
  host: string;
  port: number;
}

/** Where Redis is: one server (REDIS_URL), or a Redis Cluster (REDIS_CLUSTER_NODES). */
export type RedisSettings = { url: string } | { cluster: RedisAddress[] };

/** What the stores, the queues and the probes take: a connection to one server or to a cluster. */
export type RedisClient = Redis | Cluster;

/** REDIS_CLUSTER_NODES, when set, wins over REDIS_URL. */
export function redisSettings(c: { REDIS_URL: string; REDIS_CLUSTER_NODES?: RedisAddress[] | undefined }): RedisSettings {
  return c.REDIS_CLUSTER_NODES?.length ? { cluster: c.REDIS_CLUSTER_NODES } : { url: c.REDIS_URL };
}

/**
 * A connection. The store's (the default) autopipelines: commands issued in one tick go out as one
 * write, which keeps a burst of requests cheap and lets reads of many keys batch per cluster node.
 * BullMQ's connections never do (workers block on Redis, and Bull has known trouble with it).
 */
export function connectRedis(at: RedisSettings, opts: { forBullmq?: boolean; name?: string; autopipeline?: boolean } = {}): RedisClient {
  const options = { connectionName: opts.name ?? 'switchyard', maxRetriesPerRequest: opts.forBullmq ? null : 3 };
  const enableAutoPipelining = opts.autopipeline ?? !opts.forBullmq;
  if ('url' in at) return new Redis(at.url, { ...options, enableReadyCheck: true, enableAutoPipelining });
  return new Cluster(at.cluster, { redisOptions: options, enableReadyCheck: true, enableAutoPipelining });
}

/**
 * The keys matching `pattern` (SCAN, never KEYS): on a cluster, on every master. For maintenance
 * and repairs (the reconciler, cleanup), not for request paths.
 */
export async function scanKeys(redis: RedisClient, pattern: string, count = 500): Promise<string[]> {
  // A cluster knows its masters once it is ready; a command waits for that.
  if (redis instanceof Cluster && redis.status !== 'ready') await redis.ping();
  const servers = redis instanceof Cluster ? redis.nodes('master') : [redis];
  const found = new Set<string>();
  for (const server of servers) {
    let cursor = '0';
    do {
      const [next, batch] = await server.scan(cursor, 'MATCH', pattern, 'COUNT', count);
      cursor = next;
      for (const key of batch) found.add(key);
    } while (cursor !== '0');
  }
  return [...found];
}

/** A component key is `<env>/<name>`; an environment's locks share one hash tag. */
function lockKey(prefix: string, componentKey: string): string {
  const at = componentKey.indexOf('/');
  const [env, name] = at < 0 ? [componentKey, ''] : [componentKey.slice(0, at), componentKey.slice(at + 1)];
  return `${prefix}:{lock:${env}}:${name}`;
}

/**
 * Every Redis key the store and the simulated platform use, in one place. Keys that one script,
 * MULTI or pipeline touches together share a hash tag (the part in braces), so that on a Redis
 * Cluster they live in one slot: one tag per task (`{rt-abc}`), per blue-green job (`{bg:shop}`),
 * per environment's component locks (`{lock:prod}`), and one for the simulated platform (`{sim}`).
 * A card lives under its entity's tag. Indexes, the audit stream and single keys have no tag and
 * spread over the cluster; no script touches them together with anything else.
 */
export function keys(prefix: string) {
  return {
    /** A task's two keys share the `{<id>}` hash tag (one cluster slot); see task-store.ts. */
    task: (id: string) => `${prefix}:{${id}}:task`,
    taskComponents: (id: string) => `${prefix}:{${id}}:components`,
    /** Where a task was kept before components had a key of their own (read once, then moved). */
    legacyTask: (id: string) => `${prefix}:task:${id}`,
    taskIndex: `${prefix}:tasks`,
    bgJob: (name: string) => `${prefix}:{bg:${name}}:job`,
    bgJobIndex: `${prefix}:bgjobs`,
    /** Which job holds a release object (env/workload). */
    bgWorkload: (env: string, workload: string) => `${prefix}:bgworkload:${env}/${workload}`,
    /** The lock of a component (`env/name`); all locks of one environment share a slot. */
    lock: (componentKey: string) => lockKey(prefix, componentKey),
    /** SCAN pattern of every component lock. */
    lockPattern: `${prefix}:{lock:*}:*`,
    /** The component (`env/name`) a lock key is for. */
    lockedComponent: (key: string) => key.slice(`${prefix}:{lock:`.length).replace('}:', '/'),
    /** A card (`rt-…`, or `bg:<job>` for a blue-green job), its reply outbox and the outbox's lease: under the entity's tag. */
    card: (entityId: string) => `${prefix}:{${entityId}}:card`,
    outbox: (entityId: string) => `${prefix}:{${entityId}}:outbox`,
    outboxLease: (entityId: string) => `${prefix}:{${entityId}}:outbox-lease`,
    audit: `${prefix}:audit`,
    /** Who opened the bot's App Home tab, scored by when they last did (a sorted set). */
    homeOpeners: `${prefix}:home:openers`,
    /** Environments named by a task or job (a set), so a create need not read the tasks to check one. */
    knownEnvs: `${prefix}:envs`,
    /** A Slack request already acted on (signature or event_id), kept for the replay window. */
    seenRequest: (id: string) => `${prefix}:slack:seen:${id}`,
    /** The HTTP API's answer to an Idempotency-Key of a token (the key hashed), kept 24 h. */
    idempotency: (token: string, keyHash: string) => `${prefix}:api:idem:${token}:${keyHash}`,
    /** A token's request count in one rate-limit window. */
    rateWindow: (token: string, window: number) => `${prefix}:api:rate:${token}:${window}`,
    simEnv: (env: string) => `${prefix}:{sim}:env:${env}`,
    simEnvs: `${prefix}:{sim}:envs`,
    simOp: (opId: string) => `${prefix}:{sim}:op:${opId}`,
    simApplied: `${prefix}:{sim}:applied`,
    simBg: (env: string, workload: string) => `${prefix}:{sim}:bg:${env}/${workload}`,
    /** Count of traffic switches that changed the serving slot, per env/workload. */
    simBgSwitches: `${prefix}:{sim}:bg-switches`,
  };
}
export type Keys = ReturnType<typeof keys>;
