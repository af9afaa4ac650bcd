import { describe, it, expect } from 'vitest';
import { COMMON_ALPHABET, fuzzer } from '../support/fuzz.js';
import { z } from 'zod';
import {
  BLUEGREEN_HELP,
  BLUEGREEN_USAGE,
  BLUEGREEN_USAGE_SUMMARY,
  blueGreenHelp,
  parseBlueGreenCommand,
} from '../../src/commands/bluegreen-grammar.js';
import type { BlueGreenCommand } from '../../src/commands/bluegreen-command.js';

function ok(text: string): BlueGreenCommand {
  const result = parseBlueGreenCommand(text);
  if (!result.ok) throw new Error(`expected ${JSON.stringify(text)} to parse, got: ${result.error}`);
  return result.command;
}

function err(text: string): { error: string; usage: string } {
  const result = parseBlueGreenCommand(text);
  if (result.ok) throw new Error(`expected ${JSON.stringify(text)} to fail, got ${JSON.stringify(result.command)}`);
  return result;
}

const DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`;

describe('parseBlueGreenCommand: valid forms', () => {
  it.each(['', '   ', 'help', 'HELP', '--help', '-h', '?'])('%j is help', (text) => {
    expect(ok(text)).toEqual({ kind: 'help' });
  });

  it.each([['help create', 'create'], ['-h update', 'update'], ['help all', 'all']])('%j is help about %j', (text, topic) => {
    expect(ok(text)).toEqual({ kind: 'help', topic });
  });

  it('create with defaults', () => {
    expect(ok('create web --env prod --workload web --image registry.example.com:5000/team/web:1.2.3')).toEqual({
      kind: 'create', job: 'web', env: 'prod', workload: 'web', image: 'registry.example.com:5000/team/web:1.2.3', replicas: 1,
    });
  });

  it('create with every option, in any order, with --opt=value, smart quotes and em dashes', () => {
    expect(ok(`Create --replicas=3 checkout-v2 —desc “Q3 launch” --image=shop/checkout@${DIGEST} --workload checkout --env=prod-eu`)).toEqual({
      kind: 'create', job: 'checkout-v2', env: 'prod-eu', workload: 'checkout', image: `shop/checkout@${DIGEST}`, replicas: 3,
      description: 'Q3 launch',
    });
  });

  it('create keeps an xN tag as part of the image (no replicas suffix on /bluegreen)', () => {
    expect(ok('create web --env prod --workload web --image web:1.27x3 --replicas 100')).toMatchObject({ image: 'web:1.27x3', replicas: 100 });
  });

  it('create: an empty or blank description means none', () => {
    expect(ok('create web --env prod --workload web --image web:1 --desc ""')).not.toHaveProperty('description');
    expect(ok('create web --env prod --workload web --image web:1 --desc "  "')).not.toHaveProperty('description');
    expect(ok('create web --env prod --workload web --image web:1 --desc don’t')).toMatchObject({ description: 'don’t' });
  });

  it.each([
    ['update web registry.example.com/team/web:1.3.0', { kind: 'update', job: 'web', image: 'registry.example.com/team/web:1.3.0' }],
    ['UPDATE web-2 web:2.0-rc.1', { kind: 'update', job: 'web-2', image: 'web:2.0-rc.1' }],
    ['update web --image web:2', { kind: 'update', job: 'web', image: 'web:2' }],
    ['update --image=web:2 web', { kind: 'update', job: 'web', image: 'web:2' }],
    ['release web', { kind: 'release', job: 'web' }],
    ['Release a1', { kind: 'release', job: 'a1' }],
    ['terminate web', { kind: 'terminate', job: 'web' }],
    ['rollback web 3', { kind: 'rollback', job: 'web', revision: 3 }],
    ['rollback web rev3', { kind: 'rollback', job: 'web', revision: 3 }],
    ['rollback web REV12', { kind: 'rollback', job: 'web', revision: 12 }],
    ['rollback web rev-4', { kind: 'rollback', job: 'web', revision: 4 }],
    ['rollback web #3', { kind: 'rollback', job: 'web', revision: 3 }],
    ['rollback web rev 7', { kind: 'rollback', job: 'web', revision: 7 }],
    ['rollback web 007', { kind: 'rollback', job: 'web', revision: 7 }],
    ['rollback web 999999999', { kind: 'rollback', job: 'web', revision: 999999999 }],
    ['history web', { kind: 'history', job: 'web' }],
    ['show web', { kind: 'show', job: 'web' }],
    [`show ${'a'.repeat(63)}`, { kind: 'show', job: 'a'.repeat(63) }],
    ['show 9', { kind: 'show', job: '9' }],
    ['list', { kind: 'list' }],
    ['list --env prod', { kind: 'list', env: 'prod' }],
    ['LIST --env=qa-1', { kind: 'list', env: 'qa-1' }],
    ['update web web:2 --override "hotfix for INC-123"', { kind: 'update', job: 'web', image: 'web:2', override: 'hotfix for INC-123' }],
    ['update --override=INC-9 web --image web:2', { kind: 'update', job: 'web', image: 'web:2', override: 'INC-9' }],
    ['release web --override "hotfix for INC-123"', { kind: 'release', job: 'web', override: 'hotfix for INC-123' }],
    ['release —override “smart quotes” web', { kind: 'release', job: 'web', override: 'smart quotes' }],
    ['terminate web --override "  padded  "', { kind: 'terminate', job: 'web', override: 'padded' }],
    ['rollback web 3 --override "hotfix for INC-123"', { kind: 'rollback', job: 'web', revision: 3, override: 'hotfix for INC-123' }],
    ['rollback web rev 3 --override x', { kind: 'rollback', job: 'web', revision: 3, override: 'x' }],
    ['rollback web --override "bad deploy" #2', { kind: 'rollback', job: 'web', revision: 2, override: 'bad deploy' }],
    [`release web --override "${'o'.repeat(300)}"`, { kind: 'release', job: 'web', override: 'o'.repeat(300) }],
    ['approve web', { kind: 'approve', job: 'web' }],
    ['APPROVE web-2', { kind: 'approve', job: 'web-2' }],
    ['reject web', { kind: 'reject', job: 'web' }],
    ['reject web --reason "wrong image tag"', { kind: 'reject', job: 'web', reason: 'wrong image tag' }],
    ['reject --reason=don’t web', { kind: 'reject', job: 'web', reason: 'don’t' }],
    [`reject web --reason "${'r'.repeat(300)}"`, { kind: 'reject', job: 'web', reason: 'r'.repeat(300) }],
    ['audit web', { kind: 'audit', job: 'web', csv: false }],
    ['audit web --csv', { kind: 'audit', job: 'web', csv: true }],
    ['audit web --since 7d --csv', { kind: 'audit', job: 'web', sinceMs: 7 * 86_400_000, csv: true }],
    ['audit --since=30m web', { kind: 'audit', job: 'web', sinceMs: 30 * 60_000, csv: false }],
    ['audit web --since 12H', { kind: 'audit', job: 'web', sinceMs: 12 * 3_600_000, csv: false }],
    ['audit web --since 2w', { kind: 'audit', job: 'web', sinceMs: 14 * 86_400_000, csv: false }],
    ['audit web --since 1m', { kind: 'audit', job: 'web', sinceMs: 60_000, csv: false }],
    ['audit web --since 365d', { kind: 'audit', job: 'web', sinceMs: 365 * 86_400_000, csv: false }],
  ])('%j', (text, command) => {
    expect(ok(text)).toEqual(command);
  });

  it('parses what the card controls send (after the @v suffix is removed)', () => {
    expect(ok('release web')).toEqual({ kind: 'release', job: 'web' });
    expect(ok('terminate web')).toEqual({ kind: 'terminate', job: 'web' });
    expect(ok('rollback web 1')).toEqual({ kind: 'rollback', job: 'web', revision: 1 });
    expect(ok('approve web')).toEqual({ kind: 'approve', job: 'web' });
    expect(ok('reject web')).toEqual({ kind: 'reject', job: 'web' });
  });
});

describe('parseBlueGreenCommand: errors', () => {
  const U = BLUEGREEN_USAGE;
  const create = (rest: string) => `create web --env prod --workload web --image web:1 ${rest}`;
  it.each([
    ['create', 'the job name is missing: write /bluegreen create <job> --env <env>', U.create],
    ['create --env prod --workload web --image web:1', 'the job name is missing', U.create],
    ['create Web --env prod --workload web --image web:1', 'job names are lower case: write `web`, not `Web`', U.create],
    ['create we_b --env prod --workload web --image web:1', 'the job name `we_b` may contain only lower-case letters, digits and "-"', U.create],
    ['create -web --env prod --workload web --image web:1', 'unknown flag `-web`', U.create],
    ['create web- --env prod --workload web --image web:1', 'the job name `web-` must start and end with a letter or digit', U.create],
    [`create ${'j'.repeat(64)} --env prod --workload web --image web:1`, 'the job name `jjjj', U.create],
    [`create ${'j'.repeat(64)} --env prod --workload web --image web:1`, 'is longer than 63 characters', U.create],
    ['create web --workload web --image web:1', '`--env <env>` is missing', U.create],
    ['create web --env prod --image web:1', '`--workload <name>` is missing: which workload in prod the job releases, e.g. --workload web', U.create],
    ['create web --env prod --workload web', '`--image <image>` is missing: the first version to bring up', U.create],
    ['create web --env Prod --workload web --image web:1', 'environment names are lower case: write `prod`, not `Prod`', U.create],
    ['create web --env prod --workload Web --image web:1', 'workload names are lower case: write `web`, not `Web`', U.create],
    ['create web --env prod --workload web. --image web:1', 'the workload name `web.` may contain only lower-case letters', U.create],
    ['create web --env prod --workload web --image nginx', 'the image `nginx` has no tag: write nginx:1.27 (any tag), or pin a digest', U.create],
    ['create web --env prod --workload web --image registry:5000/web', 'the image `registry:5000/web` has no tag', U.create],
    ['create web --env prod --workload web --image Nginx:1', 'the image `Nginx:1` must be lower case (only the tag may have capitals)', U.create],
    ['create web --env prod --workload web --image ngi!nx:1', '`ngi!nx:1` is not a valid image reference: expected e.g. registry.example.com/team/web:1.2.3', U.create],
    ['create web --env prod --workload web --image "nginx :1"', 'the image `nginx :1` contains a space', U.create],
    ['create web --env prod --workload web --image ""', 'the image is empty', U.create],
    [`create web --env prod --workload web --image ${'a'.repeat(260)}:1`, 'is 262 characters long: at most 255', U.create],
    ['create web --env prod --workload web nginx:1.27', 'unexpected `nginx:1.27` (to set the image write --image nginx:1.27)', U.create],
    ['create web --env prod web=nginx:1.27', 'unexpected `web=nginx:1.27` (write --workload <name> --image <image>, not <component>=<image>)', U.create],
    ['create web api --env prod --workload web --image web:1', 'unexpected `api`: /bluegreen create takes one job name, then --env, --workload, --image', U.create],
    [create('--replicas 0'), '`--replicas` must be a whole number from 1 to 100 (got `0`)', U.create],
    [create('--replicas 101'), 'from 1 to 100 (got `101`)', U.create],
    [create('--replicas three'), 'from 1 to 100 (got `three`)', U.create],
    [create('--replicas -1'), 'from 1 to 100 (got `-1`)', U.create],
    [create('--replicas 2.5'), 'from 1 to 100 (got `2.5`)', U.create],
    [create('--replicas'), '`--replicas` needs a value: write --replicas N', U.create],
    [create(`--desc "${'d'.repeat(501)}"`), 'the description is 501 characters long: at most 500', U.create],
    [create('--env qa'), '`--env` is given twice', U.create],
    [create('--force'), 'unknown flag `--force`: /bluegreen create takes --env, --workload, --image, --replicas, --desc', U.create],
    [create('--imgae x:1'), 'unknown flag `--imgae` (did you mean --image?)', U.create],
    [create('--desc "unclosed'), 'is never closed: add a closing "', U.create],
    ['update', 'which job? write /bluegreen update <job> <image>, e.g. /bluegreen update web registry.example.com/team/web:1.2.3', U.update],
    ['update web', 'the new image is missing: write /bluegreen update web <image>', U.update],
    ['update web nginx', 'the image `nginx` has no tag', U.update],
    ['update web web=nginx:2', '`web=nginx:2`: /bluegreen update takes just the image, e.g. /bluegreen update web nginx:2', U.update],
    ['update web nginx:2 nginx:3', 'unexpected `nginx:3`: /bluegreen update takes one job name and one image', U.update],
    ['update web nginx:2 --image nginx:3', 'two images, `nginx:2` and `nginx:3`: /bluegreen update takes one', U.update],
    ['update WEB nginx:2', 'job names are lower case: write `web`, not `WEB`', U.update],
    ['update web nginx:2 --now', 'unknown flag `--now`: /bluegreen update takes --image', U.update],
    ['release', 'which job? write /bluegreen release <job>, e.g. /bluegreen release web', U.release],
    ['release web now', 'unexpected `now`: /bluegreen release takes one job name', U.release],
    ['release web --force', 'unknown flag `--force`: /bluegreen release takes --override', U.release],
    ['update web nginx:2 --override', '`--override` needs a reason in quotes, e.g. --override "hotfix for INC-123"', U.update],
    ['release web --override', '`--override` needs a reason in quotes, e.g. --override "hotfix for INC-123"', U.release],
    ['release web --override ""', '`--override` needs a reason in quotes', U.release],
    ['terminate web --override=" "', '`--override` needs a reason in quotes', U.terminate],
    ['rollback web 3 --override', '`--override` needs a reason in quotes', U.rollback],
    [`release web --override "${'o'.repeat(301)}"`, 'the override reason is 301 characters long: at most 300', U.release],
    ['release web --override hotfix for INC-123', 'put the whole reason in quotes: write `--override "hotfix for INC-123"`', U.release],
    ['update web nginx:2 --override hotfix now', 'put the whole reason in quotes: write `--override "hotfix now"`', U.update],
    ['update web --override hotfix now nginx:2', 'put the whole reason in quotes: write `--override "hotfix now nginx:2"`', U.update],
    ['rollback web 3 --override hotfix now', 'put the whole reason in quotes: write `--override "hotfix now"`', U.rollback],
    ['rollback web --override hotfix now 3', 'put the whole reason in quotes', U.rollback],
    ['release web --override a --override=b', '`--override` is given twice', U.release],
    ['release web --overide x', 'unknown flag `--overide` (did you mean --override?)', U.release],
    ['history web --override x', 'unknown flag `--override`: /bluegreen history takes no flags', U.history],
    ['approve', 'which job? write /bluegreen approve <job>, e.g. /bluegreen approve web', U.approve],
    ['approve Web', 'write `web`, not `Web`', U.approve],
    ['approve web api', 'unexpected `api`: /bluegreen approve takes one job name', U.approve],
    ['approve web --override x', 'unknown flag `--override`: /bluegreen approve takes no flags', U.approve],
    ['reject', 'which job? write /bluegreen reject <job>', U.reject],
    ['reject web --reason', '`--reason` needs text in quotes, e.g. --reason "wrong image tag"', U.reject],
    ['reject web --reason ""', '`--reason` needs text in quotes', U.reject],
    [`reject web --reason "${'r'.repeat(301)}"`, 'the reason is 301 characters long: at most 300', U.reject],
    ['reject web wrong tag', 'unexpected `wrong` (to give a reason write --reason "text"): /bluegreen reject takes one job name', U.reject],
    ['reject web --reason wrong tag', 'put the whole reason in quotes: write `--reason "wrong tag"`', U.reject],
    ['audit', 'which job? write /bluegreen audit <job> [--since 7d] [--csv], e.g. /bluegreen audit web --since 7d', U.audit],
    ['audit web api', 'unexpected `api`: /bluegreen audit takes one job name, then --since and --csv', U.audit],
    ['audit web --env prod', ': /bluegreen audit takes --since, --csv', U.audit],
    ['audit web --csv=1', '`--csv` takes no value: write just --csv', U.audit],
    ['audit web --since', '`--since` needs a duration: write <n>m, <n>h, <n>d or <n>w (minutes, hours, days, weeks), from 1m to 365d, e.g. --since 7d', U.audit],
    ['audit web --since week', '`--since` takes a duration, not `week`: write <n>m, <n>h, <n>d or <n>w', U.audit],
    ['audit web --since 1M', '`--since` takes a duration, not `1M`', U.audit],
    ['audit web --since 0d', '`--since 0d` is out of range: write <n>m, <n>h, <n>d or <n>w', U.audit],
    ['audit web --since 366d', '`--since 366d` is out of range', U.audit],
    ['terminate', 'which job? write /bluegreen terminate <job>', U.terminate],
    ['terminate web_1', 'the job name `web_1` may contain only lower-case letters', U.terminate],
    ['rollback', 'which job? write /bluegreen rollback <job> <revision>, e.g. /bluegreen rollback web 3', U.rollback],
    ['rollback web', 'which revision? write /bluegreen rollback web <revision>, e.g. /bluegreen rollback web 3 (`/bluegreen history web` lists them)', U.rollback],
    ['rollback web 0', 'there is no revision 0: revisions start at 1', U.rollback],
    ['rollback web rev0', 'there is no revision 0', U.rollback],
    ['rollback web -3', '`-3` is not a revision: write its number, e.g. 3 (or rev3, #3)', U.rollback],
    ['rollback web v3', '`v3` is not a revision', U.rollback],
    ['rollback web 3.0', '`3.0` is not a revision', U.rollback],
    ['rollback web 1234567890', '`1234567890` is not a revision', U.rollback],
    ['rollback web 3 4', 'unexpected `4`: /bluegreen rollback takes one job name and one revision', U.rollback],
    ['rollback web rev', '`rev` is not a revision', U.rollback],
    ['history', 'which job? write /bluegreen history <job>', U.history],
    ['history web api', 'unexpected `api`: /bluegreen history takes one job name', U.history],
    ['show', 'which job? write /bluegreen show <job>', U.show],
    ['show Web', 'write `web`, not `Web`', U.show],
    ['list prod', 'unexpected `prod` (to filter by environment write --env prod): /bluegreen list takes only --env <env>', U.list],
    ['list --env prod qa', 'unexpected `qa`: /bluegreen list takes only --env <env>', U.list],
    ['list --env', '`--env` needs a value: write --env <env>', U.list],
    ['list --env PROD', 'write `prod`, not `PROD`', U.list],
    ['list --status Paused', 'unknown flag `--status`: /bluegreen list takes --env', U.list],
    ['delete', 'which job? write /bluegreen delete <job>, e.g. /bluegreen delete web', U.delete],
    ['delete web api', 'unexpected `api`: /bluegreen delete takes one job name', U.delete],
    // Delete is neither gated nor frozen, so there is nothing to override.
    ['delete web --override "x"', 'unknown flag `--override`', U.delete],
    ['"unclosed', 'is never closed', BLUEGREEN_USAGE_SUMMARY],
  ])('%j', (text, message, usage) => {
    const result = err(text);
    expect(result.error).toContain(message);
    expect(result.usage).toBe(usage);
  });

  const POINTER = '`/bluegreen help` lists them all.';
  it.each([
    ['deny web', `Unknown subcommand \`deny\`. Did you mean \`/bluegreen reject web\`? ${POINTER}`],
    ['promote web', `Unknown subcommand \`promote\`. Did you mean \`/bluegreen release web\`? ${POINTER}`],
    ['abort web', `Unknown subcommand \`abort\`. Did you mean \`/bluegreen terminate web\`? ${POINTER}`],
    ['remove web', `Unknown subcommand \`remove\`. Did you mean \`/bluegreen delete web\`? ${POINTER}`],
    ['relase web', `Unknown subcommand \`relase\`. Did you mean \`/bluegreen release web\`? ${POINTER}`],
    ['udpate web web:2.0', `Unknown subcommand \`udpate\`. Did you mean \`/bluegreen update web web:2.0\`? ${POINTER}`],
    ['web', `Unknown subcommand \`web\`. To see that job write \`/bluegreen show web\`. ${POINTER}`],
    ['start rt-7k2f9q', `Unknown subcommand \`start\`. Release tasks have a command of their own: \`/release start rt-7k2f9q\`. ${POINTER}`],
    ['Web_1', 'Unknown subcommand `Web_1`. Use one of help, create, update, release, terminate, rollback, delete, approve, reject, audit, history, show, list; `/bluegreen help` shows how.'],
  ])('an unknown subcommand %j gets the one suggestion that fits and no usage dump', (text, message) => {
    expect(err(text)).toEqual({ ok: false, error: message, usage: '' });
  });

  it('shortens long user text quoted in errors', () => {
    expect(err(`${'z'.repeat(5000)} x`).error.length).toBeLessThan(300);
    expect(err(`show ${'z'.repeat(5000)}`).error.length).toBeLessThan(300);
    expect(err(`update web ${'z'.repeat(5000)}:1`).error.length).toBeLessThan(300);
  });
});

