/**
 * Slash commands. Parse, hand the typed command to the operations layer, and answer in the ack
 * (ephemeral). Slack wants the ack within 3 s: if the store is slow, ack at 2.5 s and send the
 * answer through response_url when it comes.
 */
import type { App, RespondFn } from '@slack/bolt';
import { RELEASE_HELP, parseReleaseCommand } from '../../../commands/release-grammar.js';
import type { Reply } from '../../../operations/release-operations.js';
import type { ListenerDeps } from '../deps.js';

const ACK_BUDGET_MS = 2500;

export function register(app: App, d: ListenerDeps): void {
  app.command('/release', async ({ command, ack, respond }) => {
    const t0 = performance.now();
    const acked = async (reply: { text: string; blocks?: Reply['blocks'] }) => {
      await ack({ response_type: 'ephemeral', text: reply.text, ...(reply.blocks ? { blocks: reply.blocks } : {}) });
      d.metrics.observeAck(performance.now() - t0);
    };
    const parsed = parseReleaseCommand(unescapeSlack(command.text));
    if (!parsed.ok) {
      d.metrics.operation('command', 'invalid');
      return acked({ text: `${parsed.error}\nUsage:\n\`\`\`${parsed.usage}\`\`\`` });
    }
    if (parsed.command.kind === 'help') return acked({ text: RELEASE_HELP });
    const work = d.release.handle(parsed.command, { user: command.user_id, channel: command.channel_id }).catch((err: Error) => {
      d.log.error({ err: err.message, text: command.text }, '/release failed');
      return { text: `Something went wrong on our side and nothing may have been done: ${err.message}`, changed: false } as Reply;
    });
    const reply = await Promise.race([work, delay(ACK_BUDGET_MS)]);
    if (reply) return acked(reply);
    await acked({ text: 'Working on it…' });
    await followUp(respond, await work);
  });
}

/** Slack HTML-escapes &, < and > in command text; the grammar wants what the user typed. */
export function unescapeSlack(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

function delay(ms: number): Promise<undefined> {
  return new Promise((r) => globalThis.setTimeout(r, ms));
}

async function followUp(respond: RespondFn, reply: Reply): Promise<void> {
  await respond({ response_type: 'ephemeral', replace_original: false, text: reply.text, ...(reply.blocks ? { blocks: reply.blocks } : {}) });
}
