/**
 * Measuring checks (checks/probe.ts) against a real local HTTP server standing in for Prometheus
 * and for a smoke endpoint, and one round of sampling (checks/gates.ts) with a fake probe.
 */
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CheckGates } from '../../src/checks/gates.js';
import { HttpCheckProbe } from '../../src/checks/probe.js';
import { startChecks, type CheckSpec, type CheckVars, type Sample } from '../../src/domain/checks.js';
import type { CheckOutcome } from '../../src/ports/metrics.js';

const VARS: CheckVars = { env: 'prod', component: 'api gw', workload: 'api-blue', slot: 'blue', image: 'registry:5000/api:1.2&x' };

type Reply = (req: IncomingMessage, res: ServerResponse) => void;

const json = (status: number, body: unknown): Reply => (_req, res) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};
const vector = (...values: string[]) =>
  json(200, { status: 'success', data: { resultType: 'vector', result: values.map((v, i) => ({ metric: { i: String(i) }, value: [1_700_000_000, v] })) } });

let server: Server;
let base: string;
/** What the server answers next, and the URLs it was asked for. */
let reply: Reply;
let requested: string[];
const hanging: ServerResponse[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    requested.push(req.url ?? '');
    reply(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const res of hanging) res.destroy();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  requested = [];
  reply = json(500, { status: 'error', error: 'no reply set' });
});

const rate = (over: Partial<CheckSpec> = {}): CheckSpec => ({
  name: 'error-rate',
  prometheus: `${base}/`,
  query: 'sum(rate(http_errors{app="{component}",image="{image}",code=~"5.."}[1m]))',
  below: 0.01,
  forMs: 0,
  intervalMs: 100,
  ...over,
});

