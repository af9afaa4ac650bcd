/**
 * The HTTP API for machines (CI pipelines), built for the web role: the route table
 * (handlers.ts), served with tokens, rate limits and Idempotency-Key (server.ts), and its
 * OpenAPI document (openapi.ts).
 */
import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import type { Metrics } from '../http/metrics.js';
import type { Route } from '../http/routes.js';
import type { BlueGreenOperations } from '../operations/bluegreen-operations.js';
import type { ReleaseOperations } from '../operations/release-operations.js';
import type { Policy } from '../policy/policy.js';
import type { Notifier } from '../ports/notifier.js';
import { Permalinks } from '../slack/permalinks.js';
import { IdempotencyKeys } from '../store/idempotency.js';
import { RateLimiter } from '../store/rate-limit.js';
import type { Keys, RedisClient } from '../store/redis.js';
import type { TaskStore } from '../store/task-store.js';
import type { JobStore } from '../store/versioned-store.js';
import { ApiTokens } from './auth.js';
import { apiRoutes } from './handlers.js';
import { openApiRoute } from './openapi.js';
import { serveApi } from './server.js';

export const API_VERSION = '1.0.0';

export interface HttpApiDeps {
  policy: Policy;
  release: ReleaseOperations;
  bluegreen: BlueGreenOperations;
  tasks: TaskStore;
  jobs: JobStore;
  redis: RedisClient;
  keys: Keys;
  client: Pick<WebClient, 'chat'>;
  notifier: Notifier;
  metrics: Metrics;
  log: Logger;
  /** Requests per minute of a token that sets none. */
  rateLimit: number;
}

export function httpApi(d: HttpApiDeps): Route[] {
  const permalinks = new Permalinks(d.client, d.notifier);
  const table = apiRoutes({ policy: d.policy, release: d.release, bluegreen: d.bluegreen, tasks: d.tasks, jobs: d.jobs, permalink: (ref, wait) => permalinks.get(ref, wait) });
  const served = serveApi(table, {
    tokens: new ApiTokens(d.policy.apiTokens),
    rates: new RateLimiter(d.redis, d.keys),
    defaultRateLimit: d.rateLimit,
    idempotency: new IdempotencyKeys(d.redis, d.keys),
    log: d.log,
    count: (route, status) => d.metrics.apiRequest(route, status),
  });
  return [openApiRoute(table, API_VERSION), ...served];
}
