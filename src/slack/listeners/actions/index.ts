/**
 * Card controls. A button's value (or a select option's value) is the command text it stands
 * for ("start rt-7k2f9q", "rollback web 2") plus the card's version, so a click goes through the
 * same grammar and operations as the command (commands/button-value.ts reads it). A click also
 * says which message it came from, and acts only if that is the card of what its value names.
 * Success shows on the card and in its thread; a refusal is told privately. Reject first asks for
 * a reason in a modal, and so does a control a freeze window stands in the way of (the reason to
 * override it, whose submission runs as the command with `--override "reason"` would); Update
 * Version asks for the image. Link buttons (url buttons) are acked only.
 */
import { createHash } from 'node:crypto';
import type { App, BlockAction, ButtonAction, StaticSelectAction } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { BlueGreenCommand } from '../../../commands/bluegreen-command.js';
import { updateImageProblem } from '../../../commands/bluegreen-builders.js';
import { parseButtonValue, parseControl } from '../../../commands/button-value.js';
import type { ReleaseCommand } from '../../../commands/release-command.js';
import { actionSpec } from '../../../domain/actions.js';
import type { EntityKind } from '../../../domain/entity.js';
import type { Actor, Outcome } from '../../../operations/outcome.js';
import type { CardPlace } from '../../../ports/notifier.js';
import type { SeenRequests } from '../../../store/seen-requests.js';
import {
  OVERRIDE_REASON_ACTION_ID,
  OVERRIDE_REASON_BLOCK_ID,
  OVERRIDE_REASON_CALLBACK_ID,
  approvalActionText,
  overrideReasonModal,
  parseOverrideReasonMetadata,
  REJECT_REASON_ACTION_ID,
  REJECT_REASON_BLOCK_ID,
  REJECT_REASON_CALLBACK_ID,
  parseRejectReasonMetadata,
  rejectReasonModal,
} from '../../blocks/approval.js';
import { UPDATE_VERSION_ACTION_ID } from '../../blocks/job-card.js';
import { LINK_ACTION_PREFIX } from '../../blocks/links.js';
import {
  UPDATE_IMAGE_ACTION_ID,
  UPDATE_IMAGE_BLOCK_ID,
  UPDATE_VERSION_CALLBACK_ID,
  fieldError,
  parseUpdateVersionMetadata,
  updateVersionModal,
} from '../../blocks/update-version.js';
import type { ListenerDeps } from '../deps.js';
import type { OverridePrompt } from '../../../operations/pipeline.js';

/** Where each kind's controls go: its action_id prefix, its operations and its pipeline. */
interface KindControls {
  prefix: RegExp;
  /** Runs a command of this kind (parseControl(kind, …) parsed it with this kind's grammar). */
  handle: (cmd: ReleaseCommand | BlueGreenCommand, actor: Actor) => Promise<Outcome>;
  pipeline: {
    reject(id: string, actor: Actor, reason: string | undefined): Promise<Outcome>;
    rejectRefusal(id: string, actor: Actor): Promise<Outcome | undefined>;
    overridePrompt(id: string, action: never, actor: Actor): Promise<OverridePrompt | undefined>;
  };
  /** The action a control's command asks for, if it is one a freeze window may stop. */
  frozenAction: (cmd: ReleaseCommand | BlueGreenCommand) => FrozenAction | undefined;
  /** The command again, with the override reason from the modal. */
  overridden: (a: FrozenAction, reason: string) => ReleaseCommand | BlueGreenCommand;
}

/** A card control's action on an entity, as the override modal carries it. */
interface FrozenAction {
  id: string;
  action: string;
  revision?: number;
}

const frozenKind = (kind: EntityKind, action: string, id: string, revision?: number): FrozenAction | undefined =>
  actionSpec(kind, action)?.frozen ? { id, action, ...(revision !== undefined ? { revision } : {}) } : undefined;


/**
 * How long a click stays "the same click": a double or triple click, or a click again while the
 * first is handled, lands within this. By then the card shows the new state and its controls
 * carry a new version, so a click with the same value after it is a real stale click.
 */
