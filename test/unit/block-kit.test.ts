/**
 * The stand-in's Block Kit checks (src/sandbox/standin/block-kit.ts): each of Slack's limits at
 * its boundary (taken) and one over it (refused, with Slack's wording and a JSON pointer), the
 * shapes Slack insists on, and the message rules (text fallback, length); then the bot's own
 * builders at their largest.
 */
import { describe, expect, it } from 'vitest';
import { blockErrors, messageRefusal, viewErrors, viewRefusal } from '../../src/sandbox/standin/block-kit.js';
import { rejectReasonModal } from '../../src/slack/blocks/approval.js';
import { messageBlocks } from '../../src/slack/blocks/format.js';
import { jobCard } from '../../src/slack/blocks/job-card.js';
import { taskCard } from '../../src/slack/blocks/task-card.js';
import { FIXTURE_NOW, JobFactory, TaskFactory, component, daysAgo, releasedVersion } from '../support/factories.js';

type Obj = Record<string, unknown>;

const x = (n: number) => 'x'.repeat(n);
const mrkdwn = (text: string) => ({ type: 'mrkdwn', text });
const plain = (text: string) => ({ type: 'plain_text', text });
const section = (text: string): Obj => ({ type: 'section', text: mrkdwn(text) });
const button = (over: Obj = {}): Obj => ({ type: 'button', action_id: 'a', text: plain('Go'), value: 'v', ...over });
const actions = (...elements: Obj[]): Obj => ({ type: 'actions', elements });
const buttons = (n: number) => Array.from({ length: n }, (_, i) => button({ action_id: `a${i}` }));
const options = (n: number, over: (i: number) => Obj = () => ({})) => Array.from({ length: n }, (_, i) => ({ text: plain(`o${i}`), value: `v${i}`, ...over(i) }));
const select = (over: Obj = {}): Obj => ({ type: 'static_select', action_id: 's', placeholder: plain('Pick'), options: options(2), ...over });
const dialog = (over: Obj = {}): Obj => ({ title: plain('Sure?'), text: plain('Really?'), confirm: plain('Yes'), deny: plain('No'), ...over });
const modal = (blocks: unknown[], over: Obj = {}): Obj => ({ type: 'modal', title: plain('Reject'), submit: plain('Reject'), blocks, ...over });
const input = (over: Obj = {}): Obj => ({ type: 'input', block_id: 'why', label: plain('Why?'), element: { type: 'plain_text_input', action_id: 'reason' }, ...over });

/**
 * One limit: `make(n)` builds message blocks with the limited thing at size `n`; `limit` is taken,
 * `limit + 1` is refused with exactly `error`.
 */
interface Limit {
  what: string;
  limit: number;
  make: (n: number) => unknown[];
  error: string;
}

