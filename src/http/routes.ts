/**
 * GET /healthz (process up), /readyz (Redis answers and, where this process runs workers, they
 * run), /metrics (Prometheus text). Served by the one HTTP server of every role (http/server.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { JobQueues } from '../jobs/queues.js';
import type { RedisClient } from '../store/redis.js';
import type { Metrics } from './metrics.js';

export interface Route {
  path: string;
  method: string[];
  handler: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;
}

export interface ProbeDeps {
  redis: RedisClient;
  queues: JobQueues;
  metrics: Metrics;
  /** Undefined when this process runs no workers (ROLE=web). */
  workersRunning?: () => boolean;
}

function send(res: ServerResponse, status: number, body: string, type = 'application/json'): void {
  res.writeHead(status, { 'content-type': type });
  res.end(body);
}

/** `p`, or a rejection once `ms` have passed without an answer. */
export async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms)));
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function probeRoutes(d: ProbeDeps): Route[] {
  return [
    { path: '/healthz', method: ['GET'], handler: (_req, res) => send(res, 200, '{"status":"ok"}') },
    {
      path: '/readyz',
      method: ['GET'],
      handler: (_req, res) => {
        void (async () => {
          const redis = await withTimeout(d.redis.ping(), 1000).then(() => true, () => false);
          const workers = d.workersRunning ? d.workersRunning() : undefined;
          const ready = redis && workers !== false;
          send(res, ready ? 200 : 503, JSON.stringify({ ready, redis, ...(workers === undefined ? {} : { workers }) }));
        })();
      },
    },
    {
      path: '/metrics',
      method: ['GET'],
      handler: (_req, res) => {
        void (async () => {
          const counts: Record<string, Record<string, number>> = {};
          try {
            for (const [name, q] of Object.entries(d.queues.byName)) {
              counts[name] = await withTimeout(q.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized', 'waiting-children'), 1000);
            }
          } catch {
            // Redis unreachable: still serve the in-process metrics.
          }
          send(res, 200, d.metrics.render(counts), 'text/plain; version=0.0.4');
        })();
      },
    },
  ];
}
