/**
 * Measuring a check once: a Prometheus instant query over its HTTP API, or an HTTP GET. Every
 * answer that is not a clean pass is a failing sample with the reason in plain words: no data,
 * several series, NaN, an error from Prometheus, no answer at all. A check that cannot measure
 * never lets a release through.
 */
import { expandCheck, judge, type CheckSpec, type CheckVars, type Sample } from '../domain/checks.js';

export interface CheckProbe {
  sample(spec: CheckSpec, vars: CheckVars): Promise<Sample>;
}

interface PromAnswer {
  status?: string;
  error?: string;
  data?: { resultType?: string; result?: unknown };
}

export class HttpCheckProbe implements CheckProbe {
  constructor(private readonly timeoutMs = 5000) {}

  sample(spec: CheckSpec, vars: CheckVars): Promise<Sample> {
    return spec.prometheus ? this.prometheus(spec, vars) : this.http(spec, vars);
  }

  private async prometheus(spec: CheckSpec, vars: CheckVars): Promise<Sample> {
    const query = expandCheck(spec.query!, vars);
    const url = `${spec.prometheus!.replace(/\/+$/, '')}/api/v1/query?query=${encodeURIComponent(query)}`;
    const fail = (why: string): Sample => ({ ok: false, detail: `${spec.name}: ${why}`, measured: false });
    let res: Response;
    try {
      res = await fetch(url, { signal: AbortSignal.timeout(this.timeoutMs), headers: { accept: 'application/json' } });
    } catch (err) {
      return fail(`Prometheus at ${spec.prometheus} did not answer (${describe(err)})`);
    }
    let body: PromAnswer;
    try {
      body = (await res.json()) as PromAnswer;
    } catch (err) {
      // The timeout covers the body too: a Prometheus that stalls mid-answer did not answer.
      if ((err as Error).name === 'TimeoutError') return fail(`Prometheus at ${spec.prometheus} did not answer (no answer in time)`);
      return fail(`Prometheus answered HTTP ${res.status} without a JSON body`);
    }
    if (body.status !== 'success') return fail(`Prometheus refused the query (HTTP ${res.status}: ${body.error ?? 'no reason given'})`);
    const values = instantValues(body.data);
    if (values === undefined) return fail(`the query returned a ${body.data?.resultType ?? 'missing'} result, not an instant vector`);
    if (values.length === 0) return fail('the query returned no data');
    if (values.length > 1) return fail(`the query returned ${values.length} series; it must return one (sum or max it)`);
    return judge(spec, values[0]!);
  }

  private async http(spec: CheckSpec, vars: CheckVars): Promise<Sample> {
    const url = expandCheck(spec.http!, vars, true);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(this.timeoutMs) });
      await res.body?.cancel();
      const ok = res.status >= 200 && res.status < 300;
      return { ok, detail: ok ? `${spec.name}: HTTP ${res.status}` : `${spec.name}: GET ${url} answered HTTP ${res.status}`, measured: true };
    } catch (err) {
      return { ok: false, detail: `${spec.name}: GET ${url} failed (${describe(err)})`, measured: false };
    }
  }
}

/** The values of an instant vector (or a scalar), or undefined for any other shape. */
function instantValues(data: PromAnswer['data']): number[] | undefined {
  if (data?.resultType === 'scalar' && Array.isArray(data.result)) return [promNumber(data.result[1])];
  if (data?.resultType !== 'vector' || !Array.isArray(data.result)) return undefined;
  return data.result.map((s) => promNumber((s as { value?: [number, string] }).value?.[1]));
}

/** A sample value as Prometheus writes it: a float, or "+Inf", "-Inf", "NaN". */
function promNumber(v: unknown): number {
  if (v === '+Inf' || v === 'Inf') return Infinity;
  if (v === '-Inf') return -Infinity;
  return Number(v);
}

function describe(err: unknown): string {
  const e = err as Error & { cause?: { code?: string } };
  if (e.name === 'TimeoutError') return 'no answer in time';
  return e.cause?.code ?? e.message;
}