const LIMITS: Limit[] = [
  { what: 'blocks in a message', limit: 50, make: (n) => Array.from({ length: n }, () => ({ type: 'divider' })), error: 'no more than 50 items allowed [json-pointer:/blocks]' },
  { what: 'block_id', limit: 255, make: (n) => [{ type: 'divider', block_id: x(n) }], error: 'must be less than 256 characters [json-pointer:/blocks/0/block_id]' },
  { what: 'section text', limit: 3000, make: (n) => [section(x(n))], error: 'must be less than 3001 characters [json-pointer:/blocks/0/text/text]' },
  {
    what: 'section fields',
    limit: 10,
    make: (n) => [{ type: 'section', fields: Array.from({ length: n }, () => mrkdwn('f')) }],
    error: 'no more than 10 items allowed [json-pointer:/blocks/0/fields]',
  },
  { what: 'a section field', limit: 2000, make: (n) => [{ type: 'section', fields: [mrkdwn(x(n))] }], error: 'must be less than 2001 characters [json-pointer:/blocks/0/fields/0/text]' },
  { what: 'header text', limit: 150, make: (n) => [{ type: 'header', text: plain(x(n)) }], error: 'must be less than 151 characters [json-pointer:/blocks/0/text/text]' },
  {
    what: 'context elements',
    limit: 10,
    make: (n) => [{ type: 'context', elements: Array.from({ length: n }, () => mrkdwn('c')) }],
    error: 'no more than 10 items allowed [json-pointer:/blocks/0/elements]',
  },
  { what: 'context text', limit: 3000, make: (n) => [{ type: 'context', elements: [mrkdwn(x(n))] }], error: 'must be less than 3001 characters [json-pointer:/blocks/0/elements/0/text]' },
  { what: 'actions elements', limit: 25, make: (n) => [actions(...buttons(n))], error: 'no more than 25 items allowed [json-pointer:/blocks/0/elements]' },
  { what: 'button text', limit: 75, make: (n) => [actions(button({ text: plain(x(n)) }))], error: 'must be less than 76 characters [json-pointer:/blocks/0/elements/0/text/text]' },
  { what: 'button value', limit: 2000, make: (n) => [actions(button({ value: x(n) }))], error: 'must be less than 2001 characters [json-pointer:/blocks/0/elements/0/value]' },
  { what: 'action_id', limit: 255, make: (n) => [actions(button({ action_id: x(n) }))], error: 'must be less than 256 characters [json-pointer:/blocks/0/elements/0/action_id]' },
  { what: 'select options', limit: 100, make: (n) => [actions(select({ options: options(n) }))], error: 'no more than 100 items allowed [json-pointer:/blocks/0/elements/0/options]' },
  {
    what: 'option text',
    limit: 75,
    make: (n) => [actions(select({ options: options(1, () => ({ text: plain(x(n)) })) }))],
    error: 'must be less than 76 characters [json-pointer:/blocks/0/elements/0/options/0/text/text]',
  },
  {
    what: 'option value',
    limit: 150,
    make: (n) => [actions(select({ options: options(1, () => ({ value: x(n) })) }))],
    error: 'must be less than 151 characters [json-pointer:/blocks/0/elements/0/options/0/value]',
  },
  {
    what: 'select placeholder',
    limit: 150,
    make: (n) => [actions(select({ placeholder: plain(x(n)) }))],
    error: 'must be less than 151 characters [json-pointer:/blocks/0/elements/0/placeholder/text]',
  },
  {
    what: 'confirm title',
    limit: 100,
    make: (n) => [actions(button({ confirm: dialog({ title: plain(x(n)) }) }))],
    error: 'must be less than 101 characters [json-pointer:/blocks/0/elements/0/confirm/title/text]',
  },
  {
    what: 'confirm text',
    limit: 300,
    make: (n) => [actions(button({ confirm: dialog({ text: plain(x(n)) }) }))],
    error: 'must be less than 301 characters [json-pointer:/blocks/0/elements/0/confirm/text/text]',
  },
  {
    what: 'confirm button',
    limit: 30,
    make: (n) => [actions(button({ confirm: dialog({ confirm: plain(x(n)) }) }))],
    error: 'must be less than 31 characters [json-pointer:/blocks/0/elements/0/confirm/confirm/text]',
  },
  {
    what: 'deny button',
    limit: 30,
    make: (n) => [actions(button({ confirm: dialog({ deny: plain(x(n)) }) }))],
    error: 'must be less than 31 characters [json-pointer:/blocks/0/elements/0/confirm/deny/text]',
  },
  {
    what: 'overflow options',
    limit: 5,
    make: (n) => [actions({ type: 'overflow', action_id: 'o', options: options(n) })],
    error: 'no more than 5 items allowed [json-pointer:/blocks/0/elements/0/options]',
  },
  {
    what: 'image alt_text',
    limit: 2000,
    make: (n) => [{ type: 'image', image_url: 'https://example.com/a.png', alt_text: x(n) }],
    error: 'must be less than 2001 characters [json-pointer:/blocks/0/alt_text]',
  },
];