describe('help text', () => {
  it('leads with a three-line quick start whose commands parse, then the subcommands by group', () => {
    const lines = BLUEGREEN_HELP.split('\n');
    const quick = lines.indexOf('*Quick start*');
    expect(lines.slice(quick + 1, quick + 4).map((l) => l.slice(0, 3))).toEqual(['1. ', '2. ', '3. ']);
    const typed = [...lines.slice(quick + 1, quick + 4).join('\n').matchAll(/`\/bluegreen ([^`]*)`/g)].map((m) => m[1]!);
    expect(typed.map((t) => t.split(' ')[0])).toEqual(['create', 'update', 'release', 'show']);
    for (const t of typed) expect(parseBlueGreenCommand(t), t).toMatchObject({ ok: true });
    for (const sub of Object.keys(BLUEGREEN_USAGE).filter((k) => k !== 'help')) {
      expect(BLUEGREEN_HELP.match(new RegExp(`\`${sub}\``, 'g')), sub).toHaveLength(1);
    }
    expect(lines.length).toBeLessThanOrEqual(12);
  });

  it('help <subcommand> shows its usage, examples and notes; help all lists every usage form with an example', () => {
    const update = blueGreenHelp('update');
    expect(update).toContain(BLUEGREEN_USAGE.update);
    expect(update).toContain('e.g. `/bluegreen update web registry.example.com/team/web:1.3.0`');
    expect(update).toContain('*Freeze windows*');
    expect(blueGreenHelp('promote')).toContain('*`/bluegreen release`*');
    const all = blueGreenHelp('all');
    for (const line of Object.values(BLUEGREEN_USAGE)) expect(all).toContain(line);
    for (const sub of ['create', 'update', 'release', 'terminate', 'rollback', 'delete', 'approve', 'reject', 'audit', 'history', 'show', 'list']) {
      expect(all).toContain(`e.g. \`/bluegreen ${sub} `);
    }
  });

  it('every example in the full help parses, to its own subcommand', () => {
    const examples = [...blueGreenHelp('all').matchAll(/e\.g\. `\/bluegreen ([^`]*)`/g)].map((m) => m[1]!);
    expect(examples).toHaveLength(13);
    for (const example of examples) {
      expect(parseBlueGreenCommand(example)).toMatchObject({ ok: true, command: { kind: example.split(' ')[0] } });
    }
    for (const form of ['--override "', '--reason "', '--since', '--csv']) expect(examples.some((e) => e.includes(form)), form).toBe(true);
  });

  it('usage summary has every form, one per line', () => {
    expect(BLUEGREEN_USAGE_SUMMARY.split('\n')).toEqual(Object.values(BLUEGREEN_USAGE));
  });
});

describe('fuzz: never throws, always well-formed', () => {
  const label = z.string().regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/);
  const image = z.string().regex(/^\S{1,255}$/);
  const text = z.string().min(1).max(300).refine((v) => v === v.trim());
  const WellFormed = z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('help'), topic: z.string().min(1).optional() }),
    z.strictObject({
      kind: z.literal('create'), job: label, env: label, workload: label, image,
      replicas: z.number().int().min(1).max(100),
      description: z.string().min(1).max(500).optional(),
    }),
    z.strictObject({ kind: z.literal('update'), job: label, image, override: text.optional() }),
    z.strictObject({ kind: z.literal('release'), job: label, override: text.optional() }),
    z.strictObject({ kind: z.literal('terminate'), job: label, override: text.optional() }),
    z.strictObject({ kind: z.literal('rollback'), job: label, revision: z.number().int().min(1).max(999_999_999), override: text.optional() }),
    z.strictObject({ kind: z.literal('approve'), job: label }),
    z.strictObject({ kind: z.literal('reject'), job: label, reason: text.optional() }),
    z.strictObject({
      kind: z.literal('audit'), job: label, sinceMs: z.number().int().min(60_000).max(365 * 86_400_000).optional(), csv: z.boolean(),
    }),
    z.strictObject({ kind: z.literal('history'), job: label }),
    z.strictObject({ kind: z.literal('show'), job: label }),
    z.strictObject({ kind: z.literal('list'), env: label.optional() }),
  ]);
  // '': an unknown subcommand, whose error carries its suggestion instead of a usage.
  const usages = new Set([...Object.values(BLUEGREEN_USAGE), BLUEGREEN_USAGE_SUMMARY, '']);

  function assertWellFormed(text: string): boolean {
    let result: ReturnType<typeof parseBlueGreenCommand>;
    expect(() => (result = parseBlueGreenCommand(text)), JSON.stringify(text)).not.toThrow();
    result = result!;
    if (!result.ok) {
      expect(result.error.trim(), JSON.stringify(text)).not.toBe('');
      expect(result.error).not.toMatch(/undefined|\[object|could not read|NaN/);
      expect(usages.has(result.usage), JSON.stringify(text)).toBe(true);
      return false;
    }
    expect(WellFormed.safeParse(result.command).error, JSON.stringify(text)).toBeUndefined();
    return true;
  }

  const ALPHABET = [
    ...'abcxyzAZ0129 -_.:/@=#"\'`\\\n\t', ...COMMON_ALPHABET,
    '--', ' --env ', ' --workload ', ' --image ', ' --replicas ', ' --desc ', 'rev', '#', 'web', 'web:1.2', '@sha256:',
    'create ', 'update ', 'release ', 'terminate ', 'rollback ', 'history ', 'show ', 'list ', 'help', '__proto__', 'constructor',
  ];
  const VALID = [
    'create web --env prod --workload web --image registry.example.com/team/web:1.2.3 --replicas 3 --desc "storefront"',
    'create api --env=qa --workload=api --image=api:2.0',
    'update web web:1.3', 'update web --image web:1.3', 'release web', 'terminate web', 'rollback web rev3', 'rollback web #12',
    'history web', 'show web', 'list --env prod', 'list', 'help',
    'release web --override "hotfix for INC-123"', 'rollback web 3 --override x', 'approve web', 'reject web --reason "wrong tag"',
    'audit web --since 7d --csv', 'audit web',
  ];
  const { pick, garbage, mutate, random } = fuzzer(ALPHABET, 0xb1e6);

  it('1000 random strings and 1000 mutated valid commands', () => {
    let parsed = 0;
    for (let i = 0; i < 1000; i++) {
      assertWellFormed(garbage());
      if (assertWellFormed(mutate(pick(VALID)))) parsed++;
    }
    expect(parsed).toBeGreaterThan(50); // the mutations must still reach the success paths
  });

  it('odd inputs', () => {
    for (const text of [
      'constructor', '__proto__', 'toString web', 'show __proto__', 'show constructor', 'create constructor --env __proto__',
      'rollback web 1e3', 'rollback web Infinity', 'rollback web 0x10', '"', '\u0000', 'x'.repeat(100_000), `show ${'a-'.repeat(50_000)}`,
      `update web ${'a'.repeat(100_000)}:1`, `update web ${'a.'.repeat(50_000)}b:1`,
      'audit web --since constructor', 'audit web --since 1e3d', 'audit web --since Infinityd', 'audit __proto__',
      `release web --override ${'word '.repeat(20_000)}`, `audit web --since ${'9'.repeat(100_000)}m`,
    ]) {
      assertWellFormed(text);
    }
    assertWellFormed(undefined as unknown as string);
    assertWellFormed(42 as unknown as string);
  });
});
