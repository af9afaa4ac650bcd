/**
 * files.*: the two API steps of an upload (files.uploadV2 in @slack/web-api). The bytes in between
 * go to the upload URL, which ../slack-standin.ts serves.
 */
import { fail, ok, str, type Args, type Handlers, type StandinState } from './state.js';

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
        done.push({ id: upload.fileId, title: upload.title ?? upload.filename, name: upload.filename, size: upload.bytes.length });
      }
      return ok({ files: done });
    },
  };
}
