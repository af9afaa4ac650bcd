/** conversations.*: channel information. */
import { fail, ok, str, type Handlers } from './state.js';

/** `conversations.info`: any channel ID is a public channel the bot is a member of. */
export function conversationsHandlers(): Handlers {
  return {
    'conversations.info': (a) => {
      const id = str(a.channel);
      if (!id) return fail('channel_not_found');
      return ok({
        channel: { id, name: `channel-${id.toLowerCase()}`, is_channel: true, is_private: false, is_archived: false, is_member: true, created: 1_700_000_000 },
      });
    },
  };
}
