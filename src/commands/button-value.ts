/**
 * Card control values. A button's (or select option's) value is the command text it stands for
 * plus the card's version, "start rt-7k2f9q @v3", so a click goes through the same grammar as
 * the typed command and a stale card can be spotted. Written and read here only.
 */
import type { BlueGreenCommand } from './bluegreen-command.js';
import { parseBlueGreenCommand } from './bluegreen-grammar.js';
import type { ReleaseCommand } from './release-command.js';
import { parseReleaseCommand } from './release-grammar.js';
import { actionSpec } from '../domain/actions.js';
import type { EntityKind } from '../domain/entity.js';

/** "<command text> @v<version>": the value of a control on a card at `version`. */
export function buttonValue(text: string, version: number): string {
  return `${text} @v${version}`;
}

/** A control's value → its command text and, when it has one, the card version it was drawn at. */
export function parseButtonValue(value: string): { text: string; version?: number } {
  const m = /^(.*?)\s+@v(\d+)\s*$/.exec(value.trim());
  if (!m) return { text: value.trim() };
  return { text: (m[1] ?? '').trim(), version: Number(m[2]) };
}

/** A control's command, or a refusal: the value is unreadable or not something a card may carry. */
export type ParsedControl<C> = { ok: true; command: C; version?: number } | { ok: false };

/**
 * Only actions whose table row allows a control, approve/reject, and a task's Cancel of its
 * scheduled start may come from a card: a forged or outdated value must not create, list, delete
 * or schedule anything the card never offered.
 */
function cardMayCarry(kind: EntityKind, command: ReleaseCommand | BlueGreenCommand): boolean {
  if (command.kind === 'approve' || command.kind === 'reject' || (kind === 'task' && command.kind === 'cancel')) return true;
  const action = kind === 'task' ? ('action' in command ? command.action : undefined) : command.kind;
  return action !== undefined && actionSpec(kind, action)?.control === true;
}

/** Parse a card control's value with its kind's grammar, keeping only what a card may carry. */
export function parseControl(kind: 'task', value: string): ParsedControl<ReleaseCommand>;
export function parseControl(kind: 'bluegreen', value: string): ParsedControl<BlueGreenCommand>;
export function parseControl(kind: EntityKind, value: string): ParsedControl<ReleaseCommand | BlueGreenCommand>;
export function parseControl(kind: EntityKind, value: string): ParsedControl<ReleaseCommand | BlueGreenCommand> {
  const { text, version } = parseButtonValue(typeof value === 'string' ? value : '');
  const parsed = kind === 'task' ? parseReleaseCommand(text) : parseBlueGreenCommand(text);
  if (!parsed.ok || !cardMayCarry(kind, parsed.command)) return { ok: false };
  return { ok: true, command: parsed.command, ...(version !== undefined ? { version } : {}) };
}
