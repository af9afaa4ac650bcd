import type { TestProject } from 'vitest/node';
import { startRedisServer } from '../../src/sandbox/redis-server.js';
import { startRedisCluster } from './redis-cluster.js';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
    /** REDIS_CLUSTER_NODES for the test bot, or '' (one Redis). */
    redisClusterNodes: string;
  }
}

/**
 * Vitest global setup: provides `redisUrl` to tests. Uses `REDIS_URL` when set; otherwise starts a private,
 * non-persistent redis-server on a free port (src/sandbox/redis-server.ts) and returns a teardown that stops it.
 *
 * Also provides `redisClusterNodes`: `REDIS_CLUSTER_NODES` when set, or with `SWITCHYARD_TEST_CLUSTER=1` a
 * three-master cluster started here (test/support/redis-cluster.ts); '' otherwise. When it is set, every test
 * bot (test/support/test-bot.ts) runs on that cluster.
 */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const stops: Array<() => Promise<void>> = [];
  const teardown = async () => {
    for (const stop of stops.reverse()) await stop();
  };
  try {
    const fromEnv = process.env.REDIS_URL;
    if (fromEnv) {
      project.provide('redisUrl', fromEnv);
    } else {
      const server = await startRedisServer();
      stops.push(() => server.stop());
      project.provide('redisUrl', server.url);
    }
    let nodes = process.env.REDIS_CLUSTER_NODES ?? '';
    if (!nodes && ['1', 'true'].includes(process.env.SWITCHYARD_TEST_CLUSTER ?? '')) {
      const cluster = await startRedisCluster();
      stops.push(() => cluster.stop());
      nodes = cluster.nodes;
    }
    project.provide('redisClusterNodes', nodes);
  } catch (err) {
    await teardown();
    throw err;
  }
  return stops.length ? teardown : undefined;
}
