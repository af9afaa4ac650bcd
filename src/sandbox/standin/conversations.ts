/** conversations.*: channel information and history. */
import { fail, ok, str, type Handlers, type StandinState } from './state.js';

/** The channel's name as set, else one made from its ID (C0PROD -> prod). */
export function channelName(s: StandinState, id: string): string {
  return s.channelNames.get(id) ?? (id.replace(/^[CG]0?/, '').toLowerCase() || id.toLowerCase());
}

/**
 * `conversations.info`: any channel ID is a public channel the bot is a member of, named as set
 * with `setChannelName` (or after its ID).
 * `conversations.history`: a channel's top-level messages, newest first, from `oldest` on; their
 * metadata only with `include_all_metadata`, as Slack does.
 */
export function conversationsHandlers(s: StandinState): Handlers {
  return {
    'conversations.info': (a) => {
      const id = str(a.channel);
      if (!id) return fail('channel_not_found');
      return ok({
        channel: { id, name: channelName(s, id), is_channel: true, is_private: false, is_archived: false, is_member: true, created: 1_700_000_000 },
      });
    },
    'conversations.history': (a) => {
      const channel = str(a.channel);
      if (!channel) return fail('channel_not_found');
      const oldest = Number(a.oldest ?? 0);
      const limit = Math.min(Number(a.limit ?? 100) || 100, 999);
      const withMetadata = a.include_all_metadata === true || a.include_all_metadata === 'true';
      const messages = s
        .topLevel(channel)
        .filter((m) => Number(m.ts) >= oldest)
        .reverse()
        .slice(0, limit)
        .map(({ channel: _c, metadata, ...m }) => (withMetadata && metadata !== undefined ? { ...m, metadata } : m));
      return ok({ messages, has_more: false });
    },
  };
}
