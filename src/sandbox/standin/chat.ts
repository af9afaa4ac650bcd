/** chat.*: messages and thread replies, their edits, and ephemeral messages. */
import { BOT_ID, BOT_USER, TEAM_ID, fail, ok, str, type Handlers, type StandinState } from './state.js';
import type { FakeMessage, StandinEphemeral } from './types.js';

/** `chat.postMessage`, `chat.update` and `chat.postEphemeral` on `s`. */
export function chatHandlers(s: StandinState): Handlers {
  return {
    'chat.postMessage': (a) => {
      const channel = str(a.channel);
      if (!channel) return fail('channel_not_found');
      if (!str(a.text) && !Array.isArray(a.blocks) && !Array.isArray(a.attachments)) return fail('no_text');
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

    'chat.update': (a) => {
      const channel = str(a.channel);
      const ts = str(a.ts);
      if (!channel) return fail('channel_not_found');
      if (!ts) return fail('message_not_found');
      const message = s.findMessage(channel, ts);
      if (!message) return fail('message_not_found');
      if (!str(a.text) && !Array.isArray(a.blocks) && !Array.isArray(a.attachments)) return fail('no_text');
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
