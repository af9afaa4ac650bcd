/**
 * Checks and metric gates as pure parts (domain/checks.ts): judging a value, templates, how
 * samples add up in a gate or a watch, when the next look is due and how cards word it; and the
 * simulated Prometheus stand-in's label matchers and error rates.
 */
import { describe, expect, it } from 'vitest';
import { PublishedJob, PublishedTask, publishJob, publishTask } from '../../src/domain/published.js';
import { JobFactory, TaskFactory, component } from '../support/factories.js';
import {
  checkLines,
  checkPhrase,
  checkValue,
  dueChecks,
  expandCheck,
  failedDetail,
  judge,
  nextCheckAt,
  recordSamples,
  settleChecks,
  startChecks,
  unknownCheckVars,
  type CheckRun,
  type CheckSpec,
  type CheckVars,
  type Sample,
} from '../../src/domain/checks.js';
import { ERRORS_RATE, HEALTHY_RATE, errorRate, matchers } from '../../src/platform/simulated/prometheus-standin.js';

const T0 = Date.parse('2026-03-01T12:00:00.000Z');
/** The instant `ms` after T0. */
const at = (ms: number) => new Date(T0 + ms);

const VARS: CheckVars = { env: 'prod', component: 'api', workload: 'api-blue', slot: 'blue', image: 'registry/api:1.2 b&c' };

const rate = (over: Partial<CheckSpec> = {}): CheckSpec => ({
  name: 'error-rate',
  prometheus: 'http://prom:9090',
  query: 'sum(rate(http_errors{app="{component}"}[1m]))',
  below: 0.01,
  forMs: 300,
  intervalMs: 100,
  ...over,
});
const smoke = (over: Partial<CheckSpec> = {}): CheckSpec => ({ name: 'smoke', http: 'https://x.example/{env}/health', forMs: 0, intervalMs: 100, ...over });

const pass = (value = 0.001): Sample => ({ ok: true, value, detail: `error-rate ${value} (below 0.01)`, measured: true });
const fail = (value = 0.043): Sample => ({ ok: false, value, detail: `error-rate ${value} is not below 0.01`, measured: true });

/** Record one sample for `spec` at `now`. */
const step = (specs: CheckSpec[], run: CheckRun, spec: CheckSpec, sample: Sample, now: Date) => recordSamples(specs, run, [{ spec, sample }], now);

describe('judge', () => {
  it('passes a value below `below` and fails one at or over it', () => {
    expect(judge({ name: 'error-rate', below: 0.01 }, 0.001)).toEqual({ ok: true, value: 0.001, detail: 'error-rate 0.001 (below 0.01)', measured: true });
    expect(judge({ name: 'error-rate', below: 0.01 }, 0.043)).toEqual({ ok: false, value: 0.043, detail: 'error-rate 0.043 is not below 0.01', measured: true });
    expect(judge({ name: 'error-rate', below: 0.01 }, 0.01).detail).toBe('error-rate 0.01 is not below 0.01');
  });

  it('passes a value over `above` and fails one at or under it', () => {
    expect(judge({ name: 'rps', above: 5 }, 12)).toEqual({ ok: true, value: 12, detail: 'rps 12 (above 5)', measured: true });
    expect(judge({ name: 'rps', above: 5 }, 5)).toEqual({ ok: false, value: 5, detail: 'rps 5 is not above 5', measured: true });
  });

  it('with both bounds, needs the value between them and names the first bound it breaks', () => {
    const spec = { name: 'latency', above: 0.1, below: 0.5 };
    expect(judge(spec, 0.25)).toMatchObject({ ok: true, detail: 'latency 0.25 (below 0.5, above 0.1)' });
    expect(judge(spec, 0.7)).toMatchObject({ ok: false, detail: 'latency 0.7 is not below 0.5' });
    expect(judge(spec, 0.05)).toMatchObject({ ok: false, detail: 'latency 0.05 is not above 0.1' });
  });

  it('fails NaN as not measured', () => {
    const s = judge({ name: 'error-rate', below: 0.01 }, NaN);
    expect(s.ok).toBe(false);
    expect(s.measured).toBe(false);
    expect(s.detail).toBe('error-rate is NaN (no traffic to measure?)');
    expect(judge({ name: 'rps', above: 1 }, NaN).measured).toBe(false);
  });

  it('shows the value with three significant digits', () => {
    expect(judge({ name: 'error-rate', below: 0.01 }, 1 / 3).detail).toBe('error-rate 0.333 is not below 0.01');
    expect(judge({ name: 'error-rate', below: 0.01 }, 1 / 3).value).toBe(1 / 3);
  });
});

