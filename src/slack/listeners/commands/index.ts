/**
 * Slash commands. Parse, hand the typed command to its operations, and answer in the ack
 * (ephemeral). Slack wants the ack within 3 s: if the store is slow, ack at 2.5 s and send the
 * answer through response_url when it comes.
 */
import type { App, RespondFn } from '@slack/bolt';
import { blueGreenHelp, parseBlueGreenCommand } from '../../../commands/bluegreen-grammar.js';
import type { ParseResult } from '../../../commands/release-command.js';
import { parseReleaseCommand, releaseHelp } from '../../../commands/release-grammar.js';
import type { Actor, Outcome } from '../../../operations/outcome.js';
import { render, type Rendered } from '../../render.js';
import type { ListenerDeps } from '../deps.js';

const ACK_BUDGET_MS = 2500;

interface SlashCommand<C extends { kind: string }> {
  name: string;
  parse: (text: string) => ParseResult<C>;
  /** The help: short, about one subcommand, or all (`topic` is the word after `help`). */
  help: (topic?: string) => string;
  handle: (cmd: C, actor: Actor) => Promise<Outcome>;
}

export function register(app: App, d: ListenerDeps): void {
  listen(app, d, {
    name: '/release',
    parse: parseReleaseCommand,
    help: releaseHelp,
    handle: (c, a) => (c.kind === 'audit' ? d.audit.release(c, a) : d.release.handle(c, a)),
  });
  listen(app, d, {
    name: '/bluegreen',
    parse: parseBlueGreenCommand,
    help: blueGreenHelp,
    handle: (c, a) => (c.kind === 'audit' ? d.audit.bluegreen(c, a) : d.bluegreen.handle(c, a)),
  });
}

function listen<C extends { kind: string }>(app: App, d: ListenerDeps, spec: SlashCommand<C>): void {
  app.command(spec.name, async ({ command, ack, respond }) => {
    const t0 = performance.now();
    const acked = async (reply: Rendered) => {
      await ack({ response_type: 'ephemeral', text: reply.text, ...(reply.blocks ? { blocks: reply.blocks } : {}) });
      d.metrics.observeAck(performance.now() - t0);
    };
    const parsed = spec.parse(unescapeSlack(command.text));
    if (!parsed.ok) {
      d.metrics.operation('command', 'invalid');
      // No usage under an unknown subcommand: its one suggestion is the answer.
      return acked({ text: parsed.usage ? `${parsed.error}\nUsage:\n\`\`\`${parsed.usage}\`\`\`` : parsed.error });
    }
    if (parsed.command.kind === 'help') return acked({ text: spec.help((parsed.command as { topic?: string }).topic) });
    const work = spec.handle(parsed.command, { user: command.user_id, channel: command.channel_id }).catch((err: Error) => {
      d.log.error({ err: err.message, command: spec.name, text: command.text }, 'command failed');
      return { text: `Something went wrong on our side and nothing may have been done: ${err.message}`, changed: false } as Outcome;
    });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), ACK_BUDGET_MS)));
    const reply = await Promise.race([work, late]);
    clearTimeout(timer);
    if (reply) return acked(render(reply, new Date()));
    await acked({ text: 'Working on it…' });
    await followUp(respond, render(await work, new Date()));
  });
}

/** Slack HTML-escapes &, < and > in command text; the grammar wants what the user typed. */
export function unescapeSlack(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

async function followUp(respond: RespondFn, reply: Rendered): Promise<void> {
  await respond({ response_type: 'ephemeral', replace_original: false, text: reply.text, ...(reply.blocks ? { blocks: reply.blocks } : {}) });
}