describe('HttpCheckProbe: Prometheus', () => {
  const probe = new HttpCheckProbe();

  it('sends the expanded query URL-encoded to /api/v1/query', async () => {
    reply = vector('0.001');
    await probe.sample(rate(), VARS);
    expect(requested).toHaveLength(1);
    const url = new URL(requested[0]!, base);
    expect(url.pathname).toBe('/api/v1/query');
    expect(url.searchParams.get('query')).toBe('sum(rate(http_errors{app="api gw",image="registry:5000/api:1.2&x",code=~"5.."}[1m]))');
    expect(requested[0]).toBe(`/api/v1/query?query=${encodeURIComponent('sum(rate(http_errors{app="api gw",image="registry:5000/api:1.2&x",code=~"5.."}[1m]))')}`);
  });

  it('passes one series under the bound', async () => {
    reply = vector('0.001');
    expect(await probe.sample(rate(), VARS)).toEqual({ ok: true, value: 0.001, detail: 'error-rate 0.001 (below 0.01)', measured: true });
  });

  it('fails one series over the bound', async () => {
    reply = vector('0.0432');
    expect(await probe.sample(rate(), VARS)).toEqual({ ok: false, value: 0.0432, detail: 'error-rate 0.0432 is not below 0.01', measured: true });
  });

  it('fails NaN as not measured', async () => {
    reply = vector('NaN');
    expect(await probe.sample(rate(), VARS)).toMatchObject({ ok: false, measured: false, detail: 'error-rate is NaN (no traffic to measure?)' });
  });

  it('fails an empty vector: no data', async () => {
    reply = vector();
    expect(await probe.sample(rate(), VARS)).toEqual({ ok: false, detail: 'error-rate: the query returned no data', measured: false });
  });

  it('fails two series: it must return one', async () => {
    reply = vector('0.001', '0.002');
    expect(await probe.sample(rate(), VARS)).toEqual({ ok: false, detail: 'error-rate: the query returned 2 series; it must return one (sum or max it)', measured: false });
  });

  it('takes a scalar result', async () => {
    reply = json(200, { status: 'success', data: { resultType: 'scalar', result: [1_700_000_000, '0.5'] } });
    expect(await probe.sample(rate(), VARS)).toEqual({ ok: false, value: 0.5, detail: 'error-rate 0.5 is not below 0.01', measured: true });
    reply = json(200, { status: 'success', data: { resultType: 'scalar', result: [1_700_000_000, '2'] } });
    expect(await probe.sample(rate({ below: undefined, above: 1 }), VARS)).toEqual({ ok: true, value: 2, detail: 'error-rate 2 (above 1)', measured: true });
  });

  it('reads Prometheus infinities as numbers, not NaN', async () => {
    reply = vector('+Inf');
    expect(await probe.sample(rate({ below: undefined, above: 1 }), VARS)).toEqual({ ok: true, value: Infinity, detail: 'error-rate Infinity (above 1)', measured: true });
    reply = vector('-Inf');
    expect(await probe.sample(rate(), VARS)).toMatchObject({ ok: true, value: -Infinity });
  });

  it('fails a range vector (matrix) result', async () => {
    reply = json(200, { status: 'success', data: { resultType: 'matrix', result: [] } });
    expect(await probe.sample(rate(), VARS)).toEqual({ ok: false, detail: 'error-rate: the query returned a matrix result, not an instant vector', measured: false });
  });

  it('fails a status: "error" answer, with Prometheus\'s reason', async () => {
    reply = json(400, { status: 'error', errorType: 'bad_data', error: 'parse error at char 5' });
    expect(await probe.sample(rate(), VARS)).toEqual({
      ok: false,
      detail: 'error-rate: Prometheus refused the query (HTTP 400: parse error at char 5)',
      measured: false,
    });
    reply = json(503, { status: 'error' });
    expect((await probe.sample(rate(), VARS)).detail).toBe('error-rate: Prometheus refused the query (HTTP 503: no reason given)');
  });

  it('fails a non-JSON 500 answer', async () => {
    reply = (_req, res) => {
      res.writeHead(500, { 'content-type': 'text/html' });
      res.end('<html>Internal Server Error</html>');
    };
    expect(await probe.sample(rate(), VARS)).toEqual({ ok: false, detail: 'error-rate: Prometheus answered HTTP 500 without a JSON body', measured: false });
  });

  it('a Prometheus that sends its headers and then stalls did not answer', async () => {
    reply = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"status":');
      hanging.push(res);
    };
    const slow = new HttpCheckProbe(150);
    const s = await slow.sample(rate(), VARS);
    expect(s).toMatchObject({ ok: false, measured: false });
    expect(s.detail).toBe(`error-rate: Prometheus at ${base}/ did not answer (no answer in time)`);
  });

  it('fails when nothing listens at the URL', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const prometheus = `http://127.0.0.1:${port}`;
    expect(await probe.sample(rate({ prometheus }), VARS)).toEqual({
      ok: false,
      detail: `error-rate: Prometheus at ${prometheus} did not answer (ECONNREFUSED)`,
      measured: false,
    });
  });

  it('fails when no answer comes in time', async () => {
    reply = (_req, res) => void hanging.push(res);
    const started = Date.now();
    const s = await new HttpCheckProbe(150).sample(rate(), VARS);
    expect(s).toEqual({ ok: false, detail: `error-rate: Prometheus at ${base}/ did not answer (no answer in time)`, measured: false });
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('HttpCheckProbe: HTTP', () => {
  const probe = new HttpCheckProbe();
  const smoke = (path = '/{env}/{component}/health?image={image}'): CheckSpec => ({ name: 'smoke', http: `${base}${path}`, forMs: 0, intervalMs: 100 });

  it('passes a 2xx answer', async () => {
    reply = json(200, { ok: true });
    expect(await probe.sample(smoke(), VARS)).toEqual({ ok: true, detail: 'smoke: HTTP 200', measured: true });
    reply = (_req, res) => {
      res.writeHead(204);
      res.end();
    };
    expect(await probe.sample(smoke(), VARS)).toEqual({ ok: true, detail: 'smoke: HTTP 204', measured: true });
  });

  it('URL-encodes the placeholders it fills in', async () => {
    reply = json(200, {});
    await probe.sample(smoke(), VARS);
    expect(requested).toEqual(['/prod/api%20gw/health?image=registry%3A5000%2Fapi%3A1.2%26x']);
  });

  it('fails any other answer, naming the URL and status', async () => {
    reply = json(503, { status: 'unavailable' });
    expect(await probe.sample(smoke('/{env}/health'), VARS)).toEqual({ ok: false, detail: `smoke: GET ${base}/prod/health answered HTTP 503`, measured: true });
  });

  it('fails with no answer in time, as not measured', async () => {
    reply = (_req, res) => void hanging.push(res);
    expect(await new HttpCheckProbe(150).sample(smoke('/{env}/health'), VARS)).toEqual({
      ok: false,
      detail: `smoke: GET ${base}/prod/health failed (no answer in time)`,
      measured: false,
    });
  });
});

describe('CheckGates', () => {
  const T0 = Date.parse('2026-03-01T12:00:00.000Z');
  const at = (ms: number) => () => new Date(T0 + ms);
  const spec = (name: string, intervalMs: number, forMs = 10_000): CheckSpec => ({ name, http: 'https://x.example/', forMs, intervalMs });

  const setup = (answers: Record<string, Sample>) => {
    const sampled: string[] = [];
    const counted: Array<[string, CheckOutcome]> = [];
    const probe = {
      sample: async (s: CheckSpec, vars: CheckVars) => {
        expect(vars).toBe(VARS);
        sampled.push(s.name);
        return answers[s.name]!;
      },
    };
    const policy = { checks: (env: string) => (env === 'prod' ? [spec('a', 100)] : []), keepOldForMs: (env: string) => (env === 'prod' ? 60_000 : 0) };
    const gates = new CheckGates(policy, probe, { check: (name, outcome) => void counted.push([name, outcome]) });
    return { gates, sampled, counted };
  };
  const ok: Sample = { ok: true, detail: 'ok', measured: true };

  it('answers the policy\'s checks and keepOldFor', () => {
    const { gates } = setup({});
    expect(gates.specs('prod').map((s) => s.name)).toEqual(['a']);
    expect(gates.specs('dev')).toEqual([]);
    expect(gates.keepOldForMs('prod')).toBe(60_000);
  });

  it('samples only the checks that are due', async () => {
    const specs = [spec('fast', 100), spec('slow', 1000)];
    const { gates, sampled } = setup({ fast: ok, slow: ok });
    let run = await gates.sample(specs, startChecks('component', at(0)()), VARS, at(0));
    expect(sampled).toEqual(['fast', 'slow']);
    expect(run.readings.map((r) => [r.name, r.samples])).toEqual([['fast', 1], ['slow', 1]]);
    run = await gates.sample(specs, run, VARS, at(50));
    expect(sampled).toEqual(['fast', 'slow']);
    run = await gates.sample(specs, run, VARS, at(100));
    expect(sampled).toEqual(['fast', 'slow', 'fast']);
    run = await gates.sample(specs, run, VARS, at(1000));
    expect(sampled).toEqual(['fast', 'slow', 'fast', 'fast', 'slow']);
    expect(run.readings.map((r) => [r.name, r.samples])).toEqual([['fast', 3], ['slow', 2]]);
    expect(run.state).toBe('running');
  });

  it('settles without sampling when nothing is due (a gate without checks passes)', async () => {
    const { gates, sampled, counted } = setup({});
    const run = await gates.sample([], startChecks('component', at(0)()), VARS, at(0));
    expect(run.state).toBe('passed');
    expect(sampled).toEqual([]);
    expect(counted).toEqual([]);
  });

  it('counts each sample as pass, fail or error', async () => {
    const specs = [spec('good', 100), spec('bad', 100), spec('blind', 100)];
    const { gates, counted } = setup({
      good: ok,
      bad: { ok: false, value: 0.5, detail: 'bad 0.5 is not below 0.01', measured: true },
      blind: { ok: false, detail: 'blind: the query returned no data', measured: false },
    });
    const run = await gates.sample(specs, startChecks('component', at(0)()), VARS, at(0));
    expect(counted).toEqual([
      ['good', 'pass'],
      ['bad', 'fail'],
      ['blind', 'error'],
    ]);
    expect(run.state).toBe('failed');
    expect(run.readings.map((r) => r.state)).toEqual(['running', 'failed', 'failed']);
  });

  it('samples nothing once the run has failed', async () => {
    const specs = [spec('bad', 100)];
    const { gates, sampled } = setup({ bad: { ok: false, detail: 'bad', measured: true } });
    const run = await gates.sample(specs, startChecks('component', at(0)()), VARS, at(0));
    expect(run.state).toBe('failed');
    const again = await gates.sample(specs, run, VARS, at(5000));
    expect(again.state).toBe('failed');
    expect(sampled).toEqual(['bad']);
  });
});
