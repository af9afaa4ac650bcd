/**
 * The Update Version modal, opened by the button of that name on a Healthy blue-green card (seed
 * 004: "click Update Version … set the image"). It asks for the new image, prefilled with the one
 * serving so only the tag needs changing; the submission runs `/bluegreen update <job> <image>`.
 * Pure Block Kit builders.
 */
import type { ModalView } from '@slack/types';
import { EXAMPLE_IMAGE } from '../../commands/bluegreen-builders.js';
import { otherSlot, type BlueGreenJob } from '../../domain/bluegreen-job.js';
import { code, esc, section, truncate } from './format.js';
import { modalView, readMetadata, UpdateVersionMetadataSchema, type UpdateVersionMetadata } from './modal.js';

export type { UpdateVersionMetadata } from './modal.js';

export const UPDATE_VERSION_CALLBACK_ID = 'bluegreen-update-version';
export const UPDATE_IMAGE_BLOCK_ID = 'image';
export const UPDATE_IMAGE_ACTION_ID = 'image';
/** ImageSchema's limit. */
const IMAGE_MAX = 255;

export function updateVersionModal(job: BlueGreenJob, meta: UpdateVersionMetadata): ModalView {
  const serving = job.versions[job.active];
  const now = serving ? `It serves rev ${serving.revision}, ${code(truncate(serving.image, 200))}. ` : '';
  const intro =
    `*${esc(truncate(job.name, 80))}* (${esc(job.env)}/${esc(job.workload)}). ${now}` +
    `The new image comes up in *${otherSlot(job.stable)}*, beside it; the job then pauses (Paused) and the traffic ` +
    'stays where it is until someone clicks Release.';
  return modalView({
    callbackId: UPDATE_VERSION_CALLBACK_ID,
    title: 'Update Version',
    submit: 'Update',
    metadata: meta,
    blocks: [
      section(intro),
      {
        type: 'input',
        block_id: UPDATE_IMAGE_BLOCK_ID,
        label: { type: 'plain_text', text: 'New image' },
        hint: { type: 'plain_text', text: `With a tag or a digest, e.g. ${EXAMPLE_IMAGE}` },
        element: {
          type: 'plain_text_input',
          action_id: UPDATE_IMAGE_ACTION_ID,
          max_length: IMAGE_MAX,
          ...(serving && serving.image.length <= IMAGE_MAX ? { initial_value: serving.image } : {}),
          placeholder: { type: 'plain_text', text: EXAMPLE_IMAGE },
        },
      },
    ],
  });
}

/** Read back the modal's `private_metadata`; undefined if it is not ours. */
export function parseUpdateVersionMetadata(raw: string | undefined): UpdateVersionMetadata | undefined {
  return readMetadata(UpdateVersionMetadataSchema, raw);
}

/** A grammar message for the modal's field: Slack shows input errors as plain text, so no backticks. */
export function fieldError(message: string): string {
  return truncate(message.replace(/`/g, ''), 150);
}