describe('Block Kit limits, at and over each', () => {
  it.each(LIMITS)('$what: $limit is taken', ({ limit, make }) => {
    expect(blockErrors(make(limit), 'message')).toEqual([]);
  });

  it.each(LIMITS)('$what: one more is refused', ({ limit, make, error }) => {
    expect(blockErrors(make(limit + 1), 'message')).toEqual([error]);
  });

  it('a modal takes 100 blocks, not 101', () => {
    const dividers = (n: number) => Array.from({ length: n }, () => ({ type: 'divider' }));
    expect(viewErrors(modal(dividers(100)))).toEqual([]);
    expect(viewErrors(modal(dividers(101)))).toEqual(['no more than 100 items allowed [json-pointer:/view/blocks]']);
    // …while a message stops at 50
    expect(blockErrors(dividers(51), 'message')).toEqual(['no more than 50 items allowed [json-pointer:/blocks]']);
  });

  it('a modal title and its buttons take 24 characters, not 25', () => {
    expect(viewErrors(modal([input()], { title: plain(x(24)), submit: plain(x(24)), close: plain(x(24)) }))).toEqual([]);
    expect(viewErrors(modal([input()], { title: plain(x(25)), submit: plain(x(25)), close: plain(x(25)) }))).toEqual([
      'must be less than 25 characters [json-pointer:/view/title/text]',
      'must be less than 25 characters [json-pointer:/view/close/text]',
      'must be less than 25 characters [json-pointer:/view/submit/text]',
    ]);
  });

  it('private_metadata takes 3000 characters, not 3001', () => {
    expect(viewErrors(modal([input()], { private_metadata: x(3000) }))).toEqual([]);
    expect(viewErrors(modal([input()], { private_metadata: x(3001) }))).toEqual(['must be less than 3001 characters [json-pointer:/view/private_metadata]']);
  });

  it('plain_text_input lengths are 0..3000 and min ≤ max', () => {
    const withInput = (element: Obj) => viewErrors(modal([input({ element: { type: 'plain_text_input', action_id: 'r', ...element } })]));
    expect(withInput({ min_length: 0, max_length: 3000 })).toEqual([]);
    expect(withInput({ max_length: 3001 })).toEqual(['must be between 1 and 3000 [json-pointer:/view/blocks/0/element/max_length]']);
    expect(withInput({ min_length: 10, max_length: 5 })).toEqual(['must not be more than max_length [json-pointer:/view/blocks/0/element/min_length]']);
  });
});

