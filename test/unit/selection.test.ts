import { describe, expect, it } from 'vitest';
import { MAX_TASK_COMPONENTS, applyTag, describeSelection, isPattern, patternMatcher, retag, selectComponents, type SelectionRequest } from '../../src/domain/selection.js';

const DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`;

describe('patterns', () => {
  it('tells a pattern from a name or a name=image', () => {
    expect(isPattern('web-*')).toBe(true);
    expect(isPattern('api-?')).toBe(true);
    expect(isPattern('web')).toBe(false);
    expect(isPattern('web=web:1.*')).toBe(false);
  });

  it('* is any run (none too), ? exactly one character, the rest literal', () => {
    const names = ['web', 'web-1', 'web-10', 'web-a-b', 'api-web', 'webx'];
    expect(names.filter(patternMatcher('web-*'))).toEqual(['web-1', 'web-10', 'web-a-b']);
    expect(names.filter(patternMatcher('web-?'))).toEqual(['web-1']);
    expect(names.filter(patternMatcher('web*'))).toEqual(['web', 'web-1', 'web-10', 'web-a-b', 'webx']);
    expect(names.filter(patternMatcher('*web'))).toEqual(['web', 'api-web']);
    expect(names.filter(patternMatcher('*'))).toEqual(names);
  });
});

describe('retag', () => {
  it.each([
    ['web:1.3', 'web:1.4'],
    ['registry.example.com:5000/team/web:1.3', 'registry.example.com:5000/team/web:1.4'],
    ['registry.example.com:5000/team/web', 'registry.example.com:5000/team/web:1.4'],
    [`web@${DIGEST}`, 'web:1.4'],
    [`registry:5000/web:1.3@${DIGEST}`, 'registry:5000/web:1.4'],
  ])('%s -> %s', (image, expected) => {
    expect(retag(image, '1.4')).toBe(expected);
  });
});

describe('selectComponents', () => {
  const upgrade = (select: SelectionRequest['select'], components: SelectionRequest['components'] = []): SelectionRequest =>
    ({ operation: 'Bulk Upgrade', env: 'prod', components, ...(select ? { select } : {}) });
  const pool = ['api', 'web-1', 'web-2', 'worker'];

  it('without a choice, the listed components as they are', () => {
    expect(selectComponents(upgrade(undefined, [{ name: 'web', image: 'web:2' }]))).toEqual({ ok: true, components: [{ name: 'web', image: 'web:2' }] });
  });

  it('--all: every component, by name', () => {
    expect(selectComponents(upgrade({ all: true, globs: [], tag: '1' }), pool)).toEqual({ ok: true, components: pool.map((name) => ({ name })) });
  });

  it('listed components come first and win over the pattern that also chooses them', () => {
    const r = selectComponents(upgrade({ all: false, globs: ['web-*', 'w*'], tag: '1' }, [{ name: 'web-2' }, { name: 'api' }]), pool);
    expect(r).toEqual({ ok: true, components: [{ name: 'web-2' }, { name: 'api' }, { name: 'web-1' }, { name: 'worker' }] });
  });

  it('refuses a pattern that chooses nothing, naming the environment and the closest names', () => {
    expect(selectComponents(upgrade({ all: false, globs: ['wbe-*', 'web-?'], tag: '1' }), pool)).toEqual({
      ok: false, reasons: ['`wbe-*` matches no component: prod has `api`, `web-1`, `web-2`, `worker`'],
    });
    const many = Array.from({ length: 12 }, (_, i) => `svc-${i}`).sort();
    expect(selectComponents(upgrade({ all: false, globs: ['sv-*'], tag: '1' }), many)).toEqual({
      ok: false, reasons: ['`sv-*` matches no component: prod has 12, the closest `svc-0`, `svc-1`, `svc-10`, `svc-11`, `svc-2`, …'],
    });
  });

  it('refuses --all or a pattern on an empty environment, naming --from for a clone', () => {
    expect(selectComponents(upgrade({ all: true, globs: [], tag: '1' }), [])).toEqual({ ok: false, reasons: ['`--all` chooses nothing: prod has no components'] });
    const clone: SelectionRequest = { operation: 'Bulk Clone', env: 'prod', sourceEnv: 'staging', components: [], select: { all: false, globs: ['web-*'] } };
    expect(selectComponents(clone, [])).toEqual({ ok: false, reasons: ['`web-*` matches no component: staging (`--from`) has no components'] });
  });

  it(`refuses more than ${MAX_TASK_COMPONENTS} components in all`, () => {
    const big = Array.from({ length: MAX_TASK_COMPONENTS + 1 }, (_, i) => `c${i}`);
    const r = selectComponents(upgrade({ all: true, globs: [], tag: '1' }), big);
    expect(r).toEqual({ ok: false, reasons: [expect.stringContaining(`\`--all\` chose 2001 components of prod: a task takes at most ${MAX_TASK_COMPONENTS}`)] });
  });

  it('applyTag gives each component without an image its current one retagged; a missing one stays without', () => {
    const now = new Map([['web', { image: 'reg/web:1.3' }], ['api', undefined]]);
    expect(applyTag([{ name: 'web' }, { name: 'api' }, { name: 'db', image: 'db:2' }], now, '1.4')).toEqual([
      { name: 'web', image: 'reg/web:1.4' }, { name: 'api' }, { name: 'db', image: 'db:2' },
    ]);
  });

  it('describes the choice in words', () => {
    expect(describeSelection(upgrade({ all: true, globs: [], tag: '1.4' }))).toBe('chosen by `--all` in prod; `--tag 1.4` on each current image');
    expect(describeSelection(upgrade({ all: false, globs: [], tag: '1.4' }))).toBe('`--tag 1.4` on each current image');
    expect(describeSelection({ operation: 'Bulk Clone', env: 'prod', sourceEnv: 'staging', select: { all: false, globs: ['web-*'] } }))
      .toBe('chosen by `web-*` in staging (`--from`)');
  });
});