const REPEAT_CLICK_TTL_S = 10;

export function register(app: App, d: ListenerDeps, seen: SeenRequests): void {
  const kinds: Record<EntityKind, KindControls> = {
    task: {
      prefix: /^release\./, handle: (c, a) => d.release.handle(c as ReleaseCommand, a), pipeline: d.release.pipeline,
      frozenAction: (c) => (c.kind === 'action' && !c.override ? frozenKind('task', c.action, c.taskId) : undefined),
      overridden: (f, override) => ({ kind: 'action', action: f.action as Extract<ReleaseCommand, { kind: 'action' }>['action'], taskId: f.id, override }),
    },
    bluegreen: {
      prefix: /^bluegreen\./, handle: (c, a) => d.bluegreen.handle(c as BlueGreenCommand, a), pipeline: d.bluegreen.pipeline,
      frozenAction: (c) => ('job' in c && !('override' in c && c.override) ? frozenKind('bluegreen', c.kind, c.job, 'revision' in c ? c.revision : undefined) : undefined),
      overridden: (f, override) => ({ kind: f.action, job: f.id, override, ...(f.revision !== undefined ? { revision: f.revision } : {}) }) as BlueGreenCommand,
    },
  };
  for (const kind of Object.keys(kinds) as EntityKind[]) listen(app, d, seen, kind, kinds[kind]);
  // Slack sends a block_actions for a url button too; the browser has opened the link already.
  app.action(new RegExp(`^${LINK_ACTION_PREFIX.replace('.', '\\.')}`), async ({ ack }) => ack());
  registerUpdateVersion(app, d);
  app.view(REJECT_REASON_CALLBACK_ID, async ({ ack, body, view }) => {
    await ack();
    const meta = parseRejectReasonMetadata(view.private_metadata);
    if (!meta?.channel) return void d.log.warn({ metadata: view.private_metadata }, 'reject modal without our metadata');
    const reason = view.state.values[REJECT_REASON_BLOCK_ID]?.[REJECT_REASON_ACTION_ID]?.value ?? undefined;
    // Checked like a click on the card the modal was opened from (metadata without its ts matches no card).
    const card = { channel: meta.channel, ts: meta.ts ?? '' };
    const actor: Actor = { user: body.user.id, channel: meta.channel, card, ...(meta.version >= 0 ? { cardVersion: meta.version } : {}) };
    const outcome = await kinds[meta.kind].pipeline.reject(meta.id, actor, reason);
    if (!outcome.changed) await d.notifier.ephemeral(meta.channel, body.user.id, outcome.text);
  });
  app.view(OVERRIDE_REASON_CALLBACK_ID, async ({ ack, body, view }) => {
    await ack();
    const meta = parseOverrideReasonMetadata(view.private_metadata);
    if (!meta?.channel) return void d.log.warn({ metadata: view.private_metadata }, 'override modal without our metadata');
    const reason = view.state.values[OVERRIDE_REASON_BLOCK_ID]?.[OVERRIDE_REASON_ACTION_ID]?.value?.trim();
    if (!reason) return d.notifier.ephemeral(meta.channel, body.user.id, 'Going ahead anyway takes a reason; nothing was done.');
    // The same command as `--override "reason"`, checked like the click on the card it came from.
    const actor: Actor = { user: body.user.id, channel: meta.channel, card: { channel: meta.channel, ts: meta.ts ?? '' }, ...(meta.version >= 0 ? { cardVersion: meta.version } : {}) };
    const spec = kinds[meta.kind];
    const outcome = await spec.handle(spec.overridden(meta, reason), actor);
    if (!outcome.changed) await d.notifier.ephemeral(meta.channel, body.user.id, outcome.text);
  });
}

/** One key per person and control value (which carries the card's version): a repeat of one click. */
function clickId(user: string, value: string): string {
  return `click:${user}:${createHash('sha256').update(value).digest('hex').slice(0, 32)}`;
}

