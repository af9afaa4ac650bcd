/**
 * The policy file's `checks` and `keepOldFor` (policy/policy-file.ts) and what Policy makes of
 * them (checks(env), keepOldForMs(env)): durations, defaults, and errors that name the key.
 */
import { describe, expect, it } from 'vitest';
import { PolicyError, parsePolicy } from '../../src/policy/policy-file.js';
import { DEFAULT_CHECK_INTERVAL_MS, Policy } from '../../src/policy/policy.js';

const PROM = 'http://prometheus:9090';
const rate = { name: 'error-rate', prometheus: PROM, query: 'sum(rate(http_errors{app="{component}",code=~"5.."}[1m]))', below: 0.01 };
const smoke = { name: 'smoke', http: 'https://{env}.example.com/{component}/health' };

/** A document with `checks` (and more) on environment prod. */
const prod = (checks: unknown[], more: Record<string, unknown> = {}) => ({ environments: { prod: { checks, ...more } } });

describe('policy checks', () => {
  it('parses a valid list, with durations in ms', () => {
    const file = parsePolicy(
      prod(
        [
          { ...rate, for: '5m', interval: '30s' },
          { name: 'latency', prometheus: `${PROM}/`, query: 'histogram_quantile(0.99, x{workload="{workload}"})', above: 0, below: 0.5, interval: '1500ms' },
          { ...smoke, for: '1h' },
        ],
        { keepOldFor: '10m' },
      ),
      'policy.yaml',
    );
    const policy = new Policy(file);
    expect(policy.checks('prod')).toEqual([
      { name: 'error-rate', prometheus: PROM, query: rate.query, below: 0.01, forMs: 300_000, intervalMs: 30_000 },
      { name: 'latency', prometheus: `${PROM}/`, query: 'histogram_quantile(0.99, x{workload="{workload}"})', below: 0.5, above: 0, forMs: 0, intervalMs: 1500 },
      { name: 'smoke', http: smoke.http, forMs: 3_600_000, intervalMs: DEFAULT_CHECK_INTERVAL_MS },
    ]);
    expect(policy.keepOldForMs('prod')).toBe(600_000);
  });

  it('defaults interval to 10s, for to 0 and keepOldFor to 0; no checks where none are listed', () => {
    expect(DEFAULT_CHECK_INTERVAL_MS).toBe(10_000);
    const policy = new Policy(parsePolicy(prod([rate]), 'policy.yaml'));
    expect(policy.checks('prod')).toEqual([{ name: 'error-rate', prometheus: PROM, query: rate.query, below: 0.01, forMs: 0, intervalMs: 10_000 }]);
    expect(policy.keepOldForMs('prod')).toBe(0);
    expect(policy.checks('staging')).toEqual([]);
    expect(policy.keepOldForMs('staging')).toBe(0);
    expect(new Policy().checks('prod')).toEqual([]);
  });

  it('takes a glob entry\'s checks', () => {
    const policy = new Policy(parsePolicy({ environments: { 'preview-*': { checks: [smoke], keepOldFor: '30s' } } }, 'policy.yaml'));
    expect(policy.checks('preview-42').map((c) => c.name)).toEqual(['smoke']);
    expect(policy.keepOldForMs('preview-42')).toBe(30_000);
  });

  it.each([
    ['both prometheus and http', prod([{ ...rate, http: 'https://x.example/' }]), /environments\.prod\.checks\.0\.name expects a check with one of prometheus \(and query, below or above\) or http/],
    ['neither prometheus nor http', prod([{ name: 'nothing', below: 1 }]), /environments\.prod\.checks\.0\.name expects a check with one of prometheus/],
    ['prometheus without query', prod([{ name: 'error-rate', prometheus: PROM, below: 0.01 }]), /environments\.prod\.checks\.0\.query expects a PromQL query returning one value \(an instant vector\)/],
    ['prometheus without below or above', prod([{ name: 'error-rate', prometheus: PROM, query: 'up' }]), /environments\.prod\.checks\.0\.below expects a threshold: below or above \(or both\)/],
    ['http with below', prod([{ ...smoke, below: 1 }]), /environments\.prod\.checks\.0\.below expects nothing on an http check \(it passes on any 2xx answer\)/],
    ['http with query', prod([{ ...smoke, query: 'up' }]), /environments\.prod\.checks\.0\.query expects nothing on an http check/],
    ['an ftp http URL', prod([{ name: 'smoke', http: 'ftp://x.example/{env}' }]), /environments\.prod\.checks\.0\.http expects an http:\/\/ or https:\/\/ URL/],
    ['an http URL that is no URL', prod([{ name: 'smoke', http: 'x.example/{env}' }]), /environments\.prod\.checks\.0\.http expects an http:\/\/ or https:\/\/ URL/],
    ['a prometheus URL that is not http(s)', prod([{ ...rate, prometheus: 'ftp://prom' }]), /environments\.prod\.checks\.0\.prometheus expects the Prometheus base URL, http:\/\/ or https:\/\//],
    ['a bad duration', prod([{ ...rate, for: '10 seconds' }]), /environments\.prod\.checks\.0\.for expects a duration such as 30s, 5m or 500ms \(got "10 seconds"\)/],
    ['a duration as a number', prod([{ ...rate, interval: 10 }]), /environments\.prod\.checks\.0\.interval expects a duration such as 30s, 5m or 500ms/],
    ['an interval below 100ms', prod([{ ...rate, interval: '50ms' }]), /environments\.prod\.checks\.0\.interval expects a duration from 100ms to 1h \(got "50ms"\)/],
    ['a keepOldFor over a day', prod([], { keepOldFor: '25h' }), /environments\.prod\.keepOldFor expects a duration from 0s to 24h \(got "25h"\)/],
    ['an interval over an hour', prod([{ ...rate, interval: '2h' }]), /environments\.prod\.checks\.0\.interval expects a duration from 100ms to 1h/],
    ['a bad keepOldFor', prod([], { keepOldFor: '1 day' }), /environments\.prod\.keepOldFor expects a duration such as 30s, 5m or 500ms \(got "1 day"\)/],
    ['an unknown placeholder in a query', prod([{ ...rate, query: 'x{app="{foo}"}' }]), /environments\.prod\.checks\.0\.query expects only \{env\}, \{component\}, \{workload\}, \{slot\} and \{image\} in it, not \{foo\}/],
    ['an unknown placeholder in an http URL', prod([{ name: 'smoke', http: 'https://x.example/{service}' }]), /environments\.prod\.checks\.0\.http expects only \{env\}.* not \{service\}/],
    ['duplicate names', prod([rate, smoke, { ...smoke }]), /environments\.prod\.checks\.2\.name expects a name of its own \(smoke is also check 1\)/],
    ['a bad name', prod([{ ...rate, name: 'error rate' }]), /environments\.prod\.checks\.0\.name expects a check name of letters, digits/],
    ['a threshold that is not a number', prod([{ ...rate, below: '0.01' }]), /environments\.prod\.checks\.0\.below expects a number/],
    ['checks not a list', prod(rate as unknown as unknown[]), /environments\.prod\.checks expects a list/],
    ['an unknown key in a check', prod([{ ...rate, threshold: 1 }]), /environments\.prod\.checks\.0 unknown key "threshold": expected name, prometheus, query, below, above, http, for, interval/],
    ['an unknown key in an environment called checks', { environments: { checks: { chanel: 'C0X' } } }, /environments\.checks unknown key "chanel": expected operators, apiTokens, environments \(and per environment channel/],
  ])('names the key: %s', (_, doc, message) => {
    expect(() => parsePolicy(doc, 'policy.yaml')).toThrow(PolicyError);
    expect(() => parsePolicy(doc, 'policy.yaml')).toThrow(message);
  });

  it('accepts PromQL label matchers beside placeholders, and every check variable', () => {
    const query = 'sum(rate(x{env="{env}",app="{component}",w="{workload}",slot="{slot}",image="{image}",code=~"5.."}[1m]))';
    expect(() => parsePolicy(prod([{ ...rate, query }]), 'policy.yaml')).not.toThrow();
  });

  it('begins the message with the source', () => {
    expect(() => parsePolicy(prod([{ ...rate, for: 'soon' }]), 'policy.yaml')).toThrow(/^policy\.yaml: environments\.prod\.checks\.0\.for/);
  });
});
