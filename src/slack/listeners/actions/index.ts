/**
 * Card controls. A button's value (or a select option's value) is the command text it stands
 * for ("start rt-7k2f9q", "rollback web 2") plus the card's version, so a click goes through the
 * same grammar and operations as the command. Success shows on the card and in its thread; a
 * refusal is told privately.
 */
import type { App, BlockAction, ButtonAction, StaticSelectAction } from '@slack/bolt';
import { parseBlueGreenCommand } from '../../../commands/bluegreen-grammar.js';
import type { ParseResult } from '../../../commands/release-command.js';
import { parseReleaseCommand } from '../../../commands/release-grammar.js';
import type { Actor, Reply } from '../../../operations/reply.js';
import { parseButtonValue } from '../../blocks/task-card.js';
import type { ListenerDeps } from '../deps.js';

interface Control<C extends { kind: string }> {
  prefix: RegExp;
  parse: (text: string) => ParseResult<C>;
  /** Commands a card control may carry (never create, list …). */
  allowed: (cmd: C) => boolean;
  handle: (cmd: C, actor: Actor) => Promise<Reply>;
}

export function register(app: App, d: ListenerDeps): void {
  listen(app, d, {
    prefix: /^release\./,
    parse: parseReleaseCommand,
    allowed: (c) => c.kind === 'action',
    handle: (c, a) => d.release.handle(c, a),
  });
  listen(app, d, {
    prefix: /^bluegreen\./,
    parse: parseBlueGreenCommand,
    allowed: (c) => c.kind === 'release' || c.kind === 'terminate' || c.kind === 'rollback',
    handle: (c, a) => d.bluegreen.handle(c, a),
  });
}

function listen<C extends { kind: string }>(app: App, d: ListenerDeps, spec: Control<C>): void {
  app.action<BlockAction<ButtonAction | StaticSelectAction>>(spec.prefix, async ({ ack, body, action }) => {
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
    try {
      const reply = await spec.handle(parsed.command, { user, channel, ...(version !== undefined ? { cardVersion: version } : {}) });
      if (!reply.changed) await d.notifier.ephemeral(channel, user, reply.text);
    } catch (err) {
      d.log.error({ err: (err as Error).message, value: raw }, 'card control failed');
      await d.notifier.ephemeral(channel, user, `Something went wrong on our side: ${(err as Error).message}`);
    }
  });
}