function listen(app: App, d: ListenerDeps, seen: SeenRequests, kind: EntityKind, spec: KindControls): void {
  app.action<BlockAction<ButtonAction | StaticSelectAction>>(spec.prefix, async ({ ack, body, action, client }) => {
    const t0 = performance.now();
    await ack();
    d.metrics.observeAck(performance.now() - t0);
    const user = body.user.id;
    const card = clickedOn(body);
    const channel = card.channel || body.channel?.id;
    if (!channel) return;
    const raw = action.type === 'static_select' ? action.selected_option?.value : action.value;
    // Its value names the job but no image yet ("update web @v3"): the modal asks for that.
    if (kind === 'bluegreen' && action.action_id === UPDATE_VERSION_ACTION_ID) return askForImage(client, d, body.trigger_id, raw ?? '', { user, channel, card });
    const control = parseControl(kind, raw ?? '');
    if (!control.ok) {
      d.log.warn({ value: raw }, 'card control with an unreadable value');
      return d.notifier.ephemeral(channel, user, 'That control is not one I know; the card may be from an older version of the bot.');
    }
    const actor: Actor = { user, channel, card, ...(control.version !== undefined ? { cardVersion: control.version } : {}) };
    // Slack cannot disable a clicked button: the same click again (a double click, impatience)
    // while the first is handled or just went through is ignored, not answered "out of date".
    const repeat = clickId(user, raw ?? '');
    if (!(await seen.firstTime(repeat, REPEAT_CLICK_TTL_S).catch(() => true))) return;
    let accepted = false;
    try {
      const cmd = control.command;
      if (cmd.kind === 'reject') return await askForReason(client, d, kind, spec, body.trigger_id, 'taskId' in cmd ? cmd.taskId : cmd.job, actor);
      const frozen = spec.frozenAction(cmd);
      if (frozen && (await askForOverride(client, spec, kind, body.trigger_id, frozen, actor))) return;
      const outcome = await spec.handle(cmd, actor);
      accepted = outcome.changed;
      if (!outcome.changed) await d.notifier.ephemeral(channel, user, outcome.text);
    } catch (err) {
      d.log.error({ err: (err as Error).message, value: raw }, 'card control failed');
      await d.notifier.ephemeral(channel, user, `Something went wrong on our side: ${(err as Error).message}`);
    } finally {
      // Only a click that changed something is remembered: after a refusal (told once) or a
      // modal (Reject, which may be closed and opened again) the same click is answered again.
      if (!accepted) await seen.forget(repeat).catch(() => undefined);
    }
  });
}

/**
 * Where a click came from: the message its container names. Every control of ours is on a status
 * card (task-card.ts, job-card.ts; while an approval is pending the Approve and Reject buttons
 * replace the card's own buttons, on the card); thread replies and ephemeral answers carry none.
 * So a control's "own card" is the status card the card store knows for the entity its value
 * names, and a click from any other message (an ephemeral one included), or one that names no
 * message, matches no card: the operations refuse it like a click from another card.
 */
function clickedOn(body: BlockAction): CardPlace {
  const c = body.container;
  return { channel: String(c?.channel_id ?? ''), ts: String(c?.message_ts ?? '') };
}

/**
 * A control a freeze window or failing checks stand in the way of opens a modal for the reason to go ahead anyway,
 * when the clicker may (otherwise the click goes on and is refused as a command would be).
 * True when the modal was opened. Like Reject's, the one place a listener calls Slack itself.
 */
async function askForOverride(client: WebClient, spec: KindControls, kind: EntityKind, triggerId: string, f: FrozenAction, actor: Actor): Promise<boolean> {
  const prompt = await spec.pipeline.overridePrompt(f.id, f.action as never, actor);
  if (!prompt) return false;
  const meta = { kind, id: f.id, action: f.action, ...(f.revision !== undefined ? { revision: f.revision } : {}), version: actor.cardVersion ?? -1, ...(actor.card ? { channel: actor.card.channel, ts: actor.card.ts } : {}) };
  await client.views.open({ trigger_id: triggerId, view: overrideReasonModal(meta, approvalActionText(f, kind), prompt.env, prompt) });
  return true;
}

