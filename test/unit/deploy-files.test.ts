import { accessSync, constants, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { START_RELEASE_TASK, START_RELEASE_TASK_INPUTS } from '../../src/slack/listeners/functions/index.js';

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
  type Parameters = { properties: Record<string, { type: string; title?: string; is_required?: boolean }>; required?: string[] };
  const manifest = parse(read('manifests/slack-app.yaml')) as {
    _metadata?: { major_version?: number };
    features: { slash_commands: SlashCommand[]; bot_user?: { display_name?: string }; app_home?: { home_tab_enabled?: boolean } };
    functions?: Record<string, { title: string; description?: string; input_parameters: Parameters; output_parameters: Parameters }>;
    oauth_config: { scopes: { bot: string[] } };
    settings: {
      interactivity: { is_enabled: boolean; request_url: string };
      event_subscriptions?: { request_url?: string; bot_events?: string[] };
      org_deploy_enabled?: boolean;
      function_runtime?: string;
    };
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

  it('declares the Workflow Builder step with the inputs its listener reads and the outputs it completes with', () => {
    const step = manifest.functions?.[START_RELEASE_TASK];
    expect(step?.title).toBe('Start a release task');
    const inputs = step!.input_parameters;
    expect(Object.keys(inputs.properties).sort()).toEqual([...START_RELEASE_TASK_INPUTS].sort());
    expect(inputs.required?.sort()).toEqual(['components', 'environment', 'name', 'requested_by']);
    expect(inputs.properties.requested_by?.type).toBe('slack#/types/user_id');
    expect(inputs.properties.channel?.type).toBe('slack#/types/channel_id');
    for (const name of ['name', 'environment', 'components', 'operation']) expect(inputs.properties[name]?.type, name).toBe('string');
    for (const [name, p] of Object.entries(inputs.properties)) expect(p.is_required ?? false, name).toBe(inputs.required!.includes(name));
    expect(step!.output_parameters.properties).toMatchObject({ task_id: { type: 'string' }, final_status: { type: 'string' } });
    expect(step!.output_parameters.required?.sort()).toEqual(['final_status', 'task_id']);
    // Remote (Bolt) functions: an org-ready app, events on the same request URL.
    expect(manifest.settings.function_runtime).toBe('remote');
    expect(manifest.settings.org_deploy_enabled).toBe(true);
    expect(manifest.settings.event_subscriptions?.request_url).toBe(manifest.settings.interactivity.request_url);
    expect(manifest.settings.event_subscriptions?.bot_events).toContain('function_executed');
  });

  it('enables the Home tab and subscribes to app_home_opened, which the bot answers with views.publish', () => {
    expect(manifest.features.app_home?.home_tab_enabled).toBe(true);
    expect(manifest.settings.event_subscriptions?.bot_events).toContain('app_home_opened');
  });

  it('requests the bot scopes the commands need', () => {
    expect(manifest._metadata?.major_version).toBe(1);
    expect(manifest.features.bot_user?.display_name).toBe('switchyard');
    expect(manifest.oauth_config.scopes.bot).toEqual(expect.arrayContaining(['commands', 'chat:write']));
  });
});

/** The Dockerfile's stages: from each `FROM` line up to the next. */
function stages(dockerfile: string): { from: string; body: string }[] {
  const lines = dockerfile.split('\n');
  const starts = lines.flatMap((l, i) => (/^FROM\s/.test(l) ? [i] : []));
  return starts.map((start, k) => ({ from: lines[start]!, body: lines.slice(start, starts[k + 1] ?? lines.length).join('\n') }));
}

describe('Dockerfile and CI script', () => {
  const dockerfile = read('Dockerfile');
  const all = stages(dockerfile);
  const runtime = all[all.length - 1]!;

  it('builds in one stage with the dev dependencies, and runs only the build output in the last', () => {
    expect(all.length).toBeGreaterThanOrEqual(2);
    const build = all.find((s) => /\bAS\s+build\b/i.test(s.from));
    expect(build, 'a stage named build').toBeDefined();
    expect(build!.body).toMatch(/^RUN npm ci\b(?![^\n]*--omit=dev)/m);
    expect(build!.body).toMatch(/^RUN npm run build$/m);
    expect(runtime.from).toMatch(/^FROM node:20-slim$/);
    expect(runtime.body).toMatch(/npm ci --omit=dev/);
    expect(runtime.body).toMatch(/^COPY --from=build\b.*\/app\/dist\/? \.\/dist\/?$/m);
    // No sources and no tsx at run time: dist/ is all the image runs.
    expect(runtime.body).not.toMatch(/^COPY\b.*\bsrc\//m);
    expect(runtime.body).not.toMatch(/tsx/);
  });

  it('runs node dist/main.js directly as the non-root user node, health-checking /healthz', () => {
    expect(runtime.body).toMatch(/^CMD \["node", "dist\/main\.js"\]$/m);
    expect(runtime.body).toMatch(/^USER node$/m);
    expect(runtime.body).toMatch(/^HEALTHCHECK\b[\s\S]*?\/healthz/m);
    expect(runtime.body).toMatch(/^EXPOSE 3000$/m);
  });

  it('keeps dist/ out of git and out of the build context (the build stage makes its own)', () => {
    expect(read('.gitignore').split('\n')).toContain('dist/');
    expect(read('.dockerignore').split('\n').map((l) => l.replace(/\/$/, ''))).toContain('dist');
  });

  it('.ci/run is executable and runs the test suite', () => {
    expect(() => accessSync(root + '.ci/run', constants.X_OK)).not.toThrow();
    const script = read('.ci/run');
    expect(script).toMatch(/^#!.*bash/);
    expect(script).toContain('set -euo pipefail');
    expect(script).toMatch(/^npm test$/m);
  });
});

describe('what runs the image', () => {
  it('docker compose builds it and runs its command (node dist/main.js), not another', () => {
    const compose = parse(read('docker-compose.yml')) as Compose & { services: Record<string, { build?: unknown }> };
    for (const name of ['bot', 'worker']) {
      const service = compose.services[name]!;
      expect(service.build, name).toBe('.');
      expect(service.command, name).toBeUndefined();
    }
  });

  it.each(['web', 'worker'])('manifests/kubernetes/%s.yaml runs the image\'s command (node dist/main.js), not another', (role) => {
    type Container = { name: string; image?: string; command?: string[]; args?: string[] };
    const deployment = parseAllDocuments(read(`manifests/kubernetes/${role}.yaml`))
      .map((d) => d.toJS() as { kind?: string; spec?: { template?: { spec?: { containers?: Container[] } } } })
      .find((d) => d.kind === 'Deployment');
    const containers = deployment?.spec?.template?.spec?.containers ?? [];
    expect(containers.map((c) => c.image)).toEqual(['switchyard']);
    expect(containers[0]!.command).toBeUndefined();
    expect(containers[0]!.args).toBeUndefined();
  });
});
