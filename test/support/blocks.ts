/**
 * Reading Block Kit messages in tests: every text, the section and context texts, the actions
 * block and its buttons. The actions helpers assert how many actions blocks there are.
 */
import type { ActionsBlock, Button, ContextBlock, KnownBlock, SectionBlock } from '@slack/types';
import { expect } from 'vitest';

/** Every text string anywhere in `node` (section text, fields, context elements, buttons, …), in order. */
export function texts(node: unknown): string[] {
  if (Array.isArray(node)) return node.flatMap(texts);
  if (node && typeof node === 'object') {
    return Object.entries(node).flatMap(([k, v]) => (k === 'text' && typeof v === 'string' ? [v] : texts(v)));
  }
  return [];
}

/** The text of every section that has one, in order (fields left out). */
export function sectionTexts(blocks: KnownBlock[]): string[] {
  return blocks.flatMap((b) => (b.type === 'section' && b.text ? [b.text.text] : []));
}

/** The text of the first section, or '' when there is none. */
export function sectionText(blocks: KnownBlock[]): string {
  const s = blocks.find((b): b is SectionBlock => b.type === 'section');
  return s?.text?.text ?? '';
}

/** The text elements of every context block, in order. */
export function contextTexts(blocks: KnownBlock[]): string[] {
  return blocks
    .filter((b): b is ContextBlock => b.type === 'context')
    .flatMap((b) => b.elements.flatMap((e) => ('text' in e && typeof e.text === 'string' ? [e.text] : [])));
}

/** The actions block, asserting there is at most one; undefined when there is none. */
export function actionsBlock(blocks: KnownBlock[]): ActionsBlock | undefined {
  const found = blocks.filter((b): b is ActionsBlock => b.type === 'actions');
  expect(found.length).toBeLessThanOrEqual(1);
  return found[0];
}

/**
 * The elements of the actions block, as buttons. Asserts there is at most one actions block (none
 * gives no buttons); with `{ required: true }`, asserts there is exactly one.
 */
export function buttons(blocks: KnownBlock[], opts: { required?: boolean } = {}): Button[] {
  const found = blocks.filter((b): b is ActionsBlock => b.type === 'actions');
  if (opts.required) expect(found).toHaveLength(1);
  else expect(found.length).toBeLessThanOrEqual(1);
  return (found[0]?.elements ?? []) as Button[];
}
