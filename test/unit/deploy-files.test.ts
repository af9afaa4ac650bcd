import { accessSync, constants, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const read = (rel: string): string => readFileSync(root + rel, 'utf8');

type Env = Record<string, string>;
type Service = {
  image?: string;
  command?: string | string[];
  volumes?: (string | { source?: string; target?: string })[];
  environment?: Env | string[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  profiles?: string[];
  ports?: (string | number | Record<string, unknown>)[];
};
type Compose = { services: Record<string, Service>; volumes?: Record<string, unknown> };

/** Compose allows `environment` as a map or a list of KEY=VALUE strings. */
function envOf(service: Service): Env {
  const env = service.environment ?? {};
  if (!Array.isArray(env)) return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v ?? '')]));
  return Object.fromEntries(
    env.map((entry) => {
      const i = entry.indexOf('=');
      return i < 0 ? [entry, ''] : [entry.slice(0, i), entry.slice(i + 1)];
    }),
  );
}

function commandOf(service: Service): string {
  const c = service.command ?? '';
  return Array.isArray(c) ? c.join(' ') : c;
}

/** [volumeName, containerPath] for named volumes (short or long syntax). */
function namedMounts(service: Service): [string, string][] {
  return (service.volumes ?? []).flatMap((v): [string, string][] => {
    if (typeof v === 'string') {
      const [src, target] = v.split(':');
      return src && target && !src.startsWith('.') && !src.startsWith('/') ? [[src, target]] : [];
    }
    return v.source && v.target ? [[v.source, v.target]] : [];
  });
}

describe('docker-compose.yml', () => {
  const compose = parse(read('docker-compose.yml')) as Compose;
  const { redis, bot, worker } = compose.services;

  it('runs redis with AOF persistence and noeviction (BullMQ requirement)', () => {
    expect(redis).toBeDefined();
    expect(redis!.image).toMatch(/^redis:7/);
    const cmd = commandOf(redis!);
    expect(cmd).toMatch(/--appendonly\s+yes/);
    expect(cmd).toMatch(/--maxmemory-policy\s+noeviction/);
  });

  it('keeps redis data in a declared named volume at /data', () => {
    const dataMount = namedMounts(redis!).find(([, target]) => target === '/data');
    expect(dataMount).toBeDefined();
    expect(Object.keys(compose.volumes ?? {})).toContain(dataMount![0]);
  });

  it('starts the bot only once redis is healthy and points it at the redis service', () => {
    expect(bot).toBeDefined();
    expect(bot!.depends_on).toMatchObject({ redis: { condition: 'service_healthy' } });
    const env = envOf(bot!);
    expect(new URL(env.REDIS_URL ?? '').hostname).toBe('redis');
    expect(env.ROLE).toMatch(/all/);
    expect((bot!.ports ?? []).map(String)).toContain('3000:3000');
  });

  it('defines a worker under the split profile with ROLE=worker', () => {
    expect(worker).toBeDefined();
    expect(worker!.profiles).toContain('split');
    const env = envOf(worker!);
    expect(env.ROLE).toBe('worker');
    expect(new URL(env.REDIS_URL ?? '').hostname).toBe('redis');
    expect(worker!.depends_on).toMatchObject({ redis: { condition: 'service_healthy' } });
    // Scaling with --scale worker=N needs no fixed host port.
    expect(worker!.ports ?? []).toEqual([]);
  });
});

describe('manifests/slack-app.yaml', () => {
  type SlashCommand = { command: string; url?: string };
  const manifest = parse(read('manifests/slack-app.yaml')) as {
    _metadata?: { major_version?: number };
    features: { slash_commands: SlashCommand[]; bot_user?: { display_name?: string } };
    oauth_config: { scopes: { bot: string[] } };
    settings: { interactivity: { is_enabled: boolean; request_url: string } };
  };

  it('declares /release and /bluegreen on the interactivity request URL', () => {
    const interactivity = manifest.settings.interactivity;
    expect(interactivity.is_enabled).toBe(true);
    expect(interactivity.request_url).toMatch(/^https:\/\/.+\/slack\/events$/);
    const byName = new Map(manifest.features.slash_commands.map((c) => [c.command, c]));
    for (const name of ['/release', '/bluegreen']) {
      expect(byName.get(name), name).toBeDefined();
      expect(byName.get(name)!.url, name).toBe(interactivity.request_url);
    }
  });

  it('requests the bot scopes the commands need', () => {
    expect(manifest._metadata?.major_version).toBe(1);
    expect(manifest.features.bot_user?.display_name).toBe('switchyard');
    expect(manifest.oauth_config.scopes.bot).toEqual(expect.arrayContaining(['commands', 'chat:write']));
  });
});

describe('Dockerfile and CI script', () => {
  it('Dockerfile health-checks /healthz and runs node directly', () => {
    const dockerfile = read('Dockerfile');
    expect(dockerfile).toMatch(/^FROM node:20-slim/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK\b[\s\S]*?\/healthz/m);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^EXPOSE 3000$/m);
  });

  it('.ci/run is executable and runs the test suite', () => {
    expect(() => accessSync(root + '.ci/run', constants.X_OK)).not.toThrow();
    const script = read('.ci/run');
    expect(script).toMatch(/^#!.*bash/);
    expect(script).toContain('set -euo pipefail');
    expect(script).toMatch(/^npm test$/m);
  });
});
