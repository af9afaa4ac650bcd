/**
 * `/release plan …`: what create would do, one line per component (what runs now -> the
 * target), shown privately. Nothing was stored. Pure Block Kit builder.
 */
import type { KnownBlock } from '@slack/types';
import type { CreateRequest } from '../../commands/release-command.js';
import { planLine } from '../../domain/plan.js';
import type { ComponentState } from '../../domain/release-task.js';
import { describeSelection } from '../../domain/selection.js';
import { MAX_BLOCKS, code, context, esc, header, packLines, plural, section } from './format.js';

/** "`web` registry/web:1.3 (2 replicas) -> registry/web:1.4" */
export function planComponentLine(c: ComponentState): string {
  return `${code(c.name)} ${esc(planLine(c) ?? '')}`;
}

export function planView(req: CreateRequest, components: ComponentState[]): { text: string; blocks: KnownBlock[] } {
  const changes = components.filter((c) => c.status !== 'No change').length;
  const where = req.sourceEnv ? `${req.env} (from ${req.sourceEnv})` : req.env;
  const summary = `Plan for ${req.name}: ${req.operation} in ${where}, ${changes.toLocaleString('en-US')} of ${plural(components.length, 'component')} change`;
  const blocks: KnownBlock[] = [
    header(`Plan: ${req.name}`),
    context(`${esc(summary)}. Nothing was created: \`/release create\` with the same arguments creates it.`),
  ];
  if (req.select) blocks.push(context(`Components ${esc(describeSelection(req))}.`));
  blocks.push(...packLines(components.map(planComponentLine), MAX_BLOCKS - blocks.length).map(section));
  return { text: summary, blocks };
}
