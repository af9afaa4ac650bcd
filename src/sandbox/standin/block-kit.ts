/**
 * Block Kit as Slack checks it: the documented limits and shapes of the blocks, elements and
 * composition objects the stand-in accepts, so a card Slack would refuse is refused here too.
 * Errors read like Slack's: `must be less than 3001 characters [json-pointer:/blocks/0/text/text]`.
 *
 * Checked in full: the section, header, divider, context, actions, image and input blocks; the
 * button, static_select, overflow, plain_text_input and image elements; text, option, option
 * group and confirmation dialog objects; modal views. Other block and element types Slack knows
 * (rich_text, markdown, video, file; date pickers, checkboxes, other selects …) pass with their
 * block_id / action_id checked only; a type Slack does not know is refused. Lengths count UTF-16
 * code units (JavaScript's `length`), which is never less than Slack's count of characters.
 */

/** Where blocks are shown: a message (at most 50 blocks) or a modal (at most 100). */
export type Surface = 'message' | 'modal';

/** Slack's answer to a message or view it refuses: the error code, and what is wrong where. */
export interface Refusal {
  error: string;
  /** Each problem as Slack words it, with a JSON pointer: "no more than 25 items allowed [json-pointer:/blocks/1/elements]". */
  errors?: string[];
}

export const LIMITS = {
  messageBlocks: 50,
  modalBlocks: 100,
  blockId: 255,
  actionId: 255,
  text: 3000,
  sectionText: 3000,
  sectionFields: 10,
  sectionField: 2000,
  headerText: 150,
  contextElements: 10,
  actionsElements: 25,
  buttonText: 75,
  buttonValue: 2000,
  url: 3000,
  accessibilityLabel: 75,
  selectOptions: 100,
  optionGroups: 100,
  optionGroupLabel: 75,
  overflowOptions: 5,
  optionText: 75,
  optionValue: 150,
  optionDescription: 75,
  placeholder: 150,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  imageAltText: 2000,
  imageTitle: 2000,
  inputLabel: 2000,
  inputHint: 2000,
  inputLength: 3000,
  modalTitle: 24,
  modalButton: 24,
  privateMetadata: 3000,
  callbackId: 255,
  markdownText: 12000,
  /** chat.postMessage and friends: longer `text` is `msg_too_long`. */
  messageText: 40000,
} as const;

/** Problems found so far, each with where it is. */
class Problems {
  readonly list: string[] = [];
  add(pointer: string, reason: string): void {
    this.list.push(`${reason} [json-pointer:${pointer}]`);
  }
}

