/**
 * The one HTTP server of every role: exact-path routes (probes, metrics and, in web roles, the
 * Slack endpoint). An unknown path is 404, a known path with another method 405, and a route
 * that throws or rejects is logged and answered 500 instead of ending the process.
 */
import { createServer, type Server } from 'node:http';
import type { Logger } from 'pino';
import type { Route } from './routes.js';

export function listen(routes: Route[], port: number, log: Logger): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const onPath = routes.filter((r) => r.path === path);
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

/** Stops accepting, and drops idle keep-alive connections so close() does not wait on them. */
export function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
