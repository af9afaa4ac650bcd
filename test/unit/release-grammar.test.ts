import { describe, it, expect } from 'vitest';
import { z } from 'zod';
import { RELEASE_HELP, RELEASE_USAGE, RELEASE_USAGE_SUMMARY, parseReleaseCommand } from '../../src/commands/release-grammar.js';
import type { ReleaseCommand } from '../../src/commands/release-command.js';
import { DEFAULT_PARALLEL, OPERATION_TYPES, TASK_STATUSES } from '../../src/domain/release-task.js';

function ok(text: string): ReleaseCommand {
  const result = parseReleaseCommand(text);
  if (!result.ok) throw new Error(`expected ${JSON.stringify(text)} to parse, got: ${result.error}`);
  return result.command;
}

function err(text: string): { error: string; usage: string } {
  const result = parseReleaseCommand(text);
  if (result.ok) throw new Error(`expected ${JSON.stringify(text)} to fail, got ${JSON.stringify(result.command)}`);
  return result;
}

const DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`;

describe('parseReleaseCommand: valid forms', () => {
  it.each(['', '   ', 'help', 'HELP', '--help', '?', 'help create'])('%j is help', (text) => {
    expect(ok(text)).toEqual({ kind: 'help' });
  });

  it('create deploy, with replicas, defaults and a registry host', () => {
    expect(ok('create web-1.27 deploy --env staging web=registry.example.com:5000/team/web:1.27x3 api=api:2.0')).toEqual({
      kind: 'create', name: 'web-1.27', operation: 'Bulk Deploy', env: 'staging',
      components: [
        { name: 'web', image: 'registry.example.com:5000/team/web:1.27', replicas: 3 },
        { name: 'api', image: 'api:2.0', replicas: 1 },
      ],
      bestEffort: false, parallel: DEFAULT_PARALLEL,
    });
  });

  it('create deploy with every option, options before and between components', () => {
    expect(
      ok(`Create R_1.x Deploy --best-effort --parallel 8 web=nginx@${DIGEST}x2 --desc "Q3 launch" --env prod db=pg:16-alpine`),
    ).toEqual({
      kind: 'create', name: 'R_1.x', operation: 'Bulk Deploy', env: 'prod',
      components: [
        { name: 'web', image: `nginx@${DIGEST}`, replicas: 2 },
        { name: 'db', image: 'pg:16-alpine', replicas: 1 },
      ],
      bestEffort: true, parallel: 8, description: 'Q3 launch',
    });
  });

  it('create upgrade', () => {
    expect(ok('create api-2.0 upgrade --env prod api=api:2.0 cron=web:2.0-broken --parallel=2')).toEqual({
      kind: 'create', name: 'api-2.0', operation: 'Bulk Upgrade', env: 'prod',
      components: [{ name: 'api', image: 'api:2.0' }, { name: 'cron', image: 'web:2.0-broken' }],
      bestEffort: false, parallel: 2,
    });
  });

  it('create clone, with --opt=value and smart quotes', () => {
    expect(ok('create sync clone --from=staging --env=prod web api --desc=“Friday sync” --best-effort')).toEqual({
      kind: 'create', name: 'sync', operation: 'Bulk Clone', env: 'prod', sourceEnv: 'staging',
      components: [{ name: 'web' }, { name: 'api' }],
      bestEffort: true, parallel: DEFAULT_PARALLEL, description: 'Friday sync',
    });
  });

  it('keeps tags that merely end in x<digits> after a separator', () => {
    const command = ok('create r deploy --env prod web=app:linux-x86');
    expect(command).toMatchObject({ components: [{ name: 'web', image: 'app:linux-x86', replicas: 1 }] });
    expect(ok('create r upgrade --env prod web=app:build_x2')).toMatchObject({ components: [{ image: 'app:build_x2' }] });
  });

  it('accepts macOS em dashes, apostrophes and an empty description', () => {
    expect(ok('create r deploy —env prod web=a:1 --desc don’t')).toMatchObject({ env: 'prod', description: 'don’t' });
    expect(ok('create r deploy --env prod web=a:1 --desc ""')).not.toHaveProperty('description');
  });

  it.each(['start', 'suspend', 'resume', 'retry', 'rollback', 'delete'] as const)('%s <task-id>', (action) => {
    expect(ok(`${action} rt-7k2f9q`)).toEqual({ kind: 'action', action, taskId: 'rt-7k2f9q' });
    expect(ok(`${action.toUpperCase()} RT-7K2F9Q`)).toEqual({ kind: 'action', action, taskId: 'rt-7k2f9q' });
  });

  it('show <task-id>', () => {
    expect(ok('show Rt-0a1B2c')).toEqual({ kind: 'show', taskId: 'rt-0a1b2c' });
  });

  it.each([
    ['list', { kind: 'list' }],
    ['list --env prod', { kind: 'list', env: 'prod' }],
    ['list --status "release failed"', { kind: 'list', status: 'Release failed' }],
    ['list --status=RELEASED --env=qa', { kind: 'list', status: 'Released', env: 'qa' }],
    ['list --status ‘rolled back’', { kind: 'list', status: 'Rolled back' }],
    ['list --status rolling back --env prod', { kind: 'list', status: 'Rolling back', env: 'prod' }],
    ['list --status to-release', { kind: 'list', status: 'To release' }],
  ])('%j', (text, command) => {
    expect(ok(text)).toEqual(command);
  });

  it('components <env>', () => {
    expect(ok('components staging-2')).toEqual({ kind: 'components', env: 'staging-2' });
  });
});

describe('parseReleaseCommand: errors', () => {
  const { deploy, upgrade, clone, create } = RELEASE_USAGE;
  it.each([
    ['create r deploy --env prod web=nginx', '`web=nginx` has no tag: write web=nginx:1.27', deploy],
    ['create r deploy --env prod web=registry:5000/web', '`web=registry:5000/web` has no tag', deploy],
    ['create r deploy --env prod web', '`web` has no image: write web=<image>, e.g. web=nginx:1.27', deploy],
    ['create r deploy --env prod web=', '`web=` has no image', deploy],
    ['create r deploy --env prod =nginx:1', '`=nginx:1` has no component name before "="', deploy],
    ['create r deploy --env prod web=Nginx:1', 'must be lower case (only the tag may have capitals)', deploy],
    ['create r deploy --env prod web=ngi!nx:1', '`web=ngi!nx:1` is not a valid image reference', deploy],
    ['create r deploy --env prod "web=nginx :1"', 'contains a space', deploy],
    [`create r deploy --env prod web=${'a'.repeat(260)}:1`, 'is 262 characters long: at most 255', deploy],
    ['create r deploy --env prod web=nginx:1x0', '`web=nginx:1x0`: replicas must be from 1 to 100 (got x0)', deploy],
    ['create r deploy --env prod web=nginx:1x101', 'replicas must be from 1 to 100 (got x101)', deploy],
    ['create r upgrade --env prod web=nginx:1.27x3', 'replicas (x3) can only be set on deploy', upgrade],
    ['create r upgrade --env prod web=nginx:1.27x3', 'so write web=nginx:1.27', upgrade],
    ['create r deploy --env Prod web=a:1', 'environment names are lower case: write `prod`, not `Prod`', deploy],
    ['create r deploy --env pr_od web=a:1', 'the environment name `pr_od` may contain only lower-case letters, digits and "-"', deploy],
    ['create r deploy --env -prod web=a:1', 'the environment name `-prod` must start and end with a letter or digit', deploy],
    ['create r deploy --env prod- web=a:1', 'the environment name `prod-` must start and end with a letter or digit', deploy],
    [`create r deploy --env ${'e'.repeat(64)} web=a:1`, 'is longer than 63 characters', deploy],
    ['create r deploy --env prod Web=a:1', 'component names are lower case: write `web`, not `Web`', deploy],
    ['create r deploy --env prod web=a:1 web=a:2', 'component `web` is listed twice', deploy],
    ['create r deploy --env prod', 'no components: list at least one', deploy],
    ['create r deploy web=a:1', '`--env <env>` is missing', deploy],
    ['create r deploy --env', '`--env` needs a value: write --env <env>', deploy],
    ['create r deploy --env prod --env qa web=a:1', '`--env` is given twice', deploy],
    ['create r deploy --env prod web=a:1 --parallel 0', '`--parallel` must be a whole number from 1 to 32 (got `0`)', deploy],
    ['create r deploy --env prod web=a:1 --parallel 33', 'from 1 to 32 (got `33`)', deploy],
    ['create r deploy --env prod web=a:1 --parallel two', 'from 1 to 32 (got `two`)', deploy],
    ['create r deploy --env prod web=a:1 --parallel -1', 'from 1 to 32 (got `-1`)', deploy],
    [`create r deploy --env prod web=a:1 --desc "${'d'.repeat(501)}"`, 'the description is 501 characters long: at most 500', deploy],
    ['create r deploy --env prod web=a:1 --best-effort=yes', '`--best-effort` takes no value', deploy],
    ['create r deploy --env prod web=a:1 --force', 'unknown flag `--force`: /release create takes --env, --from', deploy],
    ['create r deploy --env prod web=a:1 --paralel 2', 'unknown flag `--paralel` (did you mean --parallel?)', deploy],
    ['create r deploy --env qa --from prod web=a:1', '`--from` is only for clone', deploy],
    ['create r upgrade --env qa --from prod web=a:1', '`--from` is only for clone', upgrade],
    ['create r clone --env prod web', '`--from <env>` is missing', clone],
    ['create r clone --from prod --env prod web', '`--from` and `--env` are both `prod`', clone],
    ['create r clone --from qa --env prod web=a:1', 'clone copies each image from `--from`, so write just the component name, e.g. web', clone],
    ['create r deploy --env prod nginx:1.27', '`nginx:1.27` is not <component>=<image>: write e.g. web=nginx:1.27', deploy],
    ['create r upgrade --env prod web=Ngi!nx', '`web=Ngi!nx` is not a valid image reference', upgrade],
    ['create r deplyo --env prod', 'unknown operation `deplyo` (did you mean deploy?)', create],
    ['create r --env prod deploy web=a:1', 'unknown operation `--env`: right after the task name', create],
    ['create r', 'the operation is missing', create],
    ['create', 'the task name is missing', create],
    ['create deploy --env prod web=a:1', 'the task name is missing', create],
    ['create "my release" deploy --env prod web=a:1', 'the task name `my release` may contain only letters, digits', create],
    [`create ${'n'.repeat(81)} deploy --env prod web=a:1`, 'is 81 characters long: at most 80', create],
    ['create r deploy --env prod web=a:1 --desc "unclosed', 'is never closed: add a closing "', create],
  ])('%j', (text, message, usage) => {
    const result = err(text);
    expect(result.error).toContain(message);
    expect(result.usage).toBe(usage);
  });

  it('rejects more than 200 components', () => {
    const components = Array.from({ length: 201 }, (_, i) => `c${i}=app:1`).join(' ');
    expect(err(`create r deploy --env prod ${components}`)).toEqual({
      ok: false,
      error: '201 components: a task takes at most 200',
      usage: RELEASE_USAGE.deploy,
    });
    expect(ok(`create r upgrade --env prod ${components.replace(/ c200=app:1$/, '')}`)).toMatchObject({ kind: 'create' });
  });

  it.each([
    ['start', 'which task ID? write /release start <task-id>, e.g. /release start rt-7k2f9q', RELEASE_USAGE.start],
    ['retry rt-123', '`rt-123` is not a task ID: task IDs look like rt-7k2f9q', RELEASE_USAGE.retry],
    ['delete rt-7k2f9q!', '`rt-7k2f9q!` is not a task ID', RELEASE_USAGE.delete],
    ['rollback rt-7k2f9q rt-aaaaaa', 'unexpected `rt-aaaaaa`: /release rollback takes one task ID', RELEASE_USAGE.rollback],
    ['suspend rt-7k2f9q --force', 'unknown flag `--force`: /release suspend takes no flags', RELEASE_USAGE.suspend],
    ['show', 'which task ID?', RELEASE_USAGE.show],
    ['components', 'which environment? write /release components <env>', RELEASE_USAGE.components],
    ['components Staging', 'environment names are lower case: write `staging`, not `Staging`', RELEASE_USAGE.components],
    ['components qa prod', 'unexpected `prod`', RELEASE_USAGE.components],
    ['list prod', 'unexpected `prod` (to filter by environment write --env prod)', RELEASE_USAGE.list],
    ['list --status', '`--status` needs a value', RELEASE_USAGE.list],
    ['list --owner me', 'unknown flag `--owner`: /release list takes --status, --env', RELEASE_USAGE.list],
    ['list --env PROD', 'write `prod`, not `PROD`', RELEASE_USAGE.list],
    ['deploy web=a:1', 'unknown subcommand `deploy`', RELEASE_USAGE_SUMMARY],
    ['stat rt-7k2f9q', 'unknown subcommand `stat` (did you mean start?): use help, create, start', RELEASE_USAGE_SUMMARY],
    ['rt-7k2f9q', '(to see that task write /release show rt-7k2f9q)', RELEASE_USAGE_SUMMARY],
    ['"unclosed', 'is never closed', RELEASE_USAGE_SUMMARY],
  ])('%j', (text, message, usage) => {
    const result = err(text);
    expect(result.error).toContain(message);
    expect(result.usage).toBe(usage);
  });

  it('lists every valid status for an unknown one', () => {
    const { error } = err('list --status done');
    expect(error).toContain('unknown status `done`: use one of');
    for (const status of TASK_STATUSES) expect(error).toContain(`"${status}"`);
  });

  it('shortens long user text quoted in errors', () => {
    const { error } = err(`${'z'.repeat(5000)} x`);
    expect(error.length).toBeLessThan(300);
  });
});

describe('help text', () => {
  it('lists every usage form with an example', () => {
    for (const line of Object.values(RELEASE_USAGE).flatMap((u) => u.split('\n'))) expect(RELEASE_HELP).toContain(line);
    for (const sub of ['deploy', 'upgrade', 'clone']) expect(RELEASE_HELP).toMatch(new RegExp(`e\\.g\\. \`/release create \\S+ ${sub} `));
    for (const sub of ['start', 'suspend', 'resume', 'retry', 'rollback', 'delete', 'show', 'list', 'components']) {
      expect(RELEASE_HELP).toContain(`e.g. \`/release ${sub}`);
    }
  });

  it('every example in the help parses', () => {
    const examples = [...RELEASE_HELP.matchAll(/e\.g\. `\/release ([^`]*)`/g)].map((m) => m[1]!);
    expect(examples.length).toBeGreaterThanOrEqual(12);
    for (const example of examples) expect(parseReleaseCommand(example)).toMatchObject({ ok: true });
  });
});

describe('fuzz: never throws, always well-formed', () => {
  const label = z.string().regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/);
  const taskId = z.string().regex(/^rt-[0-9a-z]{6}$/);
  const WellFormed = z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('help') }),
    z.strictObject({
      kind: z.literal('create'),
      name: z.string().regex(/^[A-Za-z0-9._-]{1,80}$/),
      operation: z.enum(OPERATION_TYPES),
      env: label,
      sourceEnv: label.optional(),
      components: z.array(z.strictObject({
        name: label, image: z.string().regex(/^\S{1,255}$/).optional(), replicas: z.number().int().min(1).max(100).optional(),
      })).min(1).max(200),
      bestEffort: z.boolean(),
      parallel: z.number().int().min(1).max(32),
      description: z.string().min(1).max(500).optional(),
    }),
    z.strictObject({ kind: z.literal('action'), action: z.enum(['start', 'suspend', 'resume', 'retry', 'rollback', 'delete']), taskId }),
    z.strictObject({ kind: z.literal('show'), taskId }),
    z.strictObject({ kind: z.literal('list'), status: z.enum(TASK_STATUSES).optional(), env: label.optional() }),
    z.strictObject({ kind: z.literal('components'), env: label }),
  ]);
  const usages = new Set([...Object.values(RELEASE_USAGE), RELEASE_USAGE_SUMMARY]);

  function assertWellFormed(text: string): void {
    let result: ReturnType<typeof parseReleaseCommand>;
    expect(() => (result = parseReleaseCommand(text)), JSON.stringify(text)).not.toThrow();
    result = result!;
    if (!result.ok) {
      expect(result.error.trim(), JSON.stringify(text)).not.toBe('');
      expect(result.error).not.toMatch(/undefined|\[object|could not read/);
      expect(usages.has(result.usage), JSON.stringify(text)).toBe(true);
      return;
    }
    const c = result.command;
    expect(WellFormed.safeParse(c).error, JSON.stringify(text)).toBeUndefined();
    if (c.kind !== 'create') return;
    expect(new Set(c.components.map((x) => x.name)).size).toBe(c.components.length);
    const clone = c.operation === 'Bulk Clone';
    expect(c.sourceEnv !== undefined).toBe(clone);
    if (clone) expect(c.sourceEnv).not.toBe(c.env);
    for (const x of c.components) {
      expect(x.image === undefined).toBe(clone);
      expect(x.replicas === undefined).toBe(c.operation !== 'Bulk Deploy');
    }
  }

  // mulberry32: small, seeded, so a failure reproduces.
  let seed = 0x5eed;
  const random = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

  const ALPHABET = [
    ...'abcxyzAZ0129 -_.:/@=x"\'`\\\n\t', '“', '”', '‘', '’', '„', '—', '–', '\u00a0', '\u200b', 'é', '漢', '🚀', '\u0000',
    '--', ' --env ', ' --from ', ' --desc ', ' --status ', ' --parallel ', ' --best-effort', 'rt-', 'rt-7k2f9q',
    'create ', 'deploy ', 'upgrade ', 'clone ', 'list ', 'show ', 'start ', 'components ', 'help', 'nginx:1.27', 'x3', '@sha256:',
  ];
  const VALID = [
    'create web-1.27 deploy --env staging web=registry.example.com/team/web:1.27x3 api=api:2.0',
    'create api-2.0 upgrade --env prod api=api:2.0 --best-effort --parallel 2 --desc "fix it"',
    'create sync clone --from staging --env prod web api --desc=“Friday sync”',
    'start rt-7k2f9q', 'show RT-7K2F9Q', 'list --status "Release failed" --env prod', 'components staging', 'help',
  ];
  const mutate = (text: string): string => {
    const chars = Array.from(text);
    for (let n = 1 + Math.floor(random() * 4); n > 0; n--) {
      const at = Math.floor(random() * (chars.length + 1));
      const op = Math.floor(random() * 4);
      if (op === 0) chars.splice(at, 1 + Math.floor(random() * 5));
      else if (op === 1) chars.splice(at, 0, ...Array.from(pick(ALPHABET)));
      else if (op === 2) chars.splice(at, 1, pick(ALPHABET));
      else chars.splice(at, 0, ...chars.slice(Math.floor(random() * chars.length)).slice(0, 8));
    }
    return chars.join('');
  };

  it('2000 random and mutated inputs', () => {
    let parsed = 0;
    for (let i = 0; i < 2000; i++) {
      const text = i % 2 ? mutate(pick(VALID)) : Array.from({ length: Math.floor(random() * 40) }, () => pick(ALPHABET)).join('');
      assertWellFormed(text);
      if (parseReleaseCommand(text).ok) parsed++;
    }
    expect(parsed).toBeGreaterThan(50); // the mutations must still reach the success paths
  });

  it('odd inputs', () => {
    for (const text of ['constructor', 'create toString constructor', '__proto__', 'list --status __proto__', '"', '\u0000', 'x'.repeat(100_000)]) {
      assertWellFormed(text);
    }
    assertWellFormed(undefined as unknown as string);
  });
});
