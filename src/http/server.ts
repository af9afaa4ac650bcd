/**
 * The one HTTP server of every role: routes by path (probes, metrics and, in web roles, the
 * Slack endpoint and the HTTP API, whose paths have `:name` segments). An unknown path is 404, a known path with another method 405, and a route
 * that throws or rejects is logged and answered 500 instead of ending the process.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Logger } from 'pino';
import type { Route } from './routes.js';

export function listen(routes: Route[], port: number, log: Logger): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const onPath = routes.flatMap((r) => {
      const params = matchPath(r.path, path);
      return params ? [{ ...r, params }] : [];
    });
    const route = onPath.find((r) => r.method.includes(req.method ?? 'GET'));
    if (!route) {
      res.writeHead(onPath.length > 0 ? 405 : 404, onPath.length > 0 ? { allow: onPath.flatMap((r) => r.method).join(', ') } : {}).end();
      return;
    }
    const failed = (err: unknown) => {
      log.error({ err: (err as Error)?.message ?? String(err), method: req.method, path }, 'request handler failed');
      if (!res.headersSent) res.writeHead(500);
      res.end();
    };
    // As Bolt's custom routes do in Socket Mode: the path's `:name` segments, decoded.
    (req as IncomingMessage & { params?: Record<string, string> }).params = route.params;
    try {
      void Promise.resolve(route.handler(req, res)).catch(failed);
    } catch (err) {
      failed(err);
    }
  });
  // Slack sends a request in one go: one that trickles in for 10 s is not Slack, and holds a socket.
  server.requestTimeout = 10_000;
  server.headersTimeout = 10_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => {
      server.off('error', reject);
      server.on('error', (err) => log.error({ err: err.message }, 'http server error'));
      resolve(server);
    });
  });
}

/**
 * The `:name` segments of `pattern` in `path` (`/api/v1/tasks/:id` against `/api/v1/tasks/rt-1`
 * gives `{ id: 'rt-1' }`), or undefined when the path is another one. A segment that does not
 * decode is no match.
 */
export function matchPath(pattern: string, path: string): Record<string, string> | undefined {
  if (pattern === path) return {};
  const want = pattern.split('/');
  const got = path.split('/');
  if (want.length !== got.length || !pattern.includes(':')) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    if (w.startsWith(':')) {
      if (!got[i]) return undefined;
      try {
        params[w.slice(1)] = decodeURIComponent(got[i]!);
      } catch {
        return undefined;
      }
    } else if (w !== got[i]) {
      return undefined;
    }
  }
  return params;
}

/** Stops accepting, and drops idle keep-alive connections so close() does not wait on them. */
export function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}

/** The body, or 'too large' as soon as it passes `limit` (the rest is left unread). */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        req.pause();
        return resolve('too large');
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
    // The client went away mid-body (after 'end' this settles nothing).
    req.once('close', () => reject(new Error('the client closed the request before its body ended')));
  });
}