describe('checkValue', () => {
  it.each([
    [0.043, '0.043'],
    [0.5, '0.5'],
    [1 / 3, '0.333'],
    [0.1 + 0.2, '0.3'],
    [0.001, '0.001'],
    [12345, '12300'],
    [0, '0'],
    [NaN, 'NaN'],
    [Infinity, 'Infinity'],
  ])('%s -> %s', (v, shown) => {
    expect(checkValue(v)).toBe(shown);
  });
});

describe('expandCheck', () => {
  it('fills in every variable as it is for a query', () => {
    expect(expandCheck('x{env="{env}",app="{component}",w="{workload}",s="{slot}",i="{image}"}', VARS)).toBe(
      'x{env="prod",app="api",w="api-blue",s="blue",i="registry/api:1.2 b&c"}',
    );
  });

  it('URL-encodes each value when asked (the template itself is left alone)', () => {
    expect(expandCheck('https://x.example/{env}/check?image={image}&c={component}', VARS, true)).toBe(
      'https://x.example/prod/check?image=registry%2Fapi%3A1.2%20b%26c&c=api',
    );
  });

  it('leaves label matchers and unknown words alone', () => {
    expect(expandCheck('sum(rate(x{app="{component}",code=~"5.."}[1m])) {foo}', VARS)).toBe('sum(rate(x{app="api",code=~"5.."}[1m])) {foo}');
  });
});

describe('unknownCheckVars', () => {
  it('ignores PromQL label matchers and the known variables', () => {
    expect(unknownCheckVars('sum(rate(x{app="{component}",code=~"5.."}[1m]))')).toEqual([]);
    expect(unknownCheckVars('x{env="{env}",w="{workload}",s="{slot}",i="{image}"}')).toEqual([]);
    expect(unknownCheckVars('up{job="api"} == 1')).toEqual([]);
  });

  it('flags a bare word in braces that is not a variable', () => {
    expect(unknownCheckVars('x{app="{foo}"}')).toEqual(['foo']);
    expect(unknownCheckVars('https://x.example/{service}/{env}/{foo}')).toEqual(['service', 'foo']);
  });
});

