/**
 * Seeded fuzz input for the grammars: random strings over an alphabet of characters and command
 * fragments, and valid commands with a few random edits. mulberry32, so a failure reproduces.
 */
export interface Fuzzer {
  random(): number;
  pick<T>(items: readonly T[]): T;
  /** A string of up to `maxLength` pieces of the alphabet. */
  garbage(maxLength?: number): string;
  /** `text` with one to four deletions, insertions, replacements or self-copies. */
  mutate(text: string): string;
}

/** Characters every grammar should survive: quotes Slack sends, odd spaces, non-Latin, NUL. */
export const COMMON_ALPHABET = [
  '“', '”', '‘', '’', '„', '—', '–', '\u00a0', '\u200b', 'é', '漢', '🚀', '\u0000', '--',
  ' --override ', ' --reason ', ' --since ', ' --csv', 'approve ', 'reject ', 'audit ', '7d', '12h', '30m', '2w',
];

export function fuzzer(alphabet: readonly string[], seed = 0x5eed): Fuzzer {
  let s = seed;
  const random = () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  return {
    random,
    pick,
    garbage: (maxLength = 40) => Array.from({ length: Math.floor(random() * maxLength) }, () => pick(alphabet)).join(''),
    mutate(text) {
      const chars = Array.from(text);
      for (let n = 1 + Math.floor(random() * 4); n > 0; n--) {
        const at = Math.floor(random() * (chars.length + 1));
        const op = Math.floor(random() * 4);
        if (op === 0) chars.splice(at, 1 + Math.floor(random() * 5));
        else if (op === 1) chars.splice(at, 0, ...Array.from(pick(alphabet)));
        else if (op === 2) chars.splice(at, 1, pick(alphabet));
        else chars.splice(at, 0, ...chars.slice(Math.floor(random() * chars.length)).slice(0, 8));
      }
      return chars.join('');
    },
  };
}
