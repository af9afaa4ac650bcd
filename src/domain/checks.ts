/**
 * Checks and metric gates (the policy file's `checks`), as pure parts: a check, its templates,
 * how one sample is judged and how samples add up to passed, failed or still running.
 *
 * A gate (a batch component after it is ready, a blue-green preview while Paused) passes once
 * every check has held for its `for`, sampled every `interval`, and fails at the first failing
 * sample. A watch (a blue-green release while the old version is kept) runs until its `until`
 * and fails at the first failing sample. Measuring is the worker's (checks/probe.ts).
 */

/** One check of an environment, as the policy file says it (durations in ms). */
export interface CheckSpec {
  name: string;
  /** Prometheus base URL (the HTTP API's /api/v1/query is under it) and an instant-vector query. */
  prometheus?: string;
  query?: string;
  below?: number;
  above?: number;
  /** GET this URL; any 2xx passes. */
  http?: string;
  /** Must hold this long (0: one passing sample). */
  forMs: number;
  /** Sampled this often. */
  intervalMs: number;
}

/** What templates may name: `{env}`, `{component}`, `{workload}`, `{slot}`, `{image}`. */
export interface CheckVars {
  env: string;
  component: string;
  workload: string;
  slot: string;
  image: string;
}
export const CHECK_TEMPLATE_VARS: readonly (keyof CheckVars)[] = ['env', 'component', 'workload', 'slot', 'image'];

/** One sample's verdict. `measured`: false when there was nothing to judge (no data, no answer). */
export interface Sample {
  ok: boolean;
  value?: number;
  /** "error-rate 0.043 is not below 0.01", "error-rate 0.001 (below 0.01)", "smoke: HTTP 503". */
  detail: string;
  measured: boolean;
}

export type CheckState = 'running' | 'passed' | 'failed';

/** A check's latest word in a gate or watch. */
export interface CheckReading {
  name: string;
  state: CheckState;
  value?: number;
  detail: string;
  samples: number;
  firstAt: string;
  lastAt: string;
}

/** The checks of one gate or watch, kept on the component or the job. */
export interface CheckRun {
  /** preview: a blue-green version while Paused; release: the window after Release; component: a batch component. */
  phase: 'component' | 'preview' | 'release';
  state: CheckState;
  startedAt: string;
  /** A watch ends here (a blue-green release keeps the old version until then). */
  until?: string;
  readings: CheckReading[];
  /** The thread was told how it ended (a worker that died just after the last sample tells it on resume). */
  told?: boolean;
}

/**
 * `{name}` placeholders in a template that are not check variables. Only a bare word in braces is
 * a placeholder: PromQL's own braces hold label matchers (`{app="{component}"}`), never a bare word.
 */
export function unknownCheckVars(template: string): string[] {
  return [...template.matchAll(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1]!).filter((v) => !(CHECK_TEMPLATE_VARS as readonly string[]).includes(v));
}

/** A template with its variables filled in; `encode` for URLs (a query takes them as they are). */
export function expandCheck(template: string, vars: CheckVars, encode = false): string {
  return template.replace(/\{(env|component|workload|slot|image)\}/g, (_, v: keyof CheckVars) => (encode ? encodeURIComponent(vars[v]) : vars[v]));
}

/** A measured value as the thread shows it: three significant digits, no float noise. */
export function checkValue(v: number): string {
  return Number.isFinite(v) ? String(Number(v.toPrecision(3))) : String(v);
}

/** A Prometheus check's verdict on a value. */
export function judge(spec: Pick<CheckSpec, 'name' | 'below' | 'above'>, value: number): Sample {
  const v = checkValue(value);
  if (Number.isNaN(value)) return { ok: false, value, detail: `${spec.name} is NaN (no traffic to measure?)`, measured: false };
  if (spec.below !== undefined && !(value < spec.below)) return { ok: false, value, detail: `${spec.name} ${v} is not below ${spec.below}`, measured: true };
  if (spec.above !== undefined && !(value > spec.above)) return { ok: false, value, detail: `${spec.name} ${v} is not above ${spec.above}`, measured: true };
  const bounds = [spec.below !== undefined ? `below ${spec.below}` : '', spec.above !== undefined ? `above ${spec.above}` : ''].filter(Boolean).join(', ');
  return { ok: true, value, detail: `${spec.name} ${v} (${bounds})`, measured: true };
}

/** A new gate (`until` absent) or watch over `specs`, starting now. */
export function startChecks(phase: CheckRun['phase'], now: Date, until?: Date): CheckRun {
  return { phase, state: 'running', startedAt: now.toISOString(), ...(until ? { until: until.toISOString() } : {}), readings: [] };
}

