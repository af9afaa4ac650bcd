/**
 * What the bot's modals share: the shell (callback id, title, submit, Cancel, the metadata as
 * JSON in `private_metadata`) and reading that metadata back on submission. Slack hands
 * `private_metadata` back as the string we gave it, but a submission may come from a modal an
 * older version of the bot opened, so it is checked against a schema and anything else is not ours.
 */
import type { KnownBlock, ModalView } from '@slack/types';
import { z } from 'zod';
import type { EntityKind } from '../../domain/entity.js';

/** A field kept only when it is a non-empty string; anything else reads as absent (cards without a ts send ''). */
const optionalText = z.string().min(1).optional().catch(undefined);

/** What a modal opened from a task or blue-green card carries: the entity and the card it came from. */
export const CardMetadataSchema = z.object({
  kind: z.enum(['task', 'bluegreen'] as const satisfies readonly EntityKind[]),
  id: z.string().min(1),
  /** The card's version at the click (-1: none, so the stale check is skipped as for the click). */
  version: z.int(),
  /** The card's channel, where the control was clicked: the clicker is answered there privately. */
  channel: optionalText,
  /** The card's message ts: with `channel`, the card the submission is checked against like a click. */
  ts: optionalText,
});
export type CardMetadata = z.output<typeof CardMetadataSchema>;

/** The freeze-override modal's: the card's, and the click it stands for. */
export const OverrideMetadataSchema = CardMetadataSchema.extend({
  action: z.string().min(1),
  /** A blue-green rollback's revision (from the select); dropped when not an integer. */
  revision: z.int().optional().catch(undefined),
});
export type OverrideMetadata = z.output<typeof OverrideMetadataSchema>;

/** The Update Version modal's: the job, and the card it was opened from. */
export const UpdateVersionMetadataSchema = z.object({
  job: z.string().min(1),
  /** The card's version at the click (-1: none, so the stale check is skipped as for the click). */
  version: z.int(),
  channel: z.string().min(1),
  ts: z.string(),
});
export type UpdateVersionMetadata = z.output<typeof UpdateVersionMetadataSchema>;

/**
 * Read back a modal's `private_metadata` with `schema`; undefined if it is not ours (missing, not
 * JSON, wrong shape). Unknown keys are dropped, and so are optional fields that did not pass
 * (they come back absent, not as `undefined` keys).
 */
export function readMetadata<S extends z.ZodType<object>>(schema: S, raw: string | undefined): z.output<S> | undefined {
  if (!raw) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) return undefined;
  return Object.fromEntries(Object.entries(parsed.data).filter(([, v]) => v !== undefined)) as z.output<S>;
}

/** What differs between modals: the rest of the shell is the same for all. */
export interface ModalShell {
  callbackId: string;
  title: string;
  submit: string;
  /** Carried through `private_metadata` as JSON; read back with `readMetadata`. */
  metadata: object;
  blocks: KnownBlock[];
}

/** A modal with a Cancel button and `metadata` in `private_metadata`. */
export function modalView({ callbackId, title, submit, metadata, blocks }: ModalShell): ModalView {
  return {
    type: 'modal',
    callback_id: callbackId,
    private_metadata: JSON.stringify(metadata),
    title: { type: 'plain_text', text: title },
    submit: { type: 'plain_text', text: submit },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks,
  };
}