describe('a gate (no until)', () => {
  const spec = rate({ forMs: 300, intervalMs: 100 });
  const specs = [spec];

  it('starts running with no readings', () => {
    expect(startChecks('component', at(0))).toEqual({ phase: 'component', state: 'running', startedAt: at(0).toISOString(), readings: [] });
  });

  it('runs while passing until the check has held for `for`, then passes', () => {
    let run = startChecks('component', at(0));
    run = step(specs, run, spec, pass(), at(0));
    expect(run.state).toBe('running');
    expect(run.readings).toEqual([
      { name: 'error-rate', state: 'running', value: 0.001, detail: 'error-rate 0.001 (below 0.01)', samples: 1, firstAt: at(0).toISOString(), lastAt: at(0).toISOString() },
    ]);
    run = step(specs, run, spec, pass(), at(100));
    run = step(specs, run, spec, pass(), at(200));
    expect(run.state).toBe('running');
    run = step(specs, run, spec, pass(), at(299));
    expect(run.state).toBe('running');
    run = step(specs, run, spec, pass(0.002), at(300));
    expect(run.state).toBe('passed');
    expect(run.readings[0]).toMatchObject({ state: 'passed', value: 0.002, samples: 5, firstAt: at(0).toISOString(), lastAt: at(300).toISOString() });
    expect(failedDetail(run)).toBe('');
  });

  it('with for 0, passes on the first passing sample', () => {
    const quick = rate({ forMs: 0 });
    const run = step([quick], startChecks('component', at(0)), quick, pass(), at(0));
    expect(run.state).toBe('passed');
  });

  it('fails at the first failing sample and stays failed', () => {
    let run = startChecks('preview', at(0));
    run = step(specs, run, spec, pass(), at(0));
    run = step(specs, run, spec, fail(), at(100));
    expect(run.state).toBe('failed');
    expect(run.readings[0]).toMatchObject({ state: 'failed', value: 0.043, samples: 2 });
    expect(failedDetail(run)).toBe('error-rate 0.043 is not below 0.01');
    expect(dueChecks(specs, run, at(10_000))).toEqual([]);
    expect(settleChecks(specs, run, at(10_000)).state).toBe('failed');
  });

  it('fails on an unmeasured sample (no data)', () => {
    const run = step(specs, startChecks('component', at(0)), spec, { ok: false, detail: 'error-rate: the query returned no data', measured: false }, at(0));
    expect(run.state).toBe('failed');
    expect(run.readings[0]).not.toHaveProperty('value');
  });

  it('keeps no NaN value on a reading', () => {
    const run = step(specs, startChecks('component', at(0)), spec, judge(spec, NaN), at(0));
    expect(run.readings[0]).not.toHaveProperty('value');
    expect(run.readings[0]!.detail).toBe('error-rate is NaN (no traffic to measure?)');
  });

  it('passes only when every check has passed', () => {
    const both = [spec, smoke()];
    let run = startChecks('component', at(0));
    run = recordSamples(both, run, [{ spec: both[1]!, sample: { ok: true, detail: 'smoke: HTTP 200', measured: true } }], at(0));
    expect(run.readings[0]!.state).toBe('passed');
    expect(run.state).toBe('running');
    run = step(both, run, spec, pass(), at(0));
    run = step(both, run, spec, pass(), at(300));
    expect(run.state).toBe('passed');
  });

  it('passes at once with no checks', () => {
    expect(settleChecks([], startChecks('component', at(0)), at(0)).state).toBe('passed');
  });

  it('fails when any of several checks fails, naming each failing one', () => {
    const both = [spec, smoke()];
    const run = recordSamples(
      both,
      startChecks('component', at(0)),
      [
        { spec, sample: fail(0.5) },
        { spec: both[1]!, sample: { ok: false, detail: 'smoke: GET https://x.example/prod/health answered HTTP 503', measured: true } },
      ],
      at(0),
    );
    expect(run.state).toBe('failed');
    expect(failedDetail(run)).toBe('error-rate 0.5 is not below 0.01; smoke: GET https://x.example/prod/health answered HTTP 503');
  });
});

describe('dueChecks', () => {
  const spec = rate({ intervalMs: 100 });
  const other = smoke({ intervalMs: 1000, forMs: 5000 });
  const specs = [spec, other];

  it('is every check before any sample', () => {
    expect(dueChecks(specs, startChecks('component', at(0)), at(0))).toEqual(specs);
  });

  it('is a running check once its interval has elapsed since its last sample', () => {
    let run = startChecks('component', at(0));
    run = recordSamples(specs, run, [{ spec, sample: pass() }, { spec: other, sample: { ok: true, detail: 'smoke: HTTP 200', measured: true } }], at(0));
    expect(dueChecks(specs, run, at(50))).toEqual([]);
    expect(dueChecks(specs, run, at(99))).toEqual([]);
    expect(dueChecks(specs, run, at(100))).toEqual([spec]);
    expect(dueChecks(specs, run, at(999))).toEqual([spec]);
    expect(dueChecks(specs, run, at(1000))).toEqual([spec, other]);
  });

  it('is never a check that passed, nor anything in a run that is over', () => {
    const quick = rate({ forMs: 0 });
    const run = step([quick, other], startChecks('component', at(0)), quick, pass(), at(0));
    expect(run.readings[0]!.state).toBe('passed');
    expect(dueChecks([quick, other], run, at(10_000))).toEqual([other]);
    expect(dueChecks([quick], { ...run, state: 'passed' }, at(10_000))).toEqual([]);
  });
});