describe('Block Kit shapes', () => {
  const one = (blocks: unknown[]) => blockErrors(blocks, 'message');

  it('refuses an unknown block type and an unknown element type', () => {
    expect(one([{ type: 'sectoin', text: mrkdwn('a') }])).toEqual(['unknown block type: sectoin [json-pointer:/blocks/0/type]']);
    expect(one([actions({ type: 'buton', text: plain('a') })])).toEqual(['unknown element type: buton [json-pointer:/blocks/0/elements/0/type]']);
    expect(one([{ text: mrkdwn('a') }])).toEqual(['missing required field: type [json-pointer:/blocks/0]']);
  });

  it('takes the block types Slack knows that it does not check in depth', () => {
    expect(one([{ type: 'rich_text', elements: [] }, { type: 'markdown', text: '**hi**' }])).toEqual([]);
  });

  it('a divider has nothing but its type and block_id', () => {
    expect(one([{ type: 'divider', block_id: 'd' }])).toEqual([]);
    expect(one([{ type: 'divider', text: mrkdwn('a') }])).toEqual(['invalid additional property: text [json-pointer:/blocks/0]']);
  });

  it('text objects are plain_text or mrkdwn, with some text', () => {
    expect(one([section('')])).toEqual(['must be more than 0 characters [json-pointer:/blocks/0/text/text]']);
    expect(one([{ type: 'section', text: { type: 'markdown', text: 'a' } }])).toEqual(['must be one of: plain_text, mrkdwn [json-pointer:/blocks/0/text/type]']);
    expect(one([{ type: 'section', text: 'just a string' }])).toEqual(['must be a text object [json-pointer:/blocks/0/text]']);
    expect(one([{ type: 'section', text: { type: 'mrkdwn', text: 'a', emoji: true } }])).toEqual(['invalid additional property: emoji [json-pointer:/blocks/0/text]']);
  });

  it('a header, a button and a dialog title take plain_text only', () => {
    expect(one([{ type: 'header', text: mrkdwn('*H*') }])).toEqual(['must be plain_text [json-pointer:/blocks/0/text/type]']);
    expect(one([actions(button({ text: mrkdwn('Go') }))])).toEqual(['must be plain_text [json-pointer:/blocks/0/elements/0/text/type]']);
    expect(one([actions(button({ confirm: dialog({ title: mrkdwn('t') }) }))])).toEqual(['must be plain_text [json-pointer:/blocks/0/elements/0/confirm/title/type]']);
  });

  it('a section needs text or fields; a confirm dialog needs all four texts', () => {
    expect(one([{ type: 'section' }])).toEqual(['must provide either text or fields [json-pointer:/blocks/0]']);
    expect(one([actions(button({ confirm: { title: plain('t'), text: plain('x'), confirm: plain('y') } }))])).toEqual([
      'missing required field: deny [json-pointer:/blocks/0/elements/0/confirm]',
    ]);
  });

  it('block_ids are unique in a message; action_ids in a block', () => {
    expect(one([{ type: 'divider', block_id: 'b' }, { type: 'divider', block_id: 'b' }])).toEqual([
      'duplicate block_id: b (block_ids must be unique) [json-pointer:/blocks/1/block_id]',
    ]);
    expect(one([actions(button({ action_id: 'go' }), button({ action_id: 'go' }))])).toEqual([
      'duplicate action_id: go (action_ids must be unique in a block) [json-pointer:/blocks/0/elements/1/action_id]',
    ]);
    // The same action_id in two blocks is fine (the block_id tells them apart).
    expect(one([actions(button({ action_id: 'go' })), actions(button({ action_id: 'go' }))])).toEqual([]);
  });

  it('actions and context take only their own kinds of element', () => {
    expect(one([actions({ type: 'image', image_url: 'https://e.com/a.png', alt_text: 'a' })])).toEqual([
      'image is not allowed in an actions block [json-pointer:/blocks/0/elements/0/type]',
    ]);
    expect(one([{ type: 'context', elements: [button()] }])).toEqual(['must be one of: plain_text, mrkdwn [json-pointer:/blocks/0/elements/0/type]']);
    expect(one([actions()])).toEqual(['must provide at least 1 item [json-pointer:/blocks/0/elements]']);
  });

  it('a select has options or option_groups (not both), and its initial_option is one of them', () => {
    expect(one([actions(select({ option_groups: [{ label: plain('g'), options: options(1) }] }))])).toEqual([
      'must provide either options or option_groups, not both [json-pointer:/blocks/0/elements/0]',
    ]);
    expect(one([actions(select({ initial_option: { text: plain('o1'), value: 'v1' } }))])).toEqual([]);
    expect(one([actions(select({ initial_option: { text: plain('z'), value: 'zz' } }))])).toEqual([
      'must match one of the options [json-pointer:/blocks/0/elements/0/initial_option]',
    ]);
  });

  it('a button style is primary or danger', () => {
    expect(one([actions(button({ style: 'warning' }))])).toEqual(['must be one of: primary, danger [json-pointer:/blocks/0/elements/0/style]']);
  });

  it('a modal with input blocks needs a submit button, and a title', () => {
    const { submit: _s, ...noSubmit } = modal([input()]);
    expect(viewErrors(noSubmit)).toEqual(['missing required field: submit (a modal with input blocks needs one) [json-pointer:/view]']);
    const { title: _t, ...noTitle } = modal([input()]);
    expect(viewErrors(noTitle)).toEqual(['missing required field: title [json-pointer:/view]']);
    expect(viewRefusal(noTitle)).toMatchObject({ error: 'invalid_arguments' });
  });
});

