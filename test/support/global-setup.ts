import type { TestProject } from 'vitest/node';
import { startRedisServer } from '../../src/sandbox/redis-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

/**
 * Vitest global setup: provides `redisUrl` to tests. Uses `REDIS_URL` when set; otherwise starts a private,
 * non-persistent redis-server on a free port (src/sandbox/redis-server.ts) and returns a teardown that stops it.
 */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const fromEnv = process.env.REDIS_URL;
  if (fromEnv) {
    project.provide('redisUrl', fromEnv);
    return undefined;
  }
  const server = await startRedisServer();
  project.provide('redisUrl', server.url);
  return () => server.stop();
}