describe('a watch (until)', () => {
  const spec = rate({ forMs: 300, intervalMs: 100 });
  const specs = [spec];
  const watch = () => startChecks('release', at(0), at(1000));

  it('records until', () => {
    expect(watch()).toEqual({ phase: 'release', state: 'running', startedAt: at(0).toISOString(), until: at(1000).toISOString(), readings: [] });
  });

  it('stays running while passing, past `for`, and passes with all readings passed at until', () => {
    let run = watch();
    for (const t of [0, 100, 300, 500, 900]) {
      run = step(specs, run, spec, pass(), at(t));
      expect(run.state).toBe('running');
      expect(run.readings[0]!.state).toBe('running');
    }
    expect(settleChecks(specs, run, at(999)).state).toBe('running');
    const done = settleChecks(specs, run, at(1000));
    expect(done.state).toBe('passed');
    expect(done.readings.map((r) => r.state)).toEqual(['passed']);
    expect(done.readings[0]!.samples).toBe(5);
  });

  it('passes when a passing sample is taken at until', () => {
    let run = step(specs, watch(), spec, pass(), at(0));
    run = step(specs, run, spec, pass(), at(1000));
    expect(run.state).toBe('passed');
    expect(run.readings[0]!.state).toBe('passed');
  });

  it('fails on a failing sample', () => {
    let run = step(specs, watch(), spec, pass(), at(0));
    run = step(specs, run, spec, fail(), at(400));
    expect(run.state).toBe('failed');
    expect(failedDetail(run)).toBe('error-rate 0.043 is not below 0.01');
    expect(settleChecks(specs, run, at(2000)).state).toBe('failed');
  });
});

describe('nextCheckAt', () => {
  const fast = rate({ intervalMs: 100 });
  const slow = smoke({ intervalMs: 500, forMs: 10_000 });
  const specs = [fast, slow];
  const both = (run: CheckRun, now: Date) =>
    recordSamples(specs, run, [{ spec: fast, sample: pass() }, { spec: slow, sample: { ok: true, detail: 'smoke: HTTP 200', measured: true } }], now);

  it('is now before any sample', () => {
    expect(nextCheckAt(specs, startChecks('component', at(0)), at(5))).toEqual(at(5));
  });

  it('is the earliest due sample', () => {
    const run = both(startChecks('component', at(0)), at(0));
    expect(nextCheckAt(specs, run, at(10))).toEqual(at(100));
    expect(nextCheckAt([slow], run, at(10))).toEqual(at(500));
  });

  it('is never before now', () => {
    const run = both(startChecks('component', at(0)), at(0));
    expect(nextCheckAt(specs, run, at(250))).toEqual(at(250));
  });

  it('is a watch\'s until when that comes first', () => {
    const run = both(startChecks('release', at(0), at(50)), at(0));
    expect(nextCheckAt(specs, run, at(10))).toEqual(at(50));
    const later = both(startChecks('release', at(0), at(5000)), at(0));
    expect(nextCheckAt(specs, later, at(10))).toEqual(at(100));
  });

  it('skips checks that passed, and is now when nothing is left to sample', () => {
    const quick = rate({ forMs: 0, intervalMs: 100 });
    const run = recordSamples([quick, slow], startChecks('component', at(0)), [{ spec: quick, sample: pass() }, { spec: slow, sample: { ok: true, detail: 'smoke: HTTP 200', measured: true } }], at(0));
    expect(nextCheckAt([quick, slow], run, at(10))).toEqual(at(500));
    const done = step([quick], startChecks('component', at(0)), quick, pass(), at(0));
    expect(nextCheckAt([quick], done, at(42))).toEqual(at(42));
  });
});

