/**
 * The grammar engine behind the slash commands. A command (/release, /bluegreen) is a table of
 * subcommands, each a SubcommandSpec: its usage, help, flags and a builder that turns the words
 * after the subcommand into the typed command. The engine does everything else the same way
 * for every command: help words, which usage goes with an error, "unknown subcommand" with the
 * one suggestion that fits, turning any throw into a refusal, and the help: a short one that leads
 * with a quick start, one per subcommand (`help start`) and everything (`help all`).
 */
import { closest } from '../domain/spelling.js';
import { GrammarError, quoteWord as code, scanWords, tokenize, type FlagSpec, type ScannedWords } from './tokenize.js';
import { fail } from './values.js';

/**
 * Parse result: a command, or what is wrong plus the usage to show with it. An empty `usage` means
 * none: the error already says what to type (an unknown subcommand's suggestion), and dumping
 * every form under it would bury that.
 */
export type ParseResult<C> = { ok: true; command: C } | { ok: false; error: string; usage: string };

/** `help`, optionally about one subcommand (`help start`) or everything (`help all`). */
export interface HelpCommand {
  kind: 'help';
  topic?: string;
}

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

/** A line of the help after the subcommands; `about` names the subcommands whose own help shows it too. */
export interface HelpNote<K extends string = string> {
  text: string;
  about?: readonly K[];
}

/** A slash command's table, and the help text around its subcommands. */
export interface Grammar<C, K extends string = string> {
  /** "/release" */
  command: string;
  /** In the order the help, the usage summary and "use …" list them (after `help`). */
  subcommands: Readonly<Record<K, SubcommandSpec<C>>>;
  /** The help's first line(s), before the subcommands. */
  intro: readonly string[];
  /** Three lines that get a newcomer going (what to type first, next, then to look): the short help leads with them. */
  quickStart: readonly string[];
  /** The short help's index of subcommands, by what they are for; any left out are listed under "Also". */
  groups: readonly { title: string; names: readonly K[] }[];
  /** The full help's lines after the subcommands. */
  notes: readonly HelpNote<K>[];
  /**
   * The sentence that follows "Unknown subcommand `x`." instead of the engine's suggestion, if
   * any: `guess` is the subcommand the engine would suggest. A table knows what else people type
   * there, such as a task ID, and which hint wins.
   */
  unknownHint?(word: string, rest: string, guess: string | undefined): string | undefined;
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

/** Everything: intro, one bullet per usage line with its examples, then the notes (`help all`). */
function fullHelp(g: Grammar<unknown>): string {
  const bullets = entries(g).flatMap(([, s]) => s.help.flatMap((line) => bullet(g.command, s.usage, line)));
  return [...g.intro, ...bullets, `• \`${helpUsage(g)} [<subcommand> | all]\`: help, about one subcommand or all of them`, ...g.notes.map((n) => n.text)].join('\n');
}

/** The short help: intro, quick start, the subcommands by group, and where the details are. */
function shortHelp<K extends string>(g: Grammar<unknown, K>): string {
  const grouped = new Set(g.groups.flatMap((x) => x.names));
  const also = (Object.keys(g.subcommands) as K[]).filter((name) => !grouped.has(name));
  const groups = [...g.groups, ...(also.length ? [{ title: 'Also', names: also }] : [])];
  return [
    ...g.intro,
    '*Quick start*',
    ...g.quickStart,
    '*Subcommands*',
    ...groups.map((x) => `• ${x.title}: ${x.names.map((n) => `\`${n}\``).join(' ')}`),
    `\`${helpUsage(g)} <subcommand>\` shows its usage and examples; \`${helpUsage(g)} all\` shows everything.`,
  ].join('\n');
}

/** One subcommand's help: its bullets with examples, and the notes about it. */
function subcommandHelp<K extends string>(g: Grammar<unknown, K>, name: K): string {
  const spec = g.subcommands[name];
  const notes = g.notes.filter((n) => n.about?.includes(name)).map((n) => n.text);
  return [`*\`${g.command} ${name}\`*`, ...spec.help.flatMap((line) => bullet(g.command, spec.usage, line)), ...notes, `\`${helpUsage(g)}\` lists the other subcommands.`].join('\n');
}

