/**
 * A Prometheus stand-in for the simulated platform, on the bot's own port:
 * GET /sim/prometheus/api/v1/query?query=… answers like Prometheus's HTTP API (an instant vector),
 * so checks can be tried without a Prometheus. It reads the query's label matchers: `image="…"`
 * names the image; otherwise `app`, `component`, `workload` or `deployment` names what runs in
 * `env` or `namespace` (every environment when neither is given), and for a blue-green workload
 * `slot` picks the slot (default: the one serving). An image whose tag ends in `-errors` reports
 * 0.5 (an error rate far too high), any other 0.001; nothing found is no data (an empty vector).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SimulatedPlatform } from './simulated-platform.js';

export const STANDIN_PATH = '/sim/prometheus/api/v1/query';
export const ERRORS_RATE = 0.5;
export const HEALTHY_RATE = 0.001;

/** The handler for GET STANDIN_PATH (bootstrap serves it on the bot's port). */
export function prometheusStandin(platform: SimulatedPlatform, clock: () => Date = () => new Date()): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => void answer(platform, clock, req, res);
}

async function answer(platform: SimulatedPlatform, clock: () => Date, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const query = new URL(req.url ?? '/', 'http://standin').searchParams.get('query');
  if (!query) return send(res, 400, { status: 'error', errorType: 'bad_data', error: 'query is required: ?query=<PromQL>' });
  try {
    const labels = matchers(query);
    const image = labels.image || (await imageOf(platform, labels));
    const at = clock().getTime() / 1000;
    const result = image ? [{ metric: { image }, value: [at, String(errorRate(image))] }] : [];
    send(res, 200, { status: 'success', data: { resultType: 'vector', result } });
  } catch (err) {
    send(res, 503, { status: 'error', errorType: 'unavailable', error: (err as Error).message });
  }
}

/** The error rate the stand-in reports for `image`. */
export function errorRate(image: string): number {
  const tag = image.lastIndexOf(':') > image.lastIndexOf('/') ? image.slice(image.lastIndexOf(':') + 1) : '';
  return tag.endsWith('-errors') ? ERRORS_RATE : HEALTHY_RATE;
}

/** The query's `label="value"` matchers (the first of each label; `=~`, `!=` and `!~` are ignored). */
export function matchers(query: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of query.matchAll(/([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!=|!~|=)\s*"((?:[^"\\]|\\.)*)"/g)) {
    if (m[2] === '=' && out[m[1]!] === undefined) out[m[1]!] = m[3]!.replace(/\\(.)/g, '$1');
  }
  return out;
}

async function imageOf(platform: SimulatedPlatform, labels: Record<string, string>): Promise<string | undefined> {
  const name = labels.app || labels.component || labels.workload || labels.deployment;
  if (!name) return undefined;
  const env = labels.env || labels.namespace;
  for (const e of env ? [env] : await platform.environments()) {
    const bg = await platform.bgInspect(e, name);
    if (bg) {
      const slot = labels.slot === 'blue' || labels.slot === 'green' ? labels.slot : bg.serving;
      return slot ? bg.slots[slot]?.image : undefined;
    }
    const c = await platform.get(e, name);
    if (c) return c.image;
  }
  return undefined;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
