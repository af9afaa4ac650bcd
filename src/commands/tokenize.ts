/**
 * Shell-like word splitting for slash-command text, shared by every command grammar.
 * Slack clients rewrite what people type (smart quotes, em dashes for `--`, NBSP), so this
 * accepts those spellings too rather than failing on text that looks right on screen.
 */

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
