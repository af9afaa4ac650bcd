/**
 * Subjects: the one word most subcommands act on (a task ID, a job, an environment), read the
 * same way by every table, so "which job?" and "unexpected `x`: … takes one job name" are
 * worded alike everywhere.
 */
import type { z } from 'zod';
import type { BuildInput, SubcommandSpec } from './grammar.js';
import type { ScannedWords } from './tokenize.js';
import { check, fail, unquotedText } from './values.js';

/** What most subcommands act on: one word, such as a task ID or a job name. */
export interface Subject<T> {
  /** "task ID", as in "which task ID?" */
  what: string;
  /** "<task-id>" */
  placeholder: string;
  /** "rt-7k2f9q" */
  example: string;
  /** "one task ID", as in "unexpected `x`: /release show takes one task ID" */
  alone: string;
  /** Checks and normalises the word. */
  schema: z.ZodType<T, string>;
}

/**
 * The subject as the first positional. `then` and `thenExample` extend the "which …?" reply
 * for subcommands that take more after it (`<job> <image>`).
 */
export function readSubject<T>(input: BuildInput, s: ScannedWords, subject: Subject<T>, then = '', thenExample = ''): T {
  const first = s.positionals[0];
  const { command } = input;
  if (!first) fail(`which ${subject.what}? write ${command} ${subject.placeholder}${then}, e.g. ${command} ${subject.example}${thenExample}`);
  return check(subject.schema, first.word);
}

/**
 * The subject as the only positional, with the subcommand's flags around it. A second word
 * where `--reason` is allowed but not given is most likely an unquoted reason, so say so.
 */
function soleSubject<T>(input: BuildInput, subject: Subject<T>): { value: T; scanned: ScannedWords } {
  const scanned = input.scan();
  unquotedText(scanned, 1);
  const value = readSubject(input, scanned, subject);
  const extra = scanned.positionals[1];
  if (extra) {
    const asReason = Object.hasOwn(input.flags, 'reason') && !scanned.values.has('reason');
    input.unexpected(extra.word, asReason ? ' (to give a reason write --reason "text")' : '');
  }
  return { value, scanned };
}

/** A subcommand that takes its subject and flags only: `make` gets the checked subject and the flags. */
export function onSubject<C, T>(
  subject: Subject<T>, row: Omit<SubcommandSpec<C>, 'positionals' | 'build'>, make: (value: T, scanned: ScannedWords) => C,
): SubcommandSpec<C> {
  return {
    ...row,
    positionals: subject.alone,
    build: (input) => {
      const { value, scanned } = soleSubject(input, subject);
      return make(value, scanned);
    },
  };
}