/** What a block's checks share: the block_ids of the surface, the action_ids of the current block. */
interface Scope {
  p: Problems;
  blockIds: Set<string>;
  actionIds: Set<string>;
}

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Refuses properties the type does not define (Slack's schemas allow no others). */
function onlyKnown(p: Problems, o: Obj, pointer: string, known: readonly string[]): void {
  for (const key of Object.keys(o)) if (!known.includes(key)) p.add(pointer, `invalid additional property: ${key}`);
}

/** A string field: required or not, 1..max characters. */
function str(p: Problems, o: Obj, key: string, pointer: string, max: number, required = false): string | undefined {
  const v = o[key];
  if (v === undefined) {
    if (required) p.add(pointer, `missing required field: ${key}`);
    return undefined;
  }
  const at = `${pointer}/${key}`;
  if (typeof v !== 'string') return void p.add(at, 'must be a string');
  if (v.length === 0) p.add(at, 'must be more than 0 characters');
  else if (v.length > max) p.add(at, `must be less than ${max + 1} characters`);
  return v;
}

function bool(p: Problems, o: Obj, key: string, pointer: string): void {
  if (o[key] !== undefined && typeof o[key] !== 'boolean') p.add(`${pointer}/${key}`, 'must be a boolean');
}

function oneOf(p: Problems, o: Obj, key: string, pointer: string, allowed: readonly string[]): void {
  const v = o[key];
  if (v !== undefined && (typeof v !== 'string' || !allowed.includes(v))) p.add(`${pointer}/${key}`, `must be one of: ${allowed.join(', ')}`);
}

/** An array field with `min..max` items; its items, or undefined when it is missing or not an array. */
function list(p: Problems, o: Obj, key: string, pointer: string, min: number, max: number, required = true): unknown[] | undefined {
  const v = o[key];
  const at = `${pointer}/${key}`;
  if (v === undefined) {
    if (required) p.add(pointer, `missing required field: ${key}`);
    return undefined;
  }
  if (!Array.isArray(v)) return void p.add(at, 'must be an array');
  if (v.length > max) p.add(at, `no more than ${max} items allowed`);
  else if (v.length < min) p.add(at, `must provide at least ${min} item${min === 1 ? '' : 's'}`);
  return v;
}

/** A text object: `{ type: plain_text | mrkdwn, text }`, at most `max` characters. */
function textObject(p: Problems, parent: Obj, key: string, pointer: string, opts: { max: number; plain?: boolean; required?: boolean }): void {
  const v = parent[key];
  const at = `${pointer}/${key}`;
  if (v === undefined) {
    if (opts.required ?? true) p.add(pointer, `missing required field: ${key}`);
    return;
  }
  textValue(p, v, at, opts);
}

function textValue(p: Problems, v: unknown, at: string, opts: { max: number; plain?: boolean }): void {
  if (!isObj(v)) return void p.add(at, 'must be a text object');
  if (v.type === 'plain_text') onlyKnown(p, v, at, ['type', 'text', 'emoji']);
  else if (v.type === 'mrkdwn') onlyKnown(p, v, at, ['type', 'text', 'verbatim']);
  else return void p.add(`${at}/type`, 'must be one of: plain_text, mrkdwn');
  if (opts.plain && v.type !== 'plain_text') p.add(`${at}/type`, 'must be plain_text');
  str(p, v, 'text', at, opts.max, true);
  bool(p, v, 'emoji', at);
  bool(p, v, 'verbatim', at);
}

function blockId(s: Scope, b: Obj, pointer: string): void {
  const id = str(s.p, b, 'block_id', pointer, LIMITS.blockId);
  if (id === undefined) return;
  if (s.blockIds.has(id)) s.p.add(`${pointer}/block_id`, `duplicate block_id: ${id} (block_ids must be unique)`);
  s.blockIds.add(id);
}

function actionId(s: Scope, e: Obj, pointer: string): void {
  const id = str(s.p, e, 'action_id', pointer, LIMITS.actionId);
  if (id === undefined) return;
  if (s.actionIds.has(id)) s.p.add(`${pointer}/action_id`, `duplicate action_id: ${id} (action_ids must be unique in a block)`);
  s.actionIds.add(id);
}

function confirm(p: Problems, parent: Obj, pointer: string): void {
  const v = parent.confirm;
  if (v === undefined) return;
  const at = `${pointer}/confirm`;
  if (!isObj(v)) return void p.add(at, 'must be an object');
  onlyKnown(p, v, at, ['title', 'text', 'confirm', 'deny', 'style']);
  textObject(p, v, 'title', at, { max: LIMITS.confirmTitle, plain: true });
  textObject(p, v, 'text', at, { max: LIMITS.confirmText });
  textObject(p, v, 'confirm', at, { max: LIMITS.confirmButton, plain: true });
  textObject(p, v, 'deny', at, { max: LIMITS.confirmButton, plain: true });
  oneOf(p, v, 'style', at, ['primary', 'danger']);
}

/** An option of a select or overflow menu; `url` only in overflow menus. */
function option(p: Problems, v: unknown, at: string, withUrl: boolean): string | undefined {
  if (!isObj(v)) return void p.add(at, 'must be an object');
  onlyKnown(p, v, at, withUrl ? ['text', 'value', 'description', 'url'] : ['text', 'value', 'description']);
  textObject(p, v, 'text', at, { max: LIMITS.optionText, plain: true });
  const value = str(p, v, 'value', at, LIMITS.optionValue, true);
  textObject(p, v, 'description', at, { max: LIMITS.optionDescription, plain: true, required: false });
  if (withUrl) str(p, v, 'url', at, LIMITS.url);
  return value;
}

function button(s: Scope, e: Obj, at: string): void {
  onlyKnown(s.p, e, at, ['type', 'text', 'action_id', 'url', 'value', 'style', 'confirm', 'accessibility_label']);
  textObject(s.p, e, 'text', at, { max: LIMITS.buttonText, plain: true });
  actionId(s, e, at);
  str(s.p, e, 'url', at, LIMITS.url);
  str(s.p, e, 'value', at, LIMITS.buttonValue);
  oneOf(s.p, e, 'style', at, ['primary', 'danger']);
  confirm(s.p, e, at);
  str(s.p, e, 'accessibility_label', at, LIMITS.accessibilityLabel);
}

function staticSelect(s: Scope, e: Obj, at: string): void {
  const p = s.p;
  onlyKnown(p, e, at, ['type', 'action_id', 'options', 'option_groups', 'initial_option', 'confirm', 'focus_on_load', 'placeholder']);
  actionId(s, e, at);
  textObject(p, e, 'placeholder', at, { max: LIMITS.placeholder, plain: true, required: false });
  const values: (string | undefined)[] = [];
  if (e.options !== undefined && e.option_groups !== undefined) p.add(at, 'must provide either options or option_groups, not both');
  if (e.options === undefined && e.option_groups === undefined) p.add(at, 'missing required field: options');
  list(p, e, 'options', at, 1, LIMITS.selectOptions, false)?.forEach((o, i) => values.push(option(p, o, `${at}/options/${i}`, false)));
  list(p, e, 'option_groups', at, 1, LIMITS.optionGroups, false)?.forEach((g, i) => {
    const gat = `${at}/option_groups/${i}`;
    if (!isObj(g)) return void p.add(gat, 'must be an object');
    onlyKnown(p, g, gat, ['label', 'options']);
    textObject(p, g, 'label', gat, { max: LIMITS.optionGroupLabel, plain: true });
    list(p, g, 'options', gat, 1, LIMITS.selectOptions)?.forEach((o, j) => values.push(option(p, o, `${gat}/options/${j}`, false)));
  });
  if (e.initial_option !== undefined) {
    const initial = option(p, e.initial_option, `${at}/initial_option`, false);
    if (initial !== undefined && !values.includes(initial)) p.add(`${at}/initial_option`, 'must match one of the options');
  }
  confirm(p, e, at);
  bool(p, e, 'focus_on_load', at);
}

function overflow(s: Scope, e: Obj, at: string): void {
  onlyKnown(s.p, e, at, ['type', 'action_id', 'options', 'confirm']);
  actionId(s, e, at);
  list(s.p, e, 'options', at, 1, LIMITS.overflowOptions)?.forEach((o, i) => option(s.p, o, `${at}/options/${i}`, true));
  confirm(s.p, e, at);
}

function plainTextInput(s: Scope, e: Obj, at: string): void {
  const p = s.p;
  onlyKnown(p, e, at, ['type', 'action_id', 'placeholder', 'initial_value', 'multiline', 'min_length', 'max_length', 'dispatch_action_config', 'focus_on_load']);
  actionId(s, e, at);
  textObject(p, e, 'placeholder', at, { max: LIMITS.placeholder, plain: true, required: false });
  if (e.initial_value !== undefined && typeof e.initial_value !== 'string') p.add(`${at}/initial_value`, 'must be a string');
  bool(p, e, 'multiline', at);
  bool(p, e, 'focus_on_load', at);
  for (const [key, min] of [['min_length', 0], ['max_length', 1]] as const) {
    const v = e[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isInteger(v)) p.add(`${at}/${key}`, 'must be an integer');
    else if (v < min || v > LIMITS.inputLength) p.add(`${at}/${key}`, `must be between ${min} and ${LIMITS.inputLength}`);
  }
  if (typeof e.min_length === 'number' && typeof e.max_length === 'number' && e.min_length > e.max_length) p.add(`${at}/min_length`, 'must not be more than max_length');
}

function imageElement(s: Scope, e: Obj, at: string): void {
  onlyKnown(s.p, e, at, ['type', 'image_url', 'alt_text', 'slack_file']);
  if (e.slack_file === undefined) str(s.p, e, 'image_url', at, LIMITS.url, true);
  str(s.p, e, 'alt_text', at, LIMITS.imageAltText, true);
}

type ElementCheck = (s: Scope, e: Obj, at: string) => void;

/** Elements checked in full. */
const ELEMENTS: Record<string, ElementCheck> = {
  button,
  static_select: staticSelect,
  overflow,
  plain_text_input: plainTextInput,
  image: imageElement,
};

/** Interactive elements Slack knows that are not checked beyond their action_id. */
const OTHER_ELEMENTS = [
  'checkboxes', 'radio_buttons', 'datepicker', 'timepicker', 'datetimepicker', 'multi_static_select',
  'users_select', 'multi_users_select', 'conversations_select', 'multi_conversations_select',
  'channels_select', 'multi_channels_select', 'external_select', 'multi_external_select',
  'email_text_input', 'url_text_input', 'number_input', 'file_input', 'rich_text_input', 'workflow_button',
];
const SELECTS = ['static_select', 'external_select', 'users_select', 'conversations_select', 'channels_select'];
const MULTI_SELECTS = SELECTS.map((t) => `multi_${t}`);

/** Which element types each place takes (Slack's "works with block types"). */
const PLACES = {
  actions: ['button', 'checkboxes', 'datepicker', 'datetimepicker', 'overflow', 'radio_buttons', 'rich_text_input', 'timepicker', 'workflow_button', ...SELECTS, ...MULTI_SELECTS],
  accessory: ['button', 'checkboxes', 'datepicker', 'image', 'overflow', 'radio_buttons', 'timepicker', 'workflow_button', ...SELECTS, ...MULTI_SELECTS],
  input: [
    'checkboxes', 'datepicker', 'datetimepicker', 'email_text_input', 'file_input', 'number_input', 'plain_text_input',
    'radio_buttons', 'rich_text_input', 'timepicker', 'url_text_input', ...SELECTS, ...MULTI_SELECTS,
  ],
} as const;

function element(s: Scope, v: unknown, at: string, place: keyof typeof PLACES): void {
  if (!isObj(v)) return void s.p.add(at, 'must be an object');
  const type = typeof v.type === 'string' ? v.type : '';
  if (!type) return void s.p.add(at, 'missing required field: type');
  if (!ELEMENTS[type] && !OTHER_ELEMENTS.includes(type)) return void s.p.add(`${at}/type`, `unknown element type: ${type}`);
  if (!(PLACES[place] as readonly string[]).includes(type)) return void s.p.add(`${at}/type`, `${type} is not allowed in ${place === 'accessory' ? 'a section accessory' : `an ${place} block`}`);
  const check = ELEMENTS[type];
  if (check) check(s, v, at);
  else actionId(s, v, at);
}

type BlockCheck = (s: Scope, b: Obj, at: string, surface: Surface) => void;

const BLOCKS: Record<string, BlockCheck> = {
  section(s, b, at) {
    onlyKnown(s.p, b, at, ['type', 'block_id', 'text', 'fields', 'accessory', 'expand']);
    if (b.text === undefined && b.fields === undefined) s.p.add(at, 'must provide either text or fields');
    textObject(s.p, b, 'text', at, { max: LIMITS.sectionText, required: false });
    list(s.p, b, 'fields', at, 1, LIMITS.sectionFields, false)?.forEach((f, i) => textValue(s.p, f, `${at}/fields/${i}`, { max: LIMITS.sectionField }));
    if (b.accessory !== undefined) element(s, b.accessory, `${at}/accessory`, 'accessory');
    bool(s.p, b, 'expand', at);
  },
  header(s, b, at) {
    onlyKnown(s.p, b, at, ['type', 'block_id', 'text']);
    textObject(s.p, b, 'text', at, { max: LIMITS.headerText, plain: true });
  },
  divider(s, b, at) {
    onlyKnown(s.p, b, at, ['type', 'block_id']);
  },
  context(s, b, at) {
    onlyKnown(s.p, b, at, ['type', 'block_id', 'elements']);
    list(s.p, b, 'elements', at, 1, LIMITS.contextElements)?.forEach((e, i) => {
      const eat = `${at}/elements/${i}`;
      if (isObj(e) && e.type === 'image') imageElement(s, e, eat);
      else textValue(s.p, e, eat, { max: LIMITS.text });
    });
  },
  actions(s, b, at) {
    onlyKnown(s.p, b, at, ['type', 'block_id', 'elements']);
    list(s.p, b, 'elements', at, 1, LIMITS.actionsElements)?.forEach((e, i) => element(s, e, `${at}/elements/${i}`, 'actions'));
  },
  image(s, b, at) {
    onlyKnown(s.p, b, at, ['type', 'block_id', 'image_url', 'alt_text', 'title', 'slack_file']);
    if (b.slack_file === undefined) str(s.p, b, 'image_url', at, LIMITS.url, true);
    str(s.p, b, 'alt_text', at, LIMITS.imageAltText, true);
    textObject(s.p, b, 'title', at, { max: LIMITS.imageTitle, plain: true, required: false });
  },
  input(s, b, at) {
    onlyKnown(s.p, b, at, ['type', 'block_id', 'label', 'element', 'dispatch_action', 'hint', 'optional']);
    textObject(s.p, b, 'label', at, { max: LIMITS.inputLabel, plain: true });
    textObject(s.p, b, 'hint', at, { max: LIMITS.inputHint, plain: true, required: false });
    if (b.element === undefined) s.p.add(at, 'missing required field: element');
    else element(s, b.element, `${at}/element`, 'input');
    bool(s.p, b, 'dispatch_action', at);
    bool(s.p, b, 'optional', at);
  },
  markdown(s, b, at, surface) {
    onlyKnown(s.p, b, at, ['type', 'block_id', 'text']);
    if (surface !== 'message') s.p.add(`${at}/type`, 'markdown blocks are only allowed in messages');
    str(s.p, b, 'text', at, LIMITS.markdownText, true);
  },
};

/** Block types Slack knows that are not checked beyond their block_id. */
const OTHER_BLOCKS = ['rich_text', 'video', 'file', 'table'];

/**
 * Slack's complaints about `blocks` shown on `surface`, each with a JSON pointer under `base`
 * ("/blocks" for a message, "/view/blocks" for a modal); empty when Slack would take them.
 */
export function blockErrors(blocks: unknown, surface: Surface, base = '/blocks'): string[] {
  const p = new Problems();
  if (!Array.isArray(blocks)) {
    p.add(base, 'must be an array');
    return p.list;
  }
  const max = surface === 'modal' ? LIMITS.modalBlocks : LIMITS.messageBlocks;
  if (blocks.length > max) p.add(base, `no more than ${max} items allowed`);
  const blockIds = new Set<string>();
  blocks.forEach((b, i) => {
    const at = `${base}/${i}`;
    if (!isObj(b)) return void p.add(at, 'must be an object');
    const type = typeof b.type === 'string' ? b.type : '';
    if (!type) return void p.add(at, 'missing required field: type');
    const scope: Scope = { p, blockIds, actionIds: new Set() };
    const check = BLOCKS[type];
    if (!check && !OTHER_BLOCKS.includes(type)) return void p.add(`${at}/type`, `unknown block type: ${type}`);
    blockId(scope, b, at);
    check?.(scope, b, at, surface);
  });
  return p.list;
}

/**
 * Slack's complaints about a view: a modal (`views.open`), or with `type` 'home' an App Home
 * (`views.publish`, up to 100 blocks, no title or buttons); empty when Slack would take it.
 */
export function viewErrors(view: unknown, type: 'modal' | 'home' = 'modal'): string[] {
  const p = new Problems();
  const at = '/view';
  if (!isObj(view)) {
    p.add(at, 'must be an object');
    return p.list;
  }
  if (type === 'home') return homeViewErrors(p, view, at);
  onlyKnown(p, view, at, ['type', 'title', 'blocks', 'close', 'submit', 'private_metadata', 'callback_id', 'clear_on_close', 'notify_on_close', 'external_id', 'submit_disabled']);
  if (view.type !== 'modal') p.add(`${at}/type`, 'must be one of: modal');
  textObject(p, view, 'title', at, { max: LIMITS.modalTitle, plain: true });
  textObject(p, view, 'close', at, { max: LIMITS.modalButton, plain: true, required: false });
  textObject(p, view, 'submit', at, { max: LIMITS.modalButton, plain: true, required: false });
  str(p, view, 'private_metadata', at, LIMITS.privateMetadata);
  str(p, view, 'callback_id', at, LIMITS.callbackId);
  str(p, view, 'external_id', at, LIMITS.callbackId);
  for (const key of ['clear_on_close', 'notify_on_close', 'submit_disabled']) bool(p, view, key, at);
  if (view.blocks === undefined) p.add(at, 'missing required field: blocks');
  else {
    p.list.push(...blockErrors(view.blocks, 'modal', `${at}/blocks`));
    const hasInput = Array.isArray(view.blocks) && view.blocks.some((b) => isObj(b) && b.type === 'input');
    if (hasInput && view.submit === undefined) p.add(at, 'missing required field: submit (a modal with input blocks needs one)');
  }
  return p.list;
}

function homeViewErrors(p: Problems, view: Obj, at: string): string[] {
  onlyKnown(p, view, at, ['type', 'blocks', 'private_metadata', 'callback_id', 'external_id']);
  if (view.type !== 'home') p.add(`${at}/type`, 'must be one of: home');
  str(p, view, 'private_metadata', at, LIMITS.privateMetadata);
  str(p, view, 'callback_id', at, LIMITS.callbackId);
  str(p, view, 'external_id', at, LIMITS.callbackId);
  if (view.blocks === undefined) p.add(at, 'missing required field: blocks');
  // A Home takes as many blocks as a modal (100).
  else p.list.push(...blockErrors(view.blocks, 'modal', `${at}/blocks`));
  return p.list;
}

/**
 * What Slack answers a message with (chat.postMessage, chat.update, chat.postEphemeral, a
 * response_url post, a slash command's ack), or undefined when it takes it:
 * - `invalid_blocks_format` when `blocks` is not a JSON array; `invalid_blocks` with the problems;
 * - `no_text` without `text`. Slack itself takes blocks without `text` (only warning about it);
 *   here the fallback is required, since notifications and screen readers show only `text`;
 * - `msg_too_long` when `text` is over 40,000 characters.
 */
export function messageRefusal(message: { text?: unknown; blocks?: unknown; attachments?: unknown }): Refusal | undefined {
  if (message.blocks !== undefined && !Array.isArray(message.blocks)) return { error: 'invalid_blocks_format' };
  if (Array.isArray(message.blocks)) {
    const errors = blockErrors(message.blocks, 'message');
    if (errors.length > 0) return { error: 'invalid_blocks', errors };
  }
  const text = message.text;
  if (text !== undefined && typeof text !== 'string') return { error: 'invalid_arguments', errors: ['must be a string [json-pointer:/text]'] };
  if (!text && !Array.isArray(message.attachments)) return { error: 'no_text' };
  if (typeof text === 'string' && text.length > LIMITS.messageText) return { error: 'msg_too_long' };
  return undefined;
}

/** Slack's refusal of a view for `views.open`: `invalid_arguments`, the problems in response_metadata. */
export function viewRefusal(view: unknown, type: 'modal' | 'home' = 'modal'): Refusal | undefined {
  const errors = viewErrors(view, type);
  return errors.length > 0 ? { error: 'invalid_arguments', errors } : undefined;
}

/** The body Slack answers a refusal with: `errors` for blocks, and `response_metadata.messages` as it always adds. */
export function refusalBody(r: Refusal, { errorsField = true } = {}): Record<string, unknown> {
  return {
    ok: false,
    error: r.error,
    ...(r.errors && errorsField ? { errors: r.errors } : {}),
    ...(r.errors ? { response_metadata: { messages: r.errors.map((e) => `[ERROR] ${e}`) } } : {}),
  };
}
