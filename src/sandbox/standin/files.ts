/**
 * files.*: the two API steps of an upload (files.uploadV2 in @slack/web-api). The bytes in between
 * go to the upload URL, which ../slack-standin.ts serves.
 */
import { BOT_ID, BOT_USER, fail, ok, str, type Args, type Handlers, type StandinState } from './state.js';
import type { FakeMessage } from './types.js';

/** The message a completed upload leaves in the channel (or thread): the comment and the files. */
function share(s: StandinState, channel: string, threadTs: string | undefined, comment: string | undefined, files: Args[]): void {
  const message: FakeMessage = { type: 'message', ts: s.nextTs(), channel, user: BOT_USER, bot_id: BOT_ID, text: comment ?? '', files };
  if (threadTs) {
    message.thread_ts = threadTs;
    s.replies(channel, threadTs).push(message);
  } else s.topLevel(channel).push(message);
  s.events.emit('message', { ...message });
}

/** `files.getUploadURLExternal` and `files.completeUploadExternal` on `s`. */
export function filesHandlers(s: StandinState): Handlers {
  return {
    'files.getUploadURLExternal': (a) => {
      const filename = str(a.filename);
      if (!filename || !str(a.length)) return fail('invalid_arguments');
      const fileId = `F${String(s.nextSeq()).padStart(8, '0')}`;
      s.pendingUploads.set(fileId, { filename });
      return ok({ upload_url: `${s.base}upload/${fileId}`, file_id: fileId });
    },

    'files.completeUploadExternal': (a) => {
      if (!Array.isArray(a.files) || a.files.length === 0) return fail('invalid_arguments');
      const done: Args[] = [];
      for (const f of a.files as Array<{ id?: string; title?: string }>) {
        const upload = s.uploads.find((u) => u.fileId === f.id);
        if (!upload) return fail('file_not_found');
        upload.completed = true;
        if (f.title !== undefined) upload.title = f.title;
        const channelId = str(a.channel_id) ?? str(a.channels);
        if (channelId) upload.channelId = channelId;
        const threadTs = str(a.thread_ts);
        if (threadTs) upload.threadTs = threadTs;
        const comment = str(a.initial_comment);
        if (comment) upload.initialComment = comment;
        done.push({ id: upload.fileId, title: upload.title ?? upload.filename, name: upload.filename, size: upload.bytes.length, url_private: `${s.base}files/${upload.fileId}` });
      }
      // Shared in a channel, the files come as a message of the bot's, as in Slack.
      const channel = str(a.channel_id) ?? str(a.channels);
      if (channel) share(s, channel, str(a.thread_ts), str(a.initial_comment), done);
      return ok({ files: done });
    },
  };
}