describe('messages: the text fallback and the whole', () => {
  const blocks = [section('hello')];

  it('needs text, with blocks or without (no_text)', () => {
    expect(messageRefusal({ text: 'hello', blocks })).toBeUndefined();
    expect(messageRefusal({ text: 'hello' })).toBeUndefined();
    expect(messageRefusal({ blocks })).toEqual({ error: 'no_text' });
    expect(messageRefusal({ text: '', blocks })).toEqual({ error: 'no_text' });
    expect(messageRefusal({})).toEqual({ error: 'no_text' });
  });

  it('takes 40,000 characters of text, not 40,001 (msg_too_long)', () => {
    expect(messageRefusal({ text: x(40_000) })).toBeUndefined();
    expect(messageRefusal({ text: x(40_001) })).toEqual({ error: 'msg_too_long' });
  });

  it('answers invalid_blocks with the problems, and invalid_blocks_format for blocks that are not an array', () => {
    expect(messageRefusal({ text: 'a', blocks: [section(x(3001))] })).toEqual({
      error: 'invalid_blocks',
      errors: ['must be less than 3001 characters [json-pointer:/blocks/0/text/text]'],
    });
    expect(messageRefusal({ text: 'a', blocks: 'not json' })).toEqual({ error: 'invalid_blocks_format' });
  });
});

describe("the bot's own builders at their largest", () => {
  it('a task card with 200 long components, 150 long failures and a long description', () => {
    const comps = Array.from({ length: 200 }, (_, i) =>
      component(`${'n'.repeat(58)}-${String(i).padStart(3, '0')}`, {
        status: i < 150 ? 'Release failed' : 'Released',
        image: `registry.example.com/${'i'.repeat(220)}:${i}`,
        error: i < 150 ? `readiness probe failed: ${'e'.repeat(900)}` : undefined,
      }),
    );
    const task = TaskFactory.create({ name: 'n'.repeat(80), status: 'Release failed', operation: 'Bulk Upgrade', components: comps, description: 'd'.repeat(500) });
    const card = taskCard(task, FIXTURE_NOW);
    expect(messageRefusal(card)).toBeUndefined();
    // 20 components are listed one per line: the longest lines there
    expect(messageRefusal(taskCard({ ...task, components: comps.slice(0, 20) }, FIXTURE_NOW))).toBeUndefined();
  });

  it('a job card with the longest names and many past versions', () => {
    const history = Array.from({ length: 60 }, (_, i) => releasedVersion(i + 1, `registry.example.com/${'i'.repeat(230)}:${i}`, daysAgo(i + 1)));
    const job = JobFactory.create({ name: 'j'.repeat(63), env: 'e'.repeat(63), workload: 'w'.repeat(63), status: 'Healthy', history });
    expect(messageRefusal(jobCard(job, FIXTURE_NOW))).toBeUndefined();
  });

  it('a long ephemeral answer is packed into sections within the limits', () => {
    const text = Array.from({ length: 400 }, (_, i) => `line ${i} ${'t'.repeat(300)}`).join('\n');
    expect(messageRefusal({ text: text.slice(0, 40_000), blocks: messageBlocks(text) })).toBeUndefined();
  });

  it('the reject-reason modal', () => {
    expect(viewErrors(rejectReasonModal({ kind: 'task', id: 'rt-abc123' }, 7, { channel: 'C0RELEASES', ts: '1700000000.000100' }))).toEqual([]);
  });
});