/** The subcommand `word` names: itself, a synonym of it (exact), or a near miss of its name. */
function suggestion<K extends string>(g: Grammar<unknown, K>, word: string): K | 'help' | undefined {
  const w = word.toLowerCase();
  // A synonym is an exact word; fuzzy matching stays on the names, where a near miss is a typo.
  const synonym = entries(g).find(([, s]) => s.synonyms?.includes(w))?.[0];
  return synonym ?? (closest(w, ['help', ...Object.keys(g.subcommands)]) as K | 'help' | undefined);
}

/**
 * The reply to `help` (no topic: the short help), `help <subcommand>` (a synonym or near miss
 * finds it too) or `help all`.
 */
export function helpText<K extends string>(g: Grammar<unknown, K>, topic?: string): string {
  if (topic === undefined || topic === '') return shortHelp(g);
  const t = topic.toLowerCase();
  if (t === 'all') return fullHelp(g);
  const name = find(g, t) ? (t as K) : suggestion(g, t);
  if (name && name !== 'help') return `${name === t ? '' : `(${code(topic)} is not a subcommand; showing ${name}.)\n`}${subcommandHelp(g, name)}`;
  return `${code(topic)} is not a ${g.command} subcommand.\n${shortHelp(g)}`;
}

function find<C>(g: Grammar<C>, word: string): SubcommandSpec<C> | undefined {
  return Object.hasOwn(g.subcommands, word) ? g.subcommands[word] : undefined;
}

/** A refusal that carries no usage: its message says what to type instead. */
class UnknownSubcommand extends GrammarError {}

/**
 * "Unknown subcommand `strat`. Did you mean `/release start rt-1`?": the one suggestion that fits,
 * with the rest of what was typed, and a pointer to the help; without a suggestion, the names.
 */
function unknownSubcommand(g: Grammar<unknown>, word: string, rest: string): never {
  const guess = suggestion(g, word);
  const hint = g.unknownHint?.(word, rest, guess);
  const head = `Unknown subcommand ${code(word)}.`;
  const pointer = `\`${helpUsage(g)}\` lists them all.`;
  if (hint) throw new UnknownSubcommand(`${head} ${hint} ${pointer}`);
  if (guess) throw new UnknownSubcommand(`${head} Did you mean ${code(`${g.command} ${guess}${rest ? ` ${rest}` : ''}`)}? ${pointer}`);
  const names = ['help', ...Object.keys(g.subcommands)];
  throw new UnknownSubcommand(`${head} Use one of ${names.join(', ')}; \`${helpUsage(g)}\` shows how.`);
}

/** Parse a slash command's text by its table (empty text is `help`). Never throws, whatever the input. */
export function parse<C>(g: Grammar<C>, text: string): ParseResult<C | HelpCommand> {
  let usage: string | undefined; // undefined: the usage summary, built only when needed
  try {
    const raw = typeof text === 'string' ? text : '';
    // Chosen before tokenizing, so an unclosed quote is shown with its subcommand's usage too.
    const typed = (raw.trim().split(/\s+/)[0] ?? '').toLowerCase();
    usage = HELP_WORDS.has(typed) ? helpUsage(g) : find(g, typed)?.usage;
    const [first, ...words] = tokenize(raw);
    const name = (first ?? 'help').toLowerCase();
    if (HELP_WORDS.has(name)) return { ok: true, command: { kind: 'help', ...(words[0] ? { topic: words[0] } : {}) } };
    const spec = find(g, name) ?? unknownSubcommand(g, first ?? '', raw.trim().slice((raw.trim().split(/\s+/)[0] ?? '').length).trim());
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
    return { ok: false, error, usage: err instanceof UnknownSubcommand ? '' : (usage ?? usageSummary(g)) };
  }
}
