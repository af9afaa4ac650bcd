/**
 * loadConfig: defaults, required variables per mode, validation messages that name the variable
 * and what it expects, empty strings as unset, and secrets never echoed.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { redisSettings } from '../../src/store/redis.js';

type Env = Record<string, string | undefined>;

/** The least an HTTP-mode bot needs. */
const HTTP: Env = { SLACK_BOT_TOKEN: 'xoxb-123-abc', SLACK_SIGNING_SECRET: 'signing-secret' };

/** The ConfigError message loadConfig throws for `env` (fails the test if it does not throw one). */
function errorOf(env: Env): string {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error(`expected loadConfig to throw for ${JSON.stringify(Object.keys(env))}`);
}

describe('loadConfig defaults', () => {
  it('fills in the documented defaults', () => {
    const c = loadConfig({ ...HTTP });
    expect(c.PORT).toBe(3000);
    expect(c.REDIS_URL).toBe('redis://127.0.0.1:6379');
    expect(c.PLATFORM).toBe('simulated');
    expect(c.ROLE).toBe('all');
    expect(c.SIM_LATENCY_MS).toBe(1500);
    expect(c.SLACK_API_URL).toBe('https://slack.com/api/');
    expect(c.SIM_FAIL_COMPONENTS).toEqual([]);
    expect(c.REDIS_PREFIX).toBe('switchyard');
    expect(c.LOG_LEVEL).toBe('info');
  });

  it('keeps the given values', () => {
    const c = loadConfig({
      ...HTTP,
      PORT: '8080',
      REDIS_URL: 'rediss://cache.internal:6380',
      ROLE: 'web',
      SIM_LATENCY_MS: '0',
      SLACK_API_URL: 'http://127.0.0.1:9999/api/',
    });
    expect(c).toMatchObject({
      PORT: 8080,
      REDIS_URL: 'rediss://cache.internal:6380',
      ROLE: 'web',
      SIM_LATENCY_MS: 0,
      SLACK_API_URL: 'http://127.0.0.1:9999/api/',
      SLACK_BOT_TOKEN: 'xoxb-123-abc',
      SLACK_SIGNING_SECRET: 'signing-secret',
    });
  });

  it('SIM_FAIL_COMPONENTS is a comma-separated list, trimmed, without empty items', () => {
    expect(loadConfig({ ...HTTP, SIM_FAIL_COMPONENTS: 'a, b' }).SIM_FAIL_COMPONENTS).toEqual(['a', 'b']);
    expect(loadConfig({ ...HTTP, SIM_FAIL_COMPONENTS: ' api ,, web ,' }).SIM_FAIL_COMPONENTS).toEqual(['api', 'web']);
    expect(loadConfig({ ...HTTP, SIM_FAIL_COMPONENTS: 'solo' }).SIM_FAIL_COMPONENTS).toEqual(['solo']);
  });
});

