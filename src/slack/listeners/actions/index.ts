/**
 * Card controls. A button's value (or a select option's value) is the command text it stands
 * for ("start rt-7k2f9q", "rollback web 2") plus the card's version, so a click goes through the
 * same grammar and operations as the command. Success shows on the card and in its thread; a
 * refusal is told privately. Reject first asks for a reason in a modal.
 */
import type { App, BlockAction, ButtonAction, StaticSelectAction } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { parseBlueGreenCommand } from '../../../commands/bluegreen-grammar.js';
import type { ParseResult } from '../../../commands/release-command.js';
import { parseReleaseCommand } from '../../../commands/release-grammar.js';
import type { Actor, Reply } from '../../../operations/reply.js';
import {
  REJECT_REASON_ACTION_ID,
  REJECT_REASON_BLOCK_ID,
  REJECT_REASON_CALLBACK_ID,
  parseRejectReasonMetadata,
  rejectReasonModal,
} from '../../blocks/approval.js';
import { parseButtonValue } from '../../blocks/task-card.js';
import type { ListenerDeps } from '../deps.js';

interface Control<C extends { kind: string }> {
  kind: 'task' | 'bluegreen';
  prefix: RegExp;
  parse: (text: string) => ParseResult<C>;
  /** Commands a card control may carry (never create, list …). */
  allowed: (cmd: C) => boolean;
  /** The entity a reject is about, when the control is Reject. */
  rejecting: (cmd: C) => string | undefined;
  rejectRefusal: (id: string, actor: Actor) => Promise<Reply | undefined>;
  handle: (cmd: C, actor: Actor) => Promise<Reply>;
}

export function register(app: App, d: ListenerDeps): void {
  listen(app, d, {
    kind: 'task',
    prefix: /^release\./,
    parse: parseReleaseCommand,
    allowed: (c) => c.kind === 'action' || c.kind === 'approve' || c.kind === 'reject',
    rejecting: (c) => (c.kind === 'reject' ? c.taskId : undefined),
    rejectRefusal: (id, a) => d.release.rejectRefusal(id, a),
    handle: (c, a) => d.release.handle(c, a),
  });
  listen(app, d, {
    kind: 'bluegreen',
    prefix: /^bluegreen\./,
    parse: parseBlueGreenCommand,
    allowed: (c) => ['release', 'terminate', 'rollback', 'approve', 'reject'].includes(c.kind),
    rejecting: (c) => (c.kind === 'reject' ? c.job : undefined),
    rejectRefusal: (id, a) => d.bluegreen.rejectRefusal(id, a),
    handle: (c, a) => d.bluegreen.handle(c, a),
  });
  app.view(REJECT_REASON_CALLBACK_ID, async ({ ack, body, view }) => {
    await ack();
    const meta = parseRejectReasonMetadata(view.private_metadata);
    if (!meta?.channel) return void d.log.warn({ metadata: view.private_metadata }, 'reject modal without our metadata');
    const reason = view.state.values[REJECT_REASON_BLOCK_ID]?.[REJECT_REASON_ACTION_ID]?.value ?? undefined;
    const actor: Actor = { user: body.user.id, channel: meta.channel, ...(meta.version >= 0 ? { cardVersion: meta.version } : {}) };
    const reply =
      meta.kind === 'task'
        ? await d.release.handle({ kind: 'reject', taskId: meta.id, ...(reason ? { reason } : {}) }, actor)
        : await d.bluegreen.handle({ kind: 'reject', job: meta.id, ...(reason ? { reason } : {}) }, actor);
    if (!reply.changed) await d.notifier.ephemeral(meta.channel, body.user.id, reply.text);
  });
}

function listen<C extends { kind: string }>(app: App, d: ListenerDeps, spec: Control<C>): void {
  app.action<BlockAction<ButtonAction | StaticSelectAction>>(spec.prefix, async ({ ack, body, action, client }) => {
    const t0 = performance.now();
    await ack();
    d.metrics.observeAck(performance.now() - t0);
    const user = body.user.id;
    const channel = body.channel?.id ?? body.container?.channel_id;
    if (!channel) return;
    const raw = action.type === 'static_select' ? action.selected_option?.value : action.value;
    const { text, version } = parseButtonValue(raw ?? '');
    const parsed = spec.parse(text);
    if (!parsed.ok || !spec.allowed(parsed.command)) {
      d.log.warn({ value: raw }, 'card control with an unreadable value');
      return d.notifier.ephemeral(channel, user, 'That control is not one I know; the card may be from an older version of the bot.');
    }
    const actor: Actor = { user, channel, ...(version !== undefined ? { cardVersion: version } : {}) };
    try {
      const rejecting = spec.rejecting(parsed.command);
      if (rejecting) return await askForReason(client, d, spec, body.trigger_id, rejecting, actor);
      const reply = await spec.handle(parsed.command, actor);
      if (!reply.changed) await d.notifier.ephemeral(channel, user, reply.text);
    } catch (err) {
      d.log.error({ err: (err as Error).message, value: raw }, 'card control failed');
      await d.notifier.ephemeral(channel, user, `Something went wrong on our side: ${(err as Error).message}`);
    }
  });
}

/**
 * Reject opens a modal for the reason. This is the one Slack call a listener makes itself:
 * a trigger_id lives 3 seconds, too short to trust to a queue.
 */
async function askForReason<C extends { kind: string }>(
  client: WebClient,
  d: ListenerDeps,
  spec: Control<C>,
  triggerId: string,
  id: string,
  actor: Actor,
): Promise<void> {
  const refusal = await spec.rejectRefusal(id, actor);
  if (refusal) return d.notifier.ephemeral(actor.channel, actor.user, refusal.text);
  // With no version on the control, the stale check is skipped as it is for the click itself.
  const view = rejectReasonModal({ kind: spec.kind, id }, actor.cardVersion ?? -1, actor.channel);
  await client.views.open({ trigger_id: triggerId, view });
}
