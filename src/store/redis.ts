/** Redis connections. BullMQ workers block on Redis, so they need `maxRetriesPerRequest: null`. */
import { Redis } from 'ioredis';

export function connectRedis(url: string, opts: { forBullmq?: boolean; name?: string } = {}): Redis {
  return new Redis(url, {
    connectionName: opts.name ?? 'switchyard',
    maxRetriesPerRequest: opts.forBullmq ? null : 3,
    enableReadyCheck: true,
  });
}

/** Every Redis key the store and the simulated platform use, in one place. */
export function keys(prefix: string) {
  return {
    task: (id: string) => `${prefix}:task:${id}`,
    taskIndex: `${prefix}:tasks`,
    bgJob: (name: string) => `${prefix}:bgjob:${name}`,
    bgJobIndex: `${prefix}:bgjobs`,
    /** Which job holds a release object (env/workload). */
    bgWorkload: (env: string, workload: string) => `${prefix}:bgworkload:${env}/${workload}`,
    lock: (componentKey: string) => `${prefix}:lock:${componentKey}`,
    card: (entityId: string) => `${prefix}:card:${entityId}`,
    outbox: (entityId: string) => `${prefix}:card:${entityId}:outbox`,
    outboxLease: (entityId: string) => `${prefix}:card:${entityId}:outbox-lease`,
    audit: `${prefix}:audit`,
    /** Environments named by a task or job (a set), so a create need not read the tasks to check one. */
    knownEnvs: `${prefix}:envs`,
    /** A Slack request already acted on (signature or event_id), kept for the replay window. */
    seenRequest: (id: string) => `${prefix}:slack:seen:${id}`,
    simEnv: (env: string) => `${prefix}:sim:env:${env}`,
    simEnvs: `${prefix}:sim:envs`,
    simOp: (opId: string) => `${prefix}:sim:op:${opId}`,
    simApplied: `${prefix}:sim:applied`,
    simBg: (env: string, workload: string) => `${prefix}:sim:bg:${env}/${workload}`,
    /** Count of traffic switches that changed the serving slot, per env/workload. */
    simBgSwitches: `${prefix}:sim:bg-switches`,
  };
}
export type Keys = ReturnType<typeof keys>;
