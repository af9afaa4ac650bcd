/**
 * The lexical layer shared by every slash-command grammar (/release, /bluegreen): shell-like
 * word splitting, flag recognition and flag/positional scanning, plus the small helpers that
 * keep error messages readable. Slack clients rewrite what people type (smart quotes, em
 * dashes for `--`, NBSP), so those spellings are accepted rather than failing on text that
 * looks right on screen.
 */

import { closest } from '../domain/spelling.js';

/** What is wrong with a command's text, in words a Slack user can act on. */
export class GrammarError extends Error {
  override name = 'GrammarError';
}

// Any member of a family closes a quote opened by any other member: pasted text often
// mixes straight and curly quotes, and the user cannot see the difference.
const DOUBLE_QUOTES = new Set(['"', '\u201c', '\u201d', '\u201e']); // " “ ” „
const SINGLE_QUOTES = new Set(["'", '\u2018', '\u2019']); // ' ‘ ’
// Invisible characters that pasted text carries; inside a word they would corrupt a value.
const INVISIBLE = /[\u200b-\u200d\u2060\ufeff]/u;
const WORD_CHAR = /[\p{L}\p{N}]/u;

type QuoteFamily = 'double' | 'single';

function familyOf(ch: string): QuoteFamily | undefined {
  if (DOUBLE_QUOTES.has(ch)) return 'double';
  if (SINGLE_QUOTES.has(ch)) return 'single';
  return undefined;
}

/**
 * Split `text` into words. Whitespace (including newlines and NBSP) separates words;
 * "…", '…', “…” and ‘…’ group words and are removed; `""` yields an empty word.
 * There are no backslash escapes: put a " inside '…' and a ' inside "…".
 * A single quote between two letters/digits is an apostrophe, not a quote, because
 * Slack turns `don't` into `don’t` and an unquoted description would otherwise fail.
 * @throws GrammarError when a quote is never closed.
 */
export function tokenize(text: string): string[] {
  const chars = Array.from(text);
  const words: string[] = [];
  let word = '';
  let inWord = false; // separate from word !== '' so that "" still produces a word
  let quote: QuoteFamily | undefined;
  let quoteAt = 0;

  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i] as string;
    if (quote) {
      if (familyOf(ch) === quote) quote = undefined;
      else word += ch;
      continue;
    }
    if (INVISIBLE.test(ch)) continue;
    if (/\s/u.test(ch)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      continue;
    }
    inWord = true;
    const family = familyOf(ch);
    const apostrophe =
      family === 'single' && WORD_CHAR.test(chars[i - 1] ?? '') && WORD_CHAR.test(chars[i + 1] ?? '');
    if (family && !apostrophe) {
      quote = family;
      quoteAt = i;
    } else {
      word += ch;
    }
  }

  if (quote) {
    const opener = chars[quoteAt] as string;
    const closer = opener === '"' || opener === "'" ? opener : quote === 'double' ? '\u201d' : '\u2019';
    const shown = chars.slice(quoteAt, quoteAt + 20).join('').replace(/\s+/g, ' ').replace(/`/g, "'");
    const more = chars.length - quoteAt > 20 ? '…' : '';
    throw new GrammarError(`the quote ${opener} in \`${shown}${more}\` is never closed: add a closing ${closer}`);
  }
  if (inWord) words.push(word);
  return words;
}

/** A `--name` or `--name=value` word. */
export interface Flag {
  /** Lower-cased name without dashes. */
  name: string;
  /** Present only for the `--name=value` spelling. */
  value?: string;
}

/**
 * Recognise a long flag. macOS and phones autocorrect `--` into an en or em dash, so
 * `—env` and `–env` count as `--env`. Single-dash words (`-e`, `-1`) are not flags here:
 * negative numbers must stay values; grammars decide how to reject `-e`.
 */
export function parseFlag(word: string): Flag | undefined {
  const m = /^(?:--|[\u2013\u2014])-?([A-Za-z][A-Za-z0-9_-]*)(?:=([\s\S]*))?$/u.exec(word);
  if (!m) return undefined;
  const name = (m[1] as string).toLowerCase();
  return m[2] === undefined ? { name } : { name, value: m[2] };
}

/** User text quoted in an error: Slack inline code that cannot break its backticks or flood the reply. */
export function quoteWord(text: string): string {
  const chars = Array.from(text.replace(/`/g, "'").replace(/\s+/g, ' '));
  if (chars.length === 0) return '`""`';
  return '`' + (chars.length > 60 ? `${chars.slice(0, 59).join('')}…` : chars.join('')) + '`';
}

/** " (did you mean X?)" when `word` is within two edits of an option, else "". */
export function didYouMean(word: string, options: readonly string[]): string {
  const best = closest(word.toLowerCase(), options);
  return best ? ` (did you mean ${best}?)` : '';
}

export interface ScannedWords {
  /** Value flags by name; `at` is the index of the last word consumed (the value's own word). */
  values: Map<string, { value: string; at: number }>;
  switches: Set<string>;
  positionals: { word: string; at: number }[];
}

/**
 * How one flag is read: a value flag's placeholder for messages (`'<env>'`), or `{ missing }`
 * for a value flag whose left-out value deserves a better message than "needs a value"
 * (free text that must be quoted, a duration's accepted forms); null for a switch.
 */
export type FlagSpec = string | { missing: string } | null;

/**
 * Split words into flags (any order, `--name value` or `--name=value`) and positionals.
 * `spec` maps each flag name to its FlagSpec. `command` names the command in messages,
 * e.g. "/release create".
 * @throws GrammarError for an unknown flag, a repeated flag, a missing value or a switch given a value.
 */
export function scanWords(words: readonly string[], command: string, spec: Record<string, FlagSpec>): ScannedWords {
  const out: ScannedWords = { values: new Map(), switches: new Set(), positionals: [] };
  const known = Object.keys(spec).map((k) => `--${k}`);
  const takes = known.length ? `takes ${known.join(', ')}` : 'takes no flags';
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    const flag = parseFlag(word);
    if (!flag || !Object.hasOwn(spec, flag.name)) {
      // `-1` stays a positional so a grammar can say "must be from 1 to 32" instead.
      if (!flag && !/^[-\u2013\u2014]\D/.test(word)) {
        out.positionals.push({ word, at: i });
        continue;
      }
      const guess = didYouMean(`--${flag?.name ?? word.replace(/^\W+/, '')}`, known);
      throw new GrammarError(`unknown flag ${quoteWord(word)}${guess}: ${command} ${takes}`);
    }
    const placeholder = spec[flag.name];
    if (out.values.has(flag.name) || out.switches.has(flag.name)) {
      throw new GrammarError(`\`--${flag.name}\` is given twice: give it once`);
    }
    if (placeholder === null || placeholder === undefined) {
      if (flag.value !== undefined) throw new GrammarError(`\`--${flag.name}\` takes no value: write just --${flag.name}`);
      out.switches.add(flag.name);
      continue;
    }
    let value = flag.value;
    if (value === undefined && i + 1 < words.length && !parseFlag(words[i + 1]!)) value = words[++i];
    if (value === undefined) {
      throw new GrammarError(typeof placeholder === 'string'
        ? `\`--${flag.name}\` needs a value: write --${flag.name} ${placeholder}`
        : placeholder.missing);
    }
    out.values.set(flag.name, { value, at: i });
  }
  return out;
}