/**
 * Reject opens a modal for the reason. This is the one Slack call a listener makes itself:
 * a trigger_id lives 3 seconds, too short to trust to a queue.
 */
async function askForReason(client: WebClient, d: ListenerDeps, kind: EntityKind, spec: KindControls, triggerId: string, id: string, actor: Actor): Promise<void> {
  const refusal = await spec.pipeline.rejectRefusal(id, actor);
  if (refusal) return d.notifier.ephemeral(actor.channel, actor.user, refusal.text);
  // With no version on the control, the stale check is skipped as it is for the click itself.
  const view = rejectReasonModal({ kind, id }, actor.cardVersion ?? -1, actor.card);
  await client.views.open({ trigger_id: triggerId, view });
}

/**
 * Update Version opens a modal for the image, after the checks a click gets (its own card, not
 * stale, operator, Healthy), so a refusal comes at the click and not after typing an image.
 */
async function askForImage(client: WebClient, d: ListenerDeps, triggerId: string, value: string, at: Omit<Actor, 'cardVersion'>): Promise<void> {
  const { text, version } = parseButtonValue(value);
  const [verb, name = '', extra] = text.split(/\s+/);
  if (verb !== 'update' || extra !== undefined) {
    d.log.warn({ value }, 'Update Version with an unreadable value');
    return d.notifier.ephemeral(at.channel, at.user, 'That control is not one I know; the card may be from an older version of the bot.');
  }
  const actor: Actor = { ...at, ...(version !== undefined ? { cardVersion: version } : {}) };
  const refusal = await d.bluegreen.pipeline.actRefusal(name, 'update', actor);
  if (refusal) return d.notifier.ephemeral(actor.channel, actor.user, refusal.text);
  const job = await d.bluegreen.job(name);
  if (!job) return;
  const view = updateVersionModal(job, { job: job.name, version: actor.cardVersion ?? -1, channel: actor.channel, ts: actor.card?.ts ?? '' });
  try {
    await client.views.open({ trigger_id: triggerId, view });
  } catch (err) {
    // The trigger lives 3 seconds; past that the person is told how else to do it.
    d.log.warn({ err: (err as Error).message }, 'Update Version modal did not open');
    await d.notifier.ephemeral(actor.channel, actor.user, `The dialog did not open (${(err as Error).message}); \`/bluegreen update ${job.name} <image>\` does the same.`);
  }
}

/**
 * The Update Version modal's submission: the image is checked as `/bluegreen update` checks it and
 * a bad one is answered in the modal (response_action errors); a good one closes the modal and runs
 * `/bluegreen update <job> <image>` as a click on the card it was opened from would.
 */
function registerUpdateVersion(app: App, d: ListenerDeps): void {
  app.view(UPDATE_VERSION_CALLBACK_ID, async ({ ack, body, view }) => {
    const meta = parseUpdateVersionMetadata(view.private_metadata);
    if (!meta) {
      await ack();
      return void d.log.warn({ metadata: view.private_metadata }, 'update-version modal without our metadata');
    }
    const image = (view.state.values[UPDATE_IMAGE_BLOCK_ID]?.[UPDATE_IMAGE_ACTION_ID]?.value ?? '').trim();
    const problem = updateImageProblem(meta.job, image);
    if (problem) return void (await ack({ response_action: 'errors', errors: { [UPDATE_IMAGE_BLOCK_ID]: fieldError(problem) } }));
    await ack();
    const actor: Actor = {
      user: body.user.id, channel: meta.channel, card: { channel: meta.channel, ts: meta.ts }, ...(meta.version >= 0 ? { cardVersion: meta.version } : {}),
    };
    try {
      const outcome = await d.bluegreen.handle({ kind: 'update', job: meta.job, image }, actor);
      if (!outcome.changed) await d.notifier.ephemeral(meta.channel, body.user.id, outcome.text);
    } catch (err) {
      d.log.error({ err: (err as Error).message, job: meta.job }, 'Update Version from the modal failed');
      await d.notifier.ephemeral(meta.channel, body.user.id, `Something went wrong on our side: ${(err as Error).message}`);
    }
  });
}
