/**
 * Card buttons. A button's value is the command text it stands for ("start rt-7k2f9q") plus the
 * card's task version, so a click goes through the same grammar and operations as the command.
 * Success shows on the card and in its thread; a refusal is told privately.
 */
import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { parseReleaseCommand } from '../../../commands/release-grammar.js';
import { parseButtonValue } from '../../blocks/task-card.js';
import type { ListenerDeps } from '../deps.js';

export function register(app: App, d: ListenerDeps): void {
  app.action<BlockAction<ButtonAction>>(/^release\./, async ({ ack, body, action }) => {
    const t0 = performance.now();
    await ack();
    d.metrics.observeAck(performance.now() - t0);
    const user = body.user.id;
    const channel = body.channel?.id ?? body.container?.channel_id;
    const { text, version } = parseButtonValue(action.value ?? '');
    const parsed = parseReleaseCommand(text);
    if (!channel) return;
    if (!parsed.ok || parsed.command.kind !== 'action') {
      d.log.warn({ value: action.value }, 'button with an unreadable value');
      return d.notifier.ephemeral(channel, user, 'That button is not one I know; the card may be from an older version of the bot.');
    }
    try {
      const reply = await d.release.handle(parsed.command, { user, channel, ...(version !== undefined ? { cardVersion: version } : {}) });
      if (!reply.changed) await d.notifier.ephemeral(channel, user, reply.text);
    } catch (err) {
      d.log.error({ err: (err as Error).message, value: action.value }, 'button failed');
      await d.notifier.ephemeral(channel, user, `Something went wrong on our side: ${(err as Error).message}`);
    }
  });
}