/** The checks due for a sample now: never sampled, or running and their interval elapsed (none once a watch's `until` came). */
export function dueChecks(specs: readonly CheckSpec[], run: CheckRun, now: Date): CheckSpec[] {
  // A watch is over at `until`: a sample taken late (a backlog, a restart) judges nothing after it.
  if (run.state !== 'running' || (run.until && now.getTime() >= Date.parse(run.until))) return [];
  return specs.filter((s) => {
    const r = run.readings.find((x) => x.name === s.name);
    return !r || (r.state === 'running' && now.getTime() >= Date.parse(r.lastAt) + s.intervalMs);
  });
}

/** The run with `samples` (taken at `now`) recorded, and its state worked out again. */
export function recordSamples(specs: readonly CheckSpec[], run: CheckRun, samples: ReadonlyArray<{ spec: CheckSpec; sample: Sample }>, now: Date): CheckRun {
  const at = now.toISOString();
  const readings = [...run.readings];
  for (const { spec, sample } of samples) {
    const i = readings.findIndex((r) => r.name === spec.name);
    const before = i >= 0 ? readings[i] : undefined;
    const firstAt = before?.firstAt ?? at;
    // A gate passes a check once it held for `for`; a watch keeps it running until `until`.
    const held = !run.until && now.getTime() - Date.parse(firstAt) >= spec.forMs;
    const r: CheckReading = {
      name: spec.name,
      state: !sample.ok ? 'failed' : held ? 'passed' : 'running',
      ...(sample.value !== undefined && Number.isFinite(sample.value) ? { value: sample.value } : {}),
      detail: sample.detail,
      samples: (before?.samples ?? 0) + 1,
      firstAt,
      lastAt: at,
    };
    if (i >= 0) readings[i] = r;
    else readings.push(r);
  }
  return settleChecks(specs, { ...run, readings }, now);
}

/** Failed if any check failed; passed once every check passed (a watch: once `until` came); else running. */
export function settleChecks(specs: readonly CheckSpec[], run: CheckRun, now: Date): CheckRun {
  if (run.readings.some((r) => r.state === 'failed')) return { ...run, state: 'failed' };
  if (run.until) {
    if (now.getTime() < Date.parse(run.until)) return { ...run, state: 'running' };
    return { ...run, state: 'passed', readings: run.readings.map((r) => ({ ...r, state: 'passed' as const })) };
  }
  const passed = specs.every((s) => run.readings.find((r) => r.name === s.name)?.state === 'passed');
  return { ...run, state: passed ? 'passed' : 'running' };
}

/** When the run wants its next look: the earliest due sample, or a watch's end. */
export function nextCheckAt(specs: readonly CheckSpec[], run: CheckRun, now: Date): Date {
  const times = specs.flatMap((s) => {
    const r = run.readings.find((x) => x.name === s.name);
    if (!r) return [now.getTime()];
    return r.state === 'running' ? [Date.parse(r.lastAt) + s.intervalMs] : [];
  });
  if (run.until) times.push(Date.parse(run.until));
  return new Date(times.length ? Math.max(now.getTime(), Math.min(...times)) : now.getTime());
}

/** How a hold over checks that have not all passed yet begins (operations compare holds by it). */
export const CHECKS_NOT_FINISHED = 'checks not finished';

/** The failing checks' details joined: the reason a component failed or a release was undone. */
export function failedDetail(run: CheckRun): string {
  return run.readings.filter((r) => r.state === 'failed').map((r) => r.detail).join('; ');
}

const MARK: Record<CheckState, string> = { running: ':hourglass_flowing_sand:', passed: ':white_check_mark:', failed: ':x:' };

/** One line per check for cards: ":x: error-rate 0.5 is not below 0.01 · 3 samples". */
export function checkLines(run: CheckRun, specs: readonly CheckSpec[] = []): string[] {
  const waiting = specs.filter((s) => !run.readings.some((r) => r.name === s.name)).map((s) => `${MARK.running} ${s.name}: first sample due`);
  return [
    ...run.readings.map((r) => `${MARK[r.state]} ${r.detail}${r.samples > 1 ? ` · ${r.samples} samples` : ''}`),
    ...(run.state === 'running' ? waiting : []),
  ];
}

/** One short phrase for a component line: "checking: error-rate 0.001 (below 0.01) ✓ 2 samples". */
export function checkPhrase(run: CheckRun): string {
  const parts = run.readings.map((r) => `${r.detail}${r.state === 'passed' ? ' ✓' : r.state === 'failed' ? ' ✗' : ''}`);
  const lead = run.state === 'running' ? 'checking' : run.state === 'passed' ? 'checks passed' : 'checks failed';
  return parts.length ? `${lead}: ${parts.join('; ')}` : `${lead}…`;
}
