/**
 * The grammar engine behind the slash commands. A command (/release, /bluegreen) is a table of
 * subcommands, each a SubcommandSpec: its usage, help, flags and a builder that turns the words
 * after the subcommand into the typed command. The engine does everything else the same way
 * for every command: help words, which usage goes with an error, "unknown subcommand" with a
 * suggestion, turning any throw into a refusal, and the help text and usage summary.
 */
import { GrammarError, didYouMean, quoteWord as code, scanWords, tokenize, type FlagSpec, type ScannedWords } from './tokenize.js';
import { fail } from './values.js';

/** Parse result: a command, or what is wrong plus the usage line to show. */
export type ParseResult<C> = { ok: true; command: C } | { ok: false; error: string; usage: string };

/** One bullet of the help: a usage line, what it does, and examples that parse. */
export interface HelpLine {
  /** The usage line it explains, when not the subcommand's whole usage (create has one per operation). */
  usage?: string;
  what: string;
  /** Command text after the slash command, e.g. "start rt-7k2f9q". */
  examples: readonly string[];
}

/** What a builder gets: the words after the subcommand, and ways to read and refuse them. */
export interface BuildInput {
  /** The slash command and subcommand, e.g. "/release start", as messages name it. */
  readonly command: string;
  /** The words after the subcommand, as typed. */
  readonly words: readonly string[];
  /** The subcommand's flags. */
  readonly flags: Readonly<Record<string, FlagSpec>>;
  /** Split `words` (by default all of them) into the subcommand's flags and positionals. */
  scan(words?: readonly string[]): ScannedWords;
  /** Refuse a positional too many: "unexpected `x`<hint>: <command> takes <positionals>". */
  unexpected(word: string, hint?: string): never;
  /** Show `usage` with errors from here on: create narrows to the line of its operation. */
  narrowUsage(usage: string): void;
}

/** One subcommand: a row of a command's table. */
export interface SubcommandSpec<C> {
  /** Usage line(s) shown with its errors. */
  usage: string;
  /** The usage summary's line, when several subcommands share one (`/release start|suspend|… <task-id>`). */
  summary?: string;
  help: readonly HelpLine[];
  /** Flags it takes, as scanWords reads them. */
  flags: Readonly<Record<string, FlagSpec>>;
  /** What it takes besides flags, in words: "one job name", "at most one task ID, then --env …". */
  positionals: string;
  /** Words people reach for instead (from other tools, button labels): "did you mean" names this one. */
  synonyms?: readonly string[];
  /** The typed command; throws GrammarError for what is wrong. */
  build(input: BuildInput): C;
}

/** A slash command's table, and the help text around its subcommands. */
export interface Grammar<C, K extends string = string> {
  /** "/release" */
  command: string;
  /** In the order the help, the usage summary and "use …" list them (after `help`). */
  subcommands: Readonly<Record<K, SubcommandSpec<C>>>;
  /** The help's first line(s), before the subcommands. */
  intro: readonly string[];
  /** The help's lines after the subcommands. */
  notes: readonly string[];
  /**
   * What follows "unknown subcommand `x`": `guess` is the engine's "did you mean" (or "").
   * A table knows what else people type there, such as a task ID, and which hint wins.
   */
  unknownHint?(word: string, guess: string): string;
}

const HELP_WORDS = new Set(['help', '--help', '-h', '?']);
/** Past this, a bullet's examples go on a line of their own, so the bullet stays readable. */
const HELP_LINE_MAX = 200;

const helpUsage = (g: Grammar<unknown>) => `${g.command} help`;
const entries = <C, K extends string>(g: Grammar<C, K>) => Object.entries(g.subcommands) as [K, SubcommandSpec<C>][];

/** Usage per subcommand, `help` first. */
export function usages<C, K extends string>(g: Grammar<C, K>): Record<'help' | K, string> {
  return Object.fromEntries([['help', helpUsage(g)], ...entries(g).map(([name, s]) => [name, s.usage])]);
}

/** Every form, one per line (shared summary lines once): the usage shown when the subcommand is unknown. */
export function usageSummary(g: Grammar<unknown>): string {
  return [...new Set([helpUsage(g), ...entries(g).map(([, s]) => s.summary ?? s.usage)])].join('\n');
}

function bullet(command: string, usage: string, line: HelpLine): string[] {
  const head = `• \`${line.usage ?? usage}\`: ${line.what}`;
  const examples = line.examples.map((e) => `e.g. \`${command} ${e}\``).join('   ');
  if (!examples) return [head];
  return head.length + 3 + examples.length <= HELP_LINE_MAX ? [`${head}   ${examples}`] : [head, `   ${examples}`];
}

/** The reply to `help`: intro, one bullet per usage line with its examples, then the notes. */
export function helpText(g: Grammar<unknown>): string {
  const bullets = entries(g).flatMap(([, s]) => s.help.flatMap((line) => bullet(g.command, s.usage, line)));
  return [...g.intro, ...bullets, `• \`${helpUsage(g)}\`: this message`, ...g.notes].join('\n');
}

function find<C>(g: Grammar<C>, word: string): SubcommandSpec<C> | undefined {
  return Object.hasOwn(g.subcommands, word) ? g.subcommands[word] : undefined;
}

function unknownSubcommand(g: Grammar<unknown>, word: string): never {
  const w = word.toLowerCase();
  const names = ['help', ...Object.keys(g.subcommands)];
  // A synonym is an exact word; fuzzy matching stays on the names, where a near miss is a typo.
  const synonym = entries(g).find(([, s]) => s.synonyms?.includes(w))?.[0];
  const guess = synonym ? ` (did you mean ${synonym}?)` : didYouMean(w, names);
  fail(`unknown subcommand ${code(word)}${g.unknownHint ? g.unknownHint(word, guess) : guess}: use ${names.join(', ')}`);
}

/** Parse a slash command's text by its table (empty text is `help`). Never throws, whatever the input. */
export function parse<C>(g: Grammar<C>, text: string): ParseResult<C | { kind: 'help' }> {
  let usage: string | undefined; // undefined: the usage summary, built only when needed
  try {
    const raw = typeof text === 'string' ? text : '';
    // Chosen before tokenizing, so an unclosed quote is shown with its subcommand's usage too.
    const typed = (raw.trim().split(/\s+/)[0] ?? '').toLowerCase();
    usage = HELP_WORDS.has(typed) ? helpUsage(g) : find(g, typed)?.usage;
    const [first, ...words] = tokenize(raw);
    const name = (first ?? 'help').toLowerCase();
    if (HELP_WORDS.has(name)) return { ok: true, command: { kind: 'help' } };
    const spec = find(g, name) ?? unknownSubcommand(g, first ?? '');
    const command = `${g.command} ${name}`;
    const input: BuildInput = {
      command, words, flags: spec.flags,
      scan: (some = words) => scanWords(some, command, spec.flags),
      unexpected: (word, hint = '') => fail(`unexpected ${code(word)}${hint}: ${command} takes ${spec.positionals}`),
      narrowUsage: (line) => void (usage = line),
    };
    return { ok: true, command: spec.build(input) };
  } catch (err) {
    const error = err instanceof GrammarError ? err.message : `could not read the command (${String(err)})`;
    return { ok: false, error, usage: usage ?? usageSummary(g) };
  }
}
