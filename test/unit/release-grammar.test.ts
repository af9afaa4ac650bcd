import { describe, it, expect } from 'vitest';
import { COMMON_ALPHABET, fuzzer } from '../support/fuzz.js';
import { z } from 'zod';
import { RELEASE_HELP, RELEASE_USAGE, RELEASE_USAGE_SUMMARY, parseReleaseCommand, releaseHelp } from '../../src/commands/release-grammar.js';
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
  it.each(['', '   ', 'help', 'HELP', '--help', '?'])('%j is help', (text) => {
    expect(ok(text)).toEqual({ kind: 'help' });
  });

  it.each([['help create', 'create'], ['? start', 'start'], ['help all', 'all']])('%j is help about %j', (text, topic) => {
    expect(ok(text)).toEqual({ kind: 'help', topic });
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

  it.each(['start', 'suspend', 'resume', 'retry', 'rollback', 'delete'] as const)('%s <task-id> --override "reason"', (action) => {
    expect(ok(`${action} rt-7k2f9q --override "hotfix for INC-123"`)).toEqual({
      kind: 'action', action, taskId: 'rt-7k2f9q', override: 'hotfix for INC-123',
    });
  });

  it.each([
    ['start --override “hotfix for INC-123” RT-7K2F9Q', 'hotfix for INC-123'],
    ['retry rt-7k2f9q --override=INC-9', 'INC-9'],
    ['rollback rt-7k2f9q —override "  padded  "', 'padded'],
    [`start rt-7k2f9q --override "${'o'.repeat(300)}"`, 'o'.repeat(300)],
  ])('%j', (text, override) => {
    expect(ok(text)).toEqual({ kind: 'action', action: expect.any(String), taskId: 'rt-7k2f9q', override });
  });

  it.each([
    ['approve rt-7k2f9q', { kind: 'approve', taskId: 'rt-7k2f9q' }],
    ['APPROVE RT-7K2F9Q', { kind: 'approve', taskId: 'rt-7k2f9q' }],
    ['reject rt-7k2f9q', { kind: 'reject', taskId: 'rt-7k2f9q' }],
    ['reject rt-7k2f9q --reason "wrong image tag"', { kind: 'reject', taskId: 'rt-7k2f9q', reason: 'wrong image tag' }],
    ['reject --reason=’not today’ rt-7k2f9q', { kind: 'reject', taskId: 'rt-7k2f9q', reason: 'not today' }],
    ['reject rt-7k2f9q --reason don’t', { kind: 'reject', taskId: 'rt-7k2f9q', reason: 'don’t' }],
    [`reject rt-7k2f9q --reason "${'r'.repeat(300)}"`, { kind: 'reject', taskId: 'rt-7k2f9q', reason: 'r'.repeat(300) }],
  ])('%j', (text, command) => {
    expect(ok(text)).toEqual(command);
  });

  it('parses what the approval buttons send (after the @v suffix is removed)', () => {
    expect(ok('approve rt-7k2f9q')).toEqual({ kind: 'approve', taskId: 'rt-7k2f9q' });
    expect(ok('reject rt-7k2f9q')).toEqual({ kind: 'reject', taskId: 'rt-7k2f9q' });
  });

  const MIN = 60_000;
  const HOUR = 60 * MIN;
  const DAY = 24 * HOUR;
  it.each([
    ['audit', { kind: 'audit', csv: false }],
    ['audit --csv', { kind: 'audit', csv: true }],
    ['audit rt-7k2f9q', { kind: 'audit', taskId: 'rt-7k2f9q', csv: false }],
    ['audit RT-7K2F9Q --since 7d --csv', { kind: 'audit', taskId: 'rt-7k2f9q', sinceMs: 7 * DAY, csv: true }],
    ['audit --env prod', { kind: 'audit', env: 'prod', csv: false }],
    ['audit --csv --since=12h --env=prod', { kind: 'audit', env: 'prod', sinceMs: 12 * HOUR, csv: true }],
    ['audit --since 30m', { kind: 'audit', sinceMs: 30 * MIN, csv: false }],
    ['audit --since 1m', { kind: 'audit', sinceMs: MIN, csv: false }],
    ['audit --since 2w', { kind: 'audit', sinceMs: 14 * DAY, csv: false }],
    ['audit --since 52w', { kind: 'audit', sinceMs: 364 * DAY, csv: false }],
    ['audit --since 365d', { kind: 'audit', sinceMs: 365 * DAY, csv: false }],
    ['audit --since 8760h', { kind: 'audit', sinceMs: 365 * DAY, csv: false }],
    ['audit --since 525600m', { kind: 'audit', sinceMs: 365 * DAY, csv: false }],
    ['audit --since 7D', { kind: 'audit', sinceMs: 7 * DAY, csv: false }],
    ['audit --since 007d', { kind: 'audit', sinceMs: 7 * DAY, csv: false }],
  ])('%j', (text, command) => {
    expect(ok(text)).toEqual(command);
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

describe('parseReleaseCommand: choosing components without naming each', () => {
  const base = { kind: 'create', bestEffort: false, parallel: DEFAULT_PARALLEL } as const;

  it('upgrade --all --tag', () => {
    expect(ok('create r-1.4 upgrade --env prod --all --tag 1.4')).toEqual({
      ...base, name: 'r-1.4', operation: 'Bulk Upgrade', env: 'prod', components: [], select: { all: true, globs: [], tag: '1.4' },
    });
  });

  it.each([
    ["create r-web upgrade --env prod 'web-*' --tag 1.4", 'single quotes, as Slack sends them'],
    ['create r-web upgrade --env prod "web-*" --tag 1.4', 'double quotes'],
    ['create r-web upgrade --env prod ‘web-*’ --tag 1.4', 'smart quotes'],
    ['create r-web upgrade --env prod web-* --tag=1.4', 'no quotes'],
  ])('upgrade with a pattern: %j (%s)', (text) => {
    expect(ok(text)).toEqual({
      ...base, name: 'r-web', operation: 'Bulk Upgrade', env: 'prod', components: [], select: { all: false, globs: ['web-*'], tag: '1.4' },
    });
  });

  it('upgrade --tag with names and patterns mixed: the names are listed (no image yet), the patterns chosen', () => {
    expect(ok("create r upgrade --env prod api 'web-?' '*-worker' --tag v2.0_rc-1 --best-effort")).toEqual({
      ...base, name: 'r', operation: 'Bulk Upgrade', env: 'prod', bestEffort: true,
      components: [{ name: 'api' }], select: { all: false, globs: ['web-?', '*-worker'], tag: 'v2.0_rc-1' },
    });
  });

  it('clone --all, and clone with names and a pattern', () => {
    expect(ok('create c1 clone --from staging --env prod --all')).toEqual({
      ...base, name: 'c1', operation: 'Bulk Clone', env: 'prod', sourceEnv: 'staging', components: [], select: { all: true, globs: [] },
    });
    expect(ok("create c2 clone --from staging --env prod web 'api-*'")).toMatchObject({
      components: [{ name: 'web' }], select: { all: false, globs: ['api-*'] },
    });
  });

  it('plan takes the same forms', () => {
    expect(ok("plan r upgrade --env prod 'web-*' --tag 1.4")).toMatchObject({ kind: 'plan', select: { globs: ['web-*'], tag: '1.4' } });
    expect(ok('plan c1 clone --from staging --env prod --all')).toMatchObject({ kind: 'plan', select: { all: true } });
  });

  it('leaves commands without a choice as they were (no select)', () => {
    expect(ok('create r upgrade --env prod web=web:2')).not.toHaveProperty('select');
    expect(ok('create r clone --from a --env b web')).not.toHaveProperty('select');
  });

  const { deploy, upgrade, clone } = RELEASE_USAGE;
  it.each([
    ['create r deploy --env prod --all web=a:1', '`--all` chooses components that exist, and deploy creates new ones: name each with its image, e.g. web=nginx:1.27', deploy],
    ["create r deploy --env prod 'web-*'", '`web-*` is a pattern: it chooses components that exist, and deploy creates new ones', deploy],
    ['create r deploy --env prod web=a:1 --tag 1.4', '`--tag` is only for upgrade: deploy takes each image from <component>=<image>', deploy],
    ["create r upgrade --env prod 'web-*'", '`web-*` chooses components but not their image: say which image with --tag <tag>', upgrade],
    ['create r upgrade --env prod --all', '`--all` chooses components but not their image: say which image with --tag <tag>', upgrade],
    ['create r upgrade --env prod --all web=web:2', '`--all` chooses components but not their image', upgrade],
    ['create r upgrade --env prod web=web:2 --tag 1.4', '`web=web:2` gives an image, but `--tag` sets the image of every component chosen: write just web, or leave out --tag', upgrade],
    ['create r upgrade --env prod --all api=api:2 --tag 1.4', '`api=api:2` gives an image, but `--tag`', upgrade],
    ['create r upgrade --env prod web', '`web` has no image: write web=<image>, e.g. web=nginx:1.27, or add --tag <tag> to give its current image a new tag', upgrade],
    ['create r upgrade --env prod --tag 1.4', "no components: with --tag, name them (web api), give a pattern ('web-*') or --all", upgrade],
    ['create r upgrade --env prod --all --tag', '`--tag` needs a value: write --tag <tag>', upgrade],
    ['create r upgrade --env prod --all --tag web:1.4', '`--tag` takes just the tag, not an image: write --tag 1.4 (each component keeps its repository)', upgrade],
    ['create r upgrade --env prod --all --tag registry:5000/web', '`--tag` takes just the tag, not an image: write --tag 1.4', upgrade],
    ['create r upgrade --env prod --all --tag .hidden', '`--tag .hidden` is not an image tag: use letters, digits, "_", "." and "-"', upgrade],
    [`create r upgrade --env prod --all --tag ${'t'.repeat(129)}`, 'is not an image tag', upgrade],
    ['create r upgrade --env prod --all --all --tag 1', '`--all` is given twice', upgrade],
    ['create r upgrade --env prod --all=yes --tag 1', '`--all` takes no value: write just --all', upgrade],
    ["create r upgrade --env prod 'Web-*' --tag 1", 'component names are lower case: write `web-*`, not `Web-*`', upgrade],
    ["create r upgrade --env prod 'web_*' --tag 1", 'the pattern `web_*` may contain only lower-case letters, digits, "-", "*" (any run) and "?" (one character)', upgrade],
    [`create r upgrade --env prod '${'w'.repeat(63)}*' --tag 1`, 'is longer than 63 characters', upgrade],
    ["create r upgrade --env prod 'web-*' 'web-*' --tag 1", 'the pattern `web-*` is given twice: give each pattern once', upgrade],
    ['create r upgrade --env prod web web --tag 1', 'component `web` is listed twice', upgrade],
    ['create r clone --from staging --env prod --all --tag 1.4', '`--tag` is only for upgrade: clone copies each image from `--from` as it is', clone],
    ['create r clone --from staging --env prod', "no components: list at least one, e.g. web (or choose them with 'web-*' or --all)", clone],
    ["create r clone --env prod 'web-*'", '`--from <env>` is missing', clone],
  ])('%j', (text, message, usage) => {
    const result = err(text);
    expect(result.error).toContain(message);
    expect(result.usage).toBe(usage);
  });

  it('upgrade shows both its usage lines; plan shows them as plan', () => {
    expect(RELEASE_USAGE.upgrade.split('\n')).toEqual([
      '/release create <name> upgrade --env <env> <component>=<image> … [--best-effort] [--parallel N] [--desc "text"] [--new-env]',
      "/release create <name> upgrade --env <env> --tag <tag> <component>|'<pattern>'|--all … [--best-effort] [--parallel N] [--desc \"text\"] [--new-env]",
    ]);
    expect(RELEASE_USAGE.plan).not.toContain('/release create');
    expect(RELEASE_USAGE.plan.split('\n')).toHaveLength(4);
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

  it('rejects more than 2,000 components', () => {
    const components = Array.from({ length: 2001 }, (_, i) => `c${i}=app:1`).join(' ');
    expect(err(`create r deploy --env prod ${components}`)).toEqual({
      ok: false,
      error: '2001 components: a task takes at most 2000',
      usage: RELEASE_USAGE.deploy,
    });
    expect(ok(`create r upgrade --env prod ${components.replace(/ c2000=app:1$/, '')}`)).toMatchObject({ kind: 'create' });
  });

  it.each([
    ['start', 'which task ID? write /release start <task-id>, e.g. /release start rt-7k2f9q', RELEASE_USAGE.start],
    ['retry rt-123', '`rt-123` is not a task ID: task IDs look like rt-7k2f9q', RELEASE_USAGE.retry],
    ['delete rt-7k2f9q!', '`rt-7k2f9q!` is not a task ID', RELEASE_USAGE.delete],
    ['rollback rt-7k2f9q rt-aaaaaa', 'unexpected `rt-aaaaaa`: /release rollback takes one task ID', RELEASE_USAGE.rollback],
    ['suspend rt-7k2f9q --force', 'unknown flag `--force`: /release suspend takes --override', RELEASE_USAGE.suspend],
    ['show rt-7k2f9q --override x', 'unknown flag `--override`: /release show takes --page', RELEASE_USAGE.show],
    ['show', 'which task ID?', RELEASE_USAGE.show],
    ['components', 'which environment? write /release components <env>', RELEASE_USAGE.components],
    ['components Staging', 'environment names are lower case: write `staging`, not `Staging`', RELEASE_USAGE.components],
    ['components qa prod', 'unexpected `prod`', RELEASE_USAGE.components],
    ['list prod', 'unexpected `prod` (to filter by environment write --env prod)', RELEASE_USAGE.list],
    ['list --status', '`--status` needs a value', RELEASE_USAGE.list],
    ['list --owner me', 'unknown flag `--owner`: /release list takes --status, --env', RELEASE_USAGE.list],
    ['list --env PROD', 'write `prod`, not `PROD`', RELEASE_USAGE.list],
    ['"unclosed', 'is never closed', RELEASE_USAGE_SUMMARY],
  ])('%j', (text, message, usage) => {
    const result = err(text);
    expect(result.error).toContain(message);
    expect(result.usage).toBe(usage);
  });

  const OVERRIDE_MISSING = '`--override` needs a reason in quotes, e.g. --override "hotfix for INC-123"';
  const FORMS = '<n>m, <n>h, <n>d or <n>w (minutes, hours, days, weeks), from 1m to 365d, e.g. --since 7d';
  it.each([
    ['start rt-7k2f9q --override', OVERRIDE_MISSING, RELEASE_USAGE.start],
    ['start rt-7k2f9q --override ""', OVERRIDE_MISSING, RELEASE_USAGE.start],
    ['start rt-7k2f9q --override "   "', OVERRIDE_MISSING, RELEASE_USAGE.start],
    ['retry rt-7k2f9q --override=', OVERRIDE_MISSING, RELEASE_USAGE.retry],
    ['delete --override rt-7k2f9q', 'which task ID? write /release delete <task-id>', RELEASE_USAGE.delete],
    [`start rt-7k2f9q --override "${'o'.repeat(301)}"`, 'the override reason is 301 characters long: at most 300', RELEASE_USAGE.start],
    ['start rt-7k2f9q --override hotfix for INC-123', 'put the whole reason in quotes: write `--override "hotfix for INC-123"`', RELEASE_USAGE.start],
    ['start --override hotfix now rt-7k2f9q', 'put the whole reason in quotes: write `--override "hotfix now rt-7k2f9q"`', RELEASE_USAGE.start],
    ['start rt-7k2f9q --override a --override b', '`--override` is given twice', RELEASE_USAGE.start],
    ['start rt-7k2f9q --overide x', 'unknown flag `--overide` (did you mean --override?)', RELEASE_USAGE.start],
    ['approve', 'which task ID? write /release approve <task-id>, e.g. /release approve rt-7k2f9q', RELEASE_USAGE.approve],
    ['approve rt-123', '`rt-123` is not a task ID', RELEASE_USAGE.approve],
    ['approve rt-7k2f9q rt-aaaaaa', 'unexpected `rt-aaaaaa`: /release approve takes one task ID', RELEASE_USAGE.approve],
    ['approve rt-7k2f9q --override x', 'unknown flag `--override`: /release approve takes no flags', RELEASE_USAGE.approve],
    ['reject', 'which task ID? write /release reject <task-id>', RELEASE_USAGE.reject],
    ['reject rt-7k2f9q --reason', '`--reason` needs text in quotes, e.g. --reason "wrong image tag"', RELEASE_USAGE.reject],
    ['reject rt-7k2f9q --reason ""', '`--reason` needs text in quotes', RELEASE_USAGE.reject],
    [`reject rt-7k2f9q --reason "${'r'.repeat(301)}"`, 'the reason is 301 characters long: at most 300', RELEASE_USAGE.reject],
    ['reject rt-7k2f9q wrong tag', 'unexpected `wrong` (to give a reason write --reason "text"): /release reject takes one task ID', RELEASE_USAGE.reject],
    ['reject rt-7k2f9q --reason wrong tag', 'put the whole reason in quotes: write `--reason "wrong tag"`', RELEASE_USAGE.reject],
    ['reject rt-7k2f9q --override x', 'unknown flag `--override`: /release reject takes --reason', RELEASE_USAGE.reject],
    ['audit rt-7k2f9q --env prod', 'both a task ID (`rt-7k2f9q`) and `--env`: /release audit takes one task ID or --env <env>, not both', RELEASE_USAGE.audit],
    ['audit prod', '`prod` is not a task ID (to audit an environment write --env prod)', RELEASE_USAGE.audit],
    ['audit rt-12', '`rt-12` is not a task ID: task IDs look like rt-7k2f9q', RELEASE_USAGE.audit],
    ['audit rt-7k2f9q rt-aaaaaa', 'unexpected `rt-aaaaaa`: /release audit takes at most one task ID', RELEASE_USAGE.audit],
    ['audit --env Prod', 'write `prod`, not `Prod`', RELEASE_USAGE.audit],
    ['audit --csv=yes', '`--csv` takes no value: write just --csv', RELEASE_USAGE.audit],
    ['audit --since', `\`--since\` needs a duration: write ${FORMS}`, RELEASE_USAGE.audit],
    ['audit --since 7', `\`--since\` takes a duration, not \`7\`: write ${FORMS}`, RELEASE_USAGE.audit],
    ['audit --since 1y', '`--since` takes a duration, not `1y`', RELEASE_USAGE.audit],
    ['audit --since 1M', '`--since` takes a duration, not `1M`', RELEASE_USAGE.audit],
    ['audit --since 7days', '`--since` takes a duration, not `7days`', RELEASE_USAGE.audit],
    ['audit --since -7d', '`--since` takes a duration, not `-7d`', RELEASE_USAGE.audit],
    ['audit --since 1.5h', '`--since` takes a duration, not `1.5h`', RELEASE_USAGE.audit],
    ['audit --since "7 d"', '`--since` takes a duration, not `7 d`', RELEASE_USAGE.audit],
    ['audit --since 0m', `\`--since 0m\` is out of range: write ${FORMS}`, RELEASE_USAGE.audit],
    ['audit --since 366d', '`--since 366d` is out of range', RELEASE_USAGE.audit],
    ['audit --since 53w', '`--since 53w` is out of range', RELEASE_USAGE.audit],
    ['audit --since 8761h', '`--since 8761h` is out of range', RELEASE_USAGE.audit],
    [`audit --since ${'9'.repeat(400)}d`, 'is out of range', RELEASE_USAGE.audit],
    ['audit --since 7d --since 1d', '`--since` is given twice', RELEASE_USAGE.audit],
    ['audit --status Released', 'unknown flag `--status`: /release audit takes --env, --since, --csv', RELEASE_USAGE.audit],
  ])('%j', (text, message, usage) => {
    const result = err(text);
    expect(result.error).toContain(message);
    expect(result.usage).toBe(usage);
  });

  it.each([
    ['strat rt-1', 'Unknown subcommand `strat`. Did you mean `/release start rt-1`? `/release help` lists them all.'],
    ['stat rt-7k2f9q --override "hotfix"', 'Unknown subcommand `stat`. Did you mean `/release start rt-7k2f9q --override "hotfix"`? `/release help` lists them all.'],
    ['aprove rt-7k2f9q', 'Unknown subcommand `aprove`. Did you mean `/release approve rt-7k2f9q`? `/release help` lists them all.'],
    ['unschedule rt-7k2f9q', 'Unknown subcommand `unschedule`. Did you mean `/release cancel rt-7k2f9q`? `/release help` lists them all.'],
    ['hlep', 'Unknown subcommand `hlep`. Did you mean `/release help`? `/release help` lists them all.'],
    ['rt-7k2f9q', 'Unknown subcommand `rt-7k2f9q`. To see that task write `/release show rt-7k2f9q`. `/release help` lists them all.'],
    ['deploy web=a:1', 'Unknown subcommand `deploy`. A task is created with a name first: `/release create <name> deploy web=a:1`. `/release help` lists them all.'],
    ['frobnicate', 'Unknown subcommand `frobnicate`. Use one of help, create, start, suspend, resume, retry, rollback, delete, cancel, approve, reject, audit, show, plan, list, components; `/release help` shows how.'],
  ])('an unknown subcommand %j gets the one suggestion that fits and no usage dump', (text, message) => {
    expect(err(text)).toEqual({ ok: false, error: message, usage: '' });
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
  it('leads with a three-line quick start whose commands parse, then the subcommands by group', () => {
    const lines = RELEASE_HELP.split('\n');
    expect(lines.slice(0, 2)).toEqual(['*`/release`: batch release tasks*', '*Quick start*']);
    expect(lines.slice(2, 5).map((l) => l.slice(0, 3))).toEqual(['1. ', '2. ', '3. ']);
    const typed = [...lines.slice(2, 5).join('\n').matchAll(/`\/release ([^`]*)`/g)].map((m) => m[1]!);
    expect(typed.map((t) => t.split(' ')[0])).toEqual(['create', 'start', 'list', 'show']);
    for (const t of typed) expect(parseReleaseCommand(t), t).toMatchObject({ ok: true });
    // Every subcommand is in the index once, and the whole help is short.
    for (const sub of Object.keys(RELEASE_USAGE).filter((k) => !['help', 'deploy', 'upgrade', 'clone'].includes(k))) {
      expect(RELEASE_HELP.match(new RegExp(`\`${sub}\``, 'g')), sub).toHaveLength(1);
    }
    expect(lines.length).toBeLessThanOrEqual(12);
    expect(RELEASE_HELP).toContain('`/release help <subcommand>` shows its usage and examples');
  });

  it('help <subcommand> shows its forms, examples and the notes about it; a near miss finds it', () => {
    const start = releaseHelp('start');
    expect(start.split('\n')[0]).toBe('*`/release start`*');
    for (const line of RELEASE_USAGE.start.split('\n')) expect(start).toContain(line);
    expect(start).toContain('e.g. `/release start rt-7k2f9q --at 22:00`');
    expect(start).toContain('*Freeze windows*');
    expect(start).not.toContain('*Create options*');
    expect(releaseHelp('strat')).toBe(`(\`strat\` is not a subcommand; showing start.)\n${start}`);
    expect(releaseHelp('unschedule')).toContain('*`/release cancel`*');
    expect(releaseHelp('zzzz')).toBe(`\`zzzz\` is not a /release subcommand.\n${RELEASE_HELP}`);
  });

  it('help all lists every usage form with an example', () => {
    const all = releaseHelp('all');
    for (const line of Object.values(RELEASE_USAGE).flatMap((u) => u.split('\n'))) expect(all).toContain(line);
    for (const sub of ['deploy', 'upgrade', 'clone']) expect(all).toMatch(new RegExp(`e\\.g\\. \`/release create \\S+ ${sub} `));
    for (const sub of ['start', 'suspend', 'resume', 'retry', 'rollback', 'delete', 'approve', 'reject', 'audit', 'show', 'list', 'components']) {
      expect(all).toContain(`e.g. \`/release ${sub}`);
    }
  });

  it('every example in the full help parses', () => {
    const examples = [...releaseHelp('all').matchAll(/e\.g\. `\/release ([^`]*)`/g)].map((m) => m[1]!);
    expect(examples.length).toBeGreaterThanOrEqual(17);
    for (const example of examples) expect(parseReleaseCommand(example)).toMatchObject({ ok: true });
    for (const form of ['--override "', 'audit --env', '--since', '--csv', '--reason "']) {
      expect(examples.some((e) => e.includes(form)), form).toBe(true);
    }
  });

  it('usage summary covers every subcommand', () => {
    for (const sub of ['create', 'start|suspend|resume|retry|rollback|delete <task-id> [--override "reason"]', 'approve', 'reject', 'audit', 'show', 'list', 'components']) {
      expect(RELEASE_USAGE_SUMMARY).toContain(`/release ${sub}`);
    }
  });
});

describe('fuzz: never throws, always well-formed', () => {
  const label = z.string().regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/);
  const taskId = z.string().regex(/^rt-[0-9a-z]{6}$/);
  const text = z.string().min(1).max(300).refine((v) => v === v.trim());
  const WellFormed = z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('help'), topic: z.string().min(1).optional() }),
    z.strictObject({
      kind: z.literal('create'),
      name: z.string().regex(/^[A-Za-z0-9._-]{1,80}$/),
      operation: z.enum(OPERATION_TYPES),
      env: label,
      sourceEnv: label.optional(),
      components: z.array(z.strictObject({
        name: label, image: z.string().regex(/^\S{1,255}$/).optional(), replicas: z.number().int().min(1).max(100).optional(),
      })).max(2000),
      select: z.strictObject({
        all: z.boolean(), globs: z.array(z.string().regex(/^[a-z0-9*?-]{1,63}$/).regex(/[*?]/)), tag: z.string().regex(/^\w[\w.-]{0,127}$/).optional(),
      }).optional(),
      bestEffort: z.boolean(),
      parallel: z.number().int().min(1).max(32),
      description: z.string().min(1).max(500).optional(),
    }),
    z.strictObject({
      kind: z.literal('action'), action: z.enum(['start', 'suspend', 'resume', 'retry', 'rollback', 'delete']), taskId, override: text.optional(),
    }),
    z.strictObject({ kind: z.literal('approve'), taskId }),
    z.strictObject({ kind: z.literal('reject'), taskId, reason: text.optional() }),
    z.strictObject({
      kind: z.literal('audit'), taskId: taskId.optional(), env: label.optional(),
      sinceMs: z.number().int().min(60_000).max(365 * 86_400_000).optional(), csv: z.boolean(),
    }).refine((c) => !(c.taskId && c.env), 'task ID and env'),
    z.strictObject({ kind: z.literal('show'), taskId }),
    z.strictObject({ kind: z.literal('list'), status: z.enum(TASK_STATUSES).optional(), env: label.optional() }),
    z.strictObject({ kind: z.literal('components'), env: label }),
  ]);
  // '': an unknown subcommand, whose error carries its suggestion instead of a usage.
  const usages = new Set([...Object.values(RELEASE_USAGE), RELEASE_USAGE_SUMMARY, '']);

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
    // Something is chosen: listed components, a pattern or --all; patterns and --all never on deploy, --tag only on upgrade.
    expect(c.components.length > 0 || !!c.select?.all || !!c.select?.globs.length, JSON.stringify(text)).toBe(true);
    if (c.select) expect(c.operation).not.toBe('Bulk Deploy');
    if (c.select?.tag) expect(c.operation).toBe('Bulk Upgrade');
    if (c.operation === 'Bulk Upgrade' && (c.select?.all || c.select?.globs.length)) expect(c.select.tag).toBeDefined();
    const clone = c.operation === 'Bulk Clone';
    expect(c.sourceEnv !== undefined).toBe(clone);
    if (clone) expect(c.sourceEnv).not.toBe(c.env);
    for (const x of c.components) {
      expect(x.image === undefined).toBe(clone || !!c.select?.tag);
      expect(x.replicas === undefined).toBe(c.operation !== 'Bulk Deploy');
    }
  }

  const ALPHABET = [
    ...'abcxyzAZ0129 -_.:/@=x"\'`\\\n\t', ...COMMON_ALPHABET,
    '--', ' --env ', ' --from ', ' --desc ', ' --status ', ' --parallel ', ' --best-effort', 'rt-', 'rt-7k2f9q',
    ' --all', ' --tag ', "'web-*'", '*', '?',
    'create ', 'deploy ', 'upgrade ', 'clone ', 'list ', 'show ', 'start ', 'components ', 'help', 'nginx:1.27', 'x3', '@sha256:',
  ];
  const VALID = [
    'create web-1.27 deploy --env staging web=registry.example.com/team/web:1.27x3 api=api:2.0',
    'create api-2.0 upgrade --env prod api=api:2.0 --best-effort --parallel 2 --desc "fix it"',
    'create sync clone --from staging --env prod web api --desc=“Friday sync”',
    'create r-1.4 upgrade --env prod --all --tag 1.4', "create r-web upgrade --env prod 'web-*' api --tag 1.4", 'create c1 clone --from staging --env prod --all web',
    'start rt-7k2f9q', 'show RT-7K2F9Q', 'list --status "Release failed" --env prod', 'components staging', 'help',
    'retry rt-7k2f9q --override "hotfix for INC-123"', 'approve rt-7k2f9q', 'reject rt-7k2f9q --reason "wrong tag"',
    'audit rt-7k2f9q --since 7d', 'audit --env prod --since 12h --csv', 'audit',
  ];
  const { pick, garbage, mutate, random } = fuzzer(ALPHABET, 0x5eed);

  it('2000 random and mutated inputs', () => {
    let parsed = 0;
    for (let i = 0; i < 2000; i++) {
      const text = i % 2 ? mutate(pick(VALID)) : garbage();
      assertWellFormed(text);
      if (parseReleaseCommand(text).ok) parsed++;
    }
    expect(parsed).toBeGreaterThan(50); // the mutations must still reach the success paths
  });

  it('odd inputs', () => {
    for (const text of [
      'constructor', 'create toString constructor', '__proto__', 'list --status __proto__', '"', '\u0000', 'x'.repeat(100_000),
      'audit --since constructor', 'audit --since 1e3d', 'audit --since 0x10m', 'audit --since Infinityd', 'audit __proto__',
      `start rt-7k2f9q --override ${'word '.repeat(20_000)}`, `audit --since ${'9'.repeat(100_000)}m`,
    ]) {
      assertWellFormed(text);
    }
    assertWellFormed(undefined as unknown as string);
  });
});