describe('checkLines and checkPhrase', () => {
  const spec = rate({ forMs: 300, intervalMs: 100 });
  const other = smoke();

  it('lists a waiting check as first sample due while running', () => {
    const run = startChecks('component', at(0));
    expect(checkLines(run, [spec, other])).toEqual([':hourglass_flowing_sand: error-rate: first sample due', ':hourglass_flowing_sand: smoke: first sample due']);
    expect(checkLines(run)).toEqual([]);
    expect(checkPhrase(run)).toBe('checking…');
  });

  it('marks each reading and counts samples past the first', () => {
    let run = step([spec, other], startChecks('component', at(0)), spec, pass(), at(0));
    expect(checkLines(run, [spec, other])).toEqual([':hourglass_flowing_sand: error-rate 0.001 (below 0.01)', ':hourglass_flowing_sand: smoke: first sample due']);
    expect(checkPhrase(run)).toBe('checking: error-rate 0.001 (below 0.01)');
    run = step([spec, other], run, spec, pass(), at(300));
    expect(checkLines(run, [spec, other])).toEqual([':white_check_mark: error-rate 0.001 (below 0.01) · 2 samples', ':hourglass_flowing_sand: smoke: first sample due']);
    expect(checkPhrase(run)).toBe('checking: error-rate 0.001 (below 0.01) ✓');
  });

  it('words a passed and a failed run', () => {
    const passed = step([spec], step([spec], startChecks('component', at(0)), spec, pass(), at(0)), spec, pass(), at(300));
    expect(checkPhrase(passed)).toBe('checks passed: error-rate 0.001 (below 0.01) ✓');
    const failed = step([spec, other], step([spec, other], startChecks('component', at(0)), spec, pass(), at(0)), spec, fail(0.5), at(100));
    expect(checkLines(failed, [spec, other])).toEqual([':x: error-rate 0.5 is not below 0.01 · 2 samples']);
    expect(checkPhrase(failed)).toBe('checks failed: error-rate 0.5 is not below 0.01 ✗');
    expect(checkPhrase({ ...startChecks('component', at(0)), state: 'passed' })).toBe('checks passed…');
  });
});

describe('Prometheus stand-in', () => {
  it('reports the error rate from the image tag', () => {
    expect(errorRate('registry/x:1.0-errors')).toBe(ERRORS_RATE);
    expect(ERRORS_RATE).toBe(0.5);
    expect(errorRate('registry/x:1.0')).toBe(HEALTHY_RATE);
    expect(errorRate('registry:5000/x')).toBe(0.001);
    expect(errorRate('registry:5000/x-errors')).toBe(0.001);
    expect(errorRate('registry:5000/x:2-errors')).toBe(0.5);
  });

  it('reads `label="value"` matchers, the first of each, ignoring =~, != and !~', () => {
    expect(matchers('sum(rate(http_errors{app="api", env = "prod", code=~"5..", slot!="green", x!~"y"}[1m]))')).toEqual({ app: 'api', env: 'prod' });
    expect(matchers('x{app="a",app="b"}')).toEqual({ app: 'a' });
    expect(matchers('x{app!="a",app="b"}')).toEqual({ app: 'b' });
    expect(matchers('x{image="reg/x:1 \\"q\\""}')).toEqual({ image: 'reg/x:1 "q"' });
    expect(matchers('up')).toEqual({});
  });
});

describe('checks in the published shape (API answers, webhook bodies)', () => {
  const run: CheckRun = {
    phase: 'preview', state: 'failed', startedAt: '2026-12-04T10:00:00.000Z',
    readings: [{ name: 'error-rate', state: 'failed', value: 0.5, detail: 'error-rate 0.5 is not below 0.01', samples: 1, firstAt: '2026-12-04T10:00:00.000Z', lastAt: '2026-12-04T10:00:00.000Z' }],
  };

  it('a job carries its checks, and the answer parses with the published schema', () => {
    const job = JobFactory.create({ checks: run });
    const out = PublishedJob.parse(publishJob(job, null));
    expect(out.checks).toEqual({ phase: 'preview', state: 'failed', startedAt: run.startedAt, readings: [{ name: 'error-rate', state: 'failed', value: 0.5, detail: 'error-rate 0.5 is not below 0.01', samples: 1, lastAt: run.startedAt }] });
  });

  it('a component carries its checks; without checks there is no key', () => {
    const task = TaskFactory.create({ components: [component('web', { checks: { ...run, phase: 'component' } }), component('api')] });
    const out = PublishedTask.parse(publishTask(task, null));
    expect(out.components[0]!.checks?.phase).toBe('component');
    expect('checks' in out.components[1]!).toBe(false);
  });
});

describe('a watch past its end', () => {
  it('samples nothing once until came: a late sample judges nothing after the window', () => {
    const spec: CheckSpec = { name: 'error-rate', prometheus: 'http://p', query: 'q', below: 0.01, forMs: 0, intervalMs: 100 };
    const start = new Date('2026-12-04T10:00:00Z');
    const run = startChecks('release', start, new Date(start.getTime() + 1000));
    expect(dueChecks([spec], run, new Date(start.getTime() + 999))).toEqual([spec]);
    expect(dueChecks([spec], run, new Date(start.getTime() + 1000))).toEqual([]);
  });
});