describe('required variables', () => {
  it('a missing SLACK_BOT_TOKEN names the variable', () => {
    const msg = errorOf({ SLACK_SIGNING_SECRET: 'x' });
    expect(msg).toContain('SLACK_BOT_TOKEN');
    expect(msg).toMatch(/SLACK_BOT_TOKEN is required/);
  });

  it('HTTP mode without SLACK_SIGNING_SECRET names it (and mentions Socket Mode as the alternative)', () => {
    const msg = errorOf({ SLACK_BOT_TOKEN: 'xoxb-1' });
    expect(msg).toContain('SLACK_SIGNING_SECRET');
    expect(msg).toContain('SLACK_APP_TOKEN');
  });

  it('ROLE=web is HTTP mode too', () => {
    expect(errorOf({ SLACK_BOT_TOKEN: 'xoxb-1', ROLE: 'web' })).toContain('SLACK_SIGNING_SECRET');
  });

  it('Socket Mode (SLACK_APP_TOKEN=xapp-…) does not need the signing secret', () => {
    const c = loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1-A0-abc' });
    expect(c.SLACK_APP_TOKEN).toBe('xapp-1-A0-abc');
    expect(c.SLACK_SIGNING_SECRET).toBeUndefined();
  });

  it('ROLE=worker does not need the signing secret', () => {
    expect(loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1', ROLE: 'worker' }).ROLE).toBe('worker');
  });

  it('a user token (xoxp-) is accepted as the bot token', () => {
    expect(loadConfig({ ...HTTP, SLACK_BOT_TOKEN: 'xoxp-1' }).SLACK_BOT_TOKEN).toBe('xoxp-1');
  });
});

describe('invalid values name the variable and what it expects', () => {
  it.each([
    ['abc', /number/],
    ['70000', /65535/],
    ['-1', />=\s*0/],
    ['80.5', /int/],
  ])('PORT=%s', (value, expects) => {
    const msg = errorOf({ ...HTTP, PORT: value });
    expect(msg).toMatch(/PORT expects /);
    expect(msg).toMatch(expects);
    expect(msg).toContain(value);
  });

  it('REDIS_URL must be a redis:// or rediss:// URL', () => {
    const msg = errorOf({ ...HTTP, REDIS_URL: 'http://localhost:6379' });
    expect(msg).toContain('REDIS_URL expects');
    expect(msg).toContain('redis://');
    expect(msg).toContain('rediss://');
  });

  it('REDIS_CLUSTER_NODES is a comma-separated list of host:port, and wins over REDIS_URL', () => {
    expect(loadConfig({ ...HTTP }).REDIS_CLUSTER_NODES).toBeUndefined();
    const c = loadConfig({ ...HTTP, REDIS_URL: 'redis://single:6379', REDIS_CLUSTER_NODES: '10.0.0.1:7000, redis-2.internal:7001,[::1]:7002' });
    expect(c.REDIS_CLUSTER_NODES).toEqual([
      { host: '10.0.0.1', port: 7000 },
      { host: 'redis-2.internal', port: 7001 },
      { host: '::1', port: 7002 },
    ]);
    expect(redisSettings(c)).toEqual({ cluster: c.REDIS_CLUSTER_NODES });
    expect(redisSettings(loadConfig({ ...HTTP, REDIS_URL: 'redis://single:6379' }))).toEqual({ url: 'redis://single:6379' });
  });

  it.each(['10.0.0.1', 'redis://10.0.0.1:7000', '10.0.0.1:7000,', 'a:70000', 'a:b'])('REDIS_CLUSTER_NODES=%s is refused, naming the variable', (value) => {
    const msg = errorOf({ ...HTTP, REDIS_CLUSTER_NODES: value });
    expect(msg).toContain('REDIS_CLUSTER_NODES expects a comma-separated list of host:port');
    expect(msg).toContain(value);
  });

  it('ROLE must be all, web or worker', () => {
    const msg = errorOf({ ...HTTP, ROLE: 'boss' });
    expect(msg).toContain('ROLE expects');
    for (const role of ['all', 'web', 'worker']) expect(msg).toContain(role);
    expect(msg).toContain('boss');
  });

  it('PLATFORM must be simulated or kubernetes', () => {
    const msg = errorOf({ ...HTTP, PLATFORM: 'nomad' });
    expect(msg).toContain('PLATFORM expects');
    expect(msg).toContain('simulated');
    expect(msg).toContain('kubernetes');
    expect(loadConfig({ ...HTTP, PLATFORM: 'kubernetes' }).PLATFORM).toBe('kubernetes');
  });

  it('SLACK_BOT_TOKEN must look like a bot token', () => {
    expect(errorOf({ ...HTTP, SLACK_BOT_TOKEN: 'abc' })).toContain('SLACK_BOT_TOKEN expects a bot token starting with xoxb-');
  });

  it('SLACK_APP_TOKEN must look like an app-level token', () => {
    expect(errorOf({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'abc' })).toContain('SLACK_APP_TOKEN expects');
  });

  it('every bad variable is reported at once, as a ConfigError', () => {
    const msg = errorOf({ ...HTTP, PORT: 'x', ROLE: 'boss', REDIS_URL: 'nope' });
    expect(msg).toMatch(/^Invalid configuration: /);
    for (const name of ['PORT', 'ROLE', 'REDIS_URL']) expect(msg).toContain(name);
  });
});

describe('empty strings count as unset', () => {
  it('empty optional values take their defaults', () => {
    const c = loadConfig({ ...HTTP, PORT: '', REDIS_URL: '', ROLE: '', PLATFORM: '', SIM_LATENCY_MS: '', SLACK_API_URL: '', SLACK_APP_TOKEN: '' });
    expect(c).toMatchObject({
      PORT: 3000,
      REDIS_URL: 'redis://127.0.0.1:6379',
      ROLE: 'all',
      PLATFORM: 'simulated',
      SIM_LATENCY_MS: 1500,
      SLACK_API_URL: 'https://slack.com/api/',
    });
    expect(c.SLACK_APP_TOKEN).toBeUndefined();
  });

  it('an empty SLACK_BOT_TOKEN is missing', () => {
    expect(errorOf({ ...HTTP, SLACK_BOT_TOKEN: '' })).toMatch(/SLACK_BOT_TOKEN is required/);
  });

  it('an empty SLACK_SIGNING_SECRET is missing in HTTP mode', () => {
    expect(errorOf({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: '' })).toContain('SLACK_SIGNING_SECRET');
  });

  it('an empty SLACK_APP_TOKEN does not make Socket Mode', () => {
    expect(errorOf({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: '' })).toContain('SLACK_SIGNING_SECRET');
  });

  it('undefined values are unset too', () => {
    expect(loadConfig({ ...HTTP, PORT: undefined }).PORT).toBe(3000);
  });
});

describe('secrets are never echoed', () => {
  it('a malformed SLACK_BOT_TOKEN is not repeated', () => {
    const msg = errorOf({ ...HTTP, SLACK_BOT_TOKEN: 'not-a-token-secret123' });
    expect(msg).toContain('SLACK_BOT_TOKEN');
    expect(msg).not.toContain('secret123');
  });

  it('a malformed SLACK_APP_TOKEN is not repeated', () => {
    const msg = errorOf({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'bad-app-token-secret456' });
    expect(msg).toContain('SLACK_APP_TOKEN');
    expect(msg).not.toContain('secret456');
  });

  it('other variables’ valid secrets are not repeated when something else is wrong', () => {
    const msg = errorOf({ SLACK_BOT_TOKEN: 'xoxb-topsecret789', SLACK_SIGNING_SECRET: 'sigsecret000', PORT: 'x' });
    expect(msg).not.toContain('topsecret789');
    expect(msg).not.toContain('sigsecret000');
  });

  it('a malformed SLACK_API_URL is not repeated', () => {
    const msg = errorOf({ ...HTTP, SLACK_API_URL: 'not a url token-secret321' });
    expect(msg).toContain('SLACK_API_URL');
    expect(msg).not.toContain('secret321');
  });
});

describe('reported together, and blank values', () => {
  it('a malformed REDIS_URL (which may hold a password) is not repeated', () => {
    const msg = errorOf({ ...HTTP, REDIS_URL: 'redis//:hunter2@h:6379' });
    expect(msg).toContain('REDIS_URL expects a redis:// or rediss:// URL');
    expect(msg).not.toContain('hunter2');
  });

  it('names every missing variable at once', () => {
    expect(errorOf({})).toBe(
      'Invalid configuration: SLACK_BOT_TOKEN is required; SLACK_SIGNING_SECRET is required in HTTP mode (or set SLACK_APP_TOKEN for Socket Mode)',
    );
  });

  it('treats a blank value as unset', () => {
    expect(loadConfig({ ...HTTP, PORT: '  ' }).PORT).toBe(3000);
  });
});
