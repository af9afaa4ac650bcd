import { describe, it, expect } from 'vitest';
import { GrammarError, didYouMean, parseFlag, quoteWord, scanWords, tokenize } from '../../src/commands/tokenize.js';

describe('tokenize', () => {
  it.each([
    ['', []],
    ['   \n\t ', []],
    ['start rt-7k2f9q', ['start', 'rt-7k2f9q']],
    ['  a \t b\nc  ', ['a', 'b', 'c']],
    ['a\u00a0b', ['a', 'b']], // NBSP, which Slack clients insert
    ['--desc "two words" x', ['--desc', 'two words', 'x']],
    ["--desc 'two words' x", ['--desc', 'two words', 'x']],
    ['--desc=“smart quotes”', ['--desc=smart quotes']],
    ['--desc ‘single smart’', ['--desc', 'single smart']],
    ['"mixed straight and curly”', ['mixed straight and curly']],
    ['„German style“', ['German style']],
    ['a"b c"d', ['ab cd']], // quotes join onto the word around them, as in a shell
    ['"" x', ['', 'x']],
    ["''", ['']],
    ['"it\'s fine"', ["it's fine"]],
    ["'say \"hi\"'", ['say "hi"']],
    ["don't stop", ["don't", 'stop']],
    ['Bob’s fix', ['Bob’s', 'fix']],
    ['"line one\nline two"', ['line one\nline two']],
    ['"  padded  "', ['  padded  ']],
    ['we\u200bb=nginx:1', ['web=nginx:1']], // zero-width space from pasted text
    ['🚀 漢字', ['🚀', '漢字']],
  ])('%j -> %j', (text, words) => {
    expect(tokenize(text)).toEqual(words);
  });

  it.each([
    ['--desc "no end', '"'],
    ["'open", "'"],
    ['--desc “smart open', '”'],
    ['x ‘smart single', '’'],
    ["it's 'x", "'"],
  ])('rejects the unclosed quote in %j', (text, closer) => {
    expect(() => tokenize(text)).toThrow(GrammarError);
    expect(() => tokenize(text)).toThrow(/is never closed: add a closing/);
    expect(() => tokenize(text)).toThrow(new RegExp(`add a closing \\${closer}$`));
  });

  it('quotes at most 20 characters of the unclosed text', () => {
    try {
      tokenize(`"${'a'.repeat(100)}`);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(GrammarError);
      expect((err as Error).message).toBe(`the quote " in \`"${'a'.repeat(19)}…\` is never closed: add a closing "`);
      expect((err as Error).name).toBe('GrammarError');
    }
  });
});

describe('parseFlag', () => {
  it.each([
    ['--env', { name: 'env' }],
    ['--ENV', { name: 'env' }],
    ['--env=prod', { name: 'env', value: 'prod' }],
    ['--desc=a=b', { name: 'desc', value: 'a=b' }],
    ['--env=', { name: 'env', value: '' }],
    ['—env', { name: 'env' }], // em dash from macOS autocorrect
    ['–best-effort', { name: 'best-effort' }], // en dash
    ['---env', { name: 'env' }],
  ])('%j is a flag', (word, flag) => {
    expect(parseFlag(word)).toEqual(flag);
  });

  it.each(['env', '-e', '-1', '--', '--1', '-- x', 'web=nginx:1', '—', ''])('%j is not a flag', (word) => {
    expect(parseFlag(word)).toBeUndefined();
  });
});

describe('scanWords', () => {
  const spec = { env: '<env>', verbose: null, count: 'N' };

  it('separates flags from positionals in any order', () => {
    const s = scanWords(['a', '--env', 'prod', 'b', '--verbose', '--count=3', 'c'], '/x', spec);
    expect(s.positionals).toEqual([
      { word: 'a', at: 0 },
      { word: 'b', at: 3 },
      { word: 'c', at: 6 },
    ]);
    expect(Object.fromEntries(s.values)).toEqual({ env: { value: 'prod', at: 2 }, count: { value: '3', at: 5 } });
    expect([...s.switches]).toEqual(['verbose']);
  });

  it('takes a negative number as a value', () => {
    expect(scanWords(['--count', '-1'], '/x', spec).values.get('count')?.value).toBe('-1');
  });

  it.each([
    [['--nope'], 'unknown flag `--nope`: /x takes --env, --verbose, --count'],
    [['--evn', 'x'], 'unknown flag `--evn` (did you mean --env?): /x takes --env, --verbose, --count'],
    [['-e', 'x'], 'unknown flag `-e` (did you mean --env?): /x takes --env, --verbose, --count'],
    [['--env', 'a', '--env=b'], '`--env` is given twice: give it once'],
    [['--verbose=yes'], '`--verbose` takes no value: write just --verbose'],
    [['--env'], '`--env` needs a value: write --env <env>'],
    [['--env', '--verbose'], '`--env` needs a value: write --env <env>'],
  ])('%j fails with %j', (words, message) => {
    expect(() => scanWords(words, '/x', spec)).toThrow(new GrammarError(message));
  });

  it('uses a flag\'s own message when its value is missing', () => {
    const withMessage = { ...spec, why: { missing: '`--why` needs a reason in quotes' } };
    expect(() => scanWords(['--why'], '/x', withMessage)).toThrow(new GrammarError('`--why` needs a reason in quotes'));
    expect(() => scanWords(['--why', '--verbose'], '/x', withMessage)).toThrow(new GrammarError('`--why` needs a reason in quotes'));
    expect(scanWords(['--why', 'two words', 'x'], '/x', withMessage).values.get('why')).toEqual({ value: 'two words', at: 1 });
    expect(scanWords(['--why='], '/x', withMessage).values.get('why')).toEqual({ value: '', at: 0 });
  });

  it('says when a command takes no flags', () => {
    expect(() => scanWords(['--force'], '/release start', {})).toThrow('unknown flag `--force`: /release start takes no flags');
  });
});

describe('quoteWord and didYouMean', () => {
  it('keeps quoted user text inside its backticks and short', () => {
    expect(quoteWord('web')).toBe('`web`');
    expect(quoteWord('')).toBe('`""`');
    expect(quoteWord('a`b\nc')).toBe("`a'b c`");
    expect(quoteWord('x'.repeat(61))).toBe('`' + 'x'.repeat(59) + '…`');
  });

  it('suggests only close matches', () => {
    expect(didYouMean('stat', ['start', 'show'])).toBe(' (did you mean start?)');
    expect(didYouMean('LS', ['list'])).toBe(' (did you mean list?)');
    expect(didYouMean('banana', ['start', 'show'])).toBe('');
    expect(didYouMean('x'.repeat(10_000), ['start'])).toBe('');
  });
});
