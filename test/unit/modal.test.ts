import { describe, expect, it } from 'vitest';
import { parseUpdateVersionMetadata } from '../../src/slack/blocks/update-version.js';
import { CardMetadataSchema, modalView, OverrideMetadataSchema, readMetadata, UpdateVersionMetadataSchema } from '../../src/slack/blocks/modal.js';

describe('modalView', () => {
  it('builds the shared shell: callback id, title, submit, Cancel, metadata as JSON', () => {
    const view = modalView({ callbackId: 'cb', title: 'Title', submit: 'Go', metadata: { a: 1 }, blocks: [] });
    expect(view).toEqual({
      type: 'modal',
      callback_id: 'cb',
      private_metadata: '{"a":1}',
      title: { type: 'plain_text', text: 'Title' },
      submit: { type: 'plain_text', text: 'Go' },
      close: { type: 'plain_text', text: 'Cancel' },
      blocks: [],
    });
  });
});

describe('readMetadata', () => {
  it('is undefined for missing or bad JSON', () => {
    for (const raw of [undefined, '', 'nope', '{"kind":', 'undefined']) expect(readMetadata(CardMetadataSchema, raw)).toBeUndefined();
  });

  it('is undefined for JSON of the wrong shape', () => {
    for (const raw of ['null', '1', '"task"', '[]', '{}', '{"kind":"x","id":"a","version":1}', '{"kind":"task","id":"","version":1}', '{"kind":"task","id":"a","version":"1"}', '{"kind":"task","id":"a","version":1.5}']) {
      expect(readMetadata(CardMetadataSchema, raw)).toBeUndefined();
    }
  });

  it('reads what is ours, keeping only known keys', () => {
    const raw = JSON.stringify({ kind: 'bluegreen', id: 'web', version: 17, channel: 'C0PROD', ts: '1.2', extra: true });
    expect(readMetadata(CardMetadataSchema, raw)).toStrictEqual({ kind: 'bluegreen', id: 'web', version: 17, channel: 'C0PROD', ts: '1.2' });
  });

  it('drops an empty or non-string channel and ts: absent, not undefined keys', () => {
    const meta = readMetadata(CardMetadataSchema, JSON.stringify({ kind: 'task', id: 'rt-1', version: -1, channel: '', ts: 5 }));
    expect(meta).toStrictEqual({ kind: 'task', id: 'rt-1', version: -1 });
    expect(meta && 'channel' in meta).toBe(false);
  });

  it('override metadata: needs an action; keeps an integer revision and drops any other', () => {
    const base = { kind: 'bluegreen', id: 'web', version: 3 };
    expect(readMetadata(OverrideMetadataSchema, JSON.stringify(base))).toBeUndefined();
    expect(readMetadata(OverrideMetadataSchema, JSON.stringify({ ...base, action: '' }))).toBeUndefined();
    expect(readMetadata(OverrideMetadataSchema, JSON.stringify({ ...base, action: 'rollback', revision: 2 }))).toStrictEqual({ ...base, action: 'rollback', revision: 2 });
    expect(readMetadata(OverrideMetadataSchema, JSON.stringify({ ...base, action: 'rollback', revision: '2' }))).toStrictEqual({ ...base, action: 'rollback' });
  });

  it('update-version metadata: channel must be non-empty, ts a string (possibly empty)', () => {
    const good = { job: 'web', version: -1, channel: 'C0PROD', ts: '' };
    expect(readMetadata(UpdateVersionMetadataSchema, JSON.stringify(good))).toStrictEqual(good);
    expect(parseUpdateVersionMetadata(JSON.stringify(good))).toStrictEqual(good);
    for (const bad of [{ ...good, channel: '' }, { ...good, ts: undefined }, { ...good, ts: 1 }, { ...good, job: '' }, { ...good, version: 1.5 }]) {
      expect(parseUpdateVersionMetadata(JSON.stringify(bad))).toBeUndefined();
    }
    expect(parseUpdateVersionMetadata(undefined)).toBeUndefined();
  });
});
