/** chat.*: messages and thread replies, their edits, and ephemeral messages. */
import { messageRefusal, refusalBody } from './block-kit.js';
import { BOT_ID, BOT_USER, TEAM_ID, fail, ok, str, type Args, type Handlers, type Reply, type StandinState } from './state.js';
import type { FakeMessage, StandinEphemeral } from './types.js';

/** Slack's refusal of the message in `a` (Block Kit, text fallback, length), if it refuses it. */
function refused(a: Args): Reply | undefined {
  const r = messageRefusal(a);
  return r && { body: refusalBody(r) };
}

/**
 * `chat.postMessage`, `chat.update` and `chat.postEphemeral` on `s`. Each checks the message as
 * Slack does (./block-kit.ts): invalid Block Kit, a missing `text` fallback or a text over 40,000
 * characters is refused and nothing is posted.
 */
export function chatHandlers(s: StandinState): Handlers {
  return {
    'chat.postMessage': (a) => {
      const channel = str(a.channel);
      if (!channel) return fail('channel_not_found');
      const refusal = refused(a);
      if (refusal) return refusal;
      const ts = s.nextTs();
      const threadTs = str(a.thread_ts);
      const message: FakeMessage = { type: 'message', ts, channel, user: BOT_USER, bot_id: BOT_ID };
      if (typeof a.text === 'string') message.text = a.text;
      if (Array.isArray(a.blocks)) message.blocks = a.blocks;
      if (Array.isArray(a.attachments)) message.attachments = a.attachments;
      if (a.metadata !== undefined) message.metadata = a.metadata;
      if (threadTs) {
        message.thread_ts = threadTs;
        s.replies(channel, threadTs).push(message);
      } else {
        s.topLevel(channel).push(message);
      }
      s.events.emit('message', { ...message });
      const { channel: _c, ...shown } = message;
      return ok({ channel, ts, message: { ...shown, team: TEAM_ID } });
    },

    'chat.getPermalink': (a) => {
      const channel = str(a.channel);
      const ts = str(a.message_ts);
      if (!channel) return fail('channel_not_found');
      if (!ts || !s.findMessage(channel, ts)) return fail('message_not_found');
      return ok({ channel, permalink: `https://switchyard-test.slack.com/archives/${channel}/p${ts.replace('.', '')}` });
    },

    'chat.update': (a) => {
      const channel = str(a.channel);
      const ts = str(a.ts);
      if (!channel) return fail('channel_not_found');
      if (!ts) return fail('message_not_found');
      const message = s.findMessage(channel, ts);
      if (!message) return fail('message_not_found');
      const refusal = refused(a);
      if (refusal) return refusal;
      if (typeof a.text === 'string') message.text = a.text;
      else delete message.text;
      if (Array.isArray(a.blocks)) message.blocks = a.blocks;
      else delete message.blocks;
      if (Array.isArray(a.attachments)) message.attachments = a.attachments;
      s.events.emit('message', { ...message, edited: true });
      return ok({ channel, ts, text: message.text ?? '', message: { text: message.text ?? '', blocks: message.blocks } });
    },

    'chat.postEphemeral': (a) => {
      if (!str(a.channel)) return fail('channel_not_found');
      if (!str(a.user)) return fail('user_not_in_channel');
      const refusal = refused(a);
      if (refusal) return refusal;
      const ts = s.nextTs();
      const eph: StandinEphemeral = { id: ts, channel: str(a.channel)!, user: str(a.user)!, at: Date.now() };
      if (typeof a.text === 'string') eph.text = a.text;
      if (Array.isArray(a.blocks)) eph.blocks = a.blocks;
      s.ephemerals.push(eph);
      s.events.emit('ephemeral', eph);
      return ok({ message_ts: ts });
    },
  };
}
