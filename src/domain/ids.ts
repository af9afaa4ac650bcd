import { randomInt } from 'node:crypto';

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

/** Short, copyable task IDs: rt- and six base-36 characters (2.1 billion of them). */
export function newTaskId(): string {
  let s = 'rt-';
  for (let i = 0; i < 6; i++) s += ALPHABET[randomInt(ALPHABET.length)];
  return s;
}
