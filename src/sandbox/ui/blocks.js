// Block Kit renderer for the Switchyard sandbox page: Slack blocks and mrkdwn to DOM.
// Plain browser ES module, no dependencies. Every piece of text is HTML-escaped before any
// markup is added, so message content can never inject HTML.
//
// handlers (all optional):
//   users:    { [userId]: name }          for <@U123> mentions
//   channels: { [channelId]: name }       for <#C123> mentions
//   confirm(confirmObject) -> Promise<boolean>   shown before an action that has `confirm`
//   onAction(action) -> Promise|void             { type, action_id, block_id, value?, selected_option? }

/** The shortcodes the bot uses, plus a few common ones; unknown ones stay as `:name:`. */
export const EMOJI = {
  white_check_mark: '✅', heavy_check_mark: '✔️', x: '❌', hourglass_flowing_sand: '⏳', hourglass: '⌛',
  double_vertical_bar: '⏸️', arrow_right: '➡️', arrow_forward: '▶️', wastebasket: '🗑️', warning: '⚠️',
  large_green_circle: '🟢', large_blue_circle: '🔵', green_circle: '🟢', blue_circle: '🔵', red_circle: '🔴',
  white_circle: '⚪', lock: '🔒', unlock: '🔓', snowflake: '❄️', rewind: '⏪', leftwards_arrow_with_hook: '↩️',
  repeat: '🔁', rocket: '🚀', no_entry_sign: '🚫', no_entry: '⛔', arrows_counterclockwise: '🔄',
  arrows_clockwise: '🔃', grey_question: '❔', question: '❓', grey_exclamation: '❕', exclamation: '❗',
  bangbang: '‼️', heavy_minus_sign: '➖', heavy_equals_sign: '🟰', heavy_plus_sign: '➕', information_source: 'ℹ️', tada: '🎉',
  eyes: '👀', '+1': '👍', thumbsup: '👍', '-1': '👎', thumbsdown: '👎', memo: '📝', clipboard: '📋',
  page_facing_up: '📄', package: '📦', gear: '⚙️', stopwatch: '⏱️', calendar: '📆', fire: '🔥', zap: '⚡',
  construction: '🚧', checkered_flag: '🏁', bell: '🔔', mag: '🔍', recycle: '♻️', bust_in_silhouette: '👤',
  busts_in_silhouette: '👥', robot_face: '🤖', link: '🔗', pushpin: '📌', key: '🔑', shield: '🛡️',
};

const ENTITY = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(s) {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ENTITY[c]);
}

/** Undo Slack's own escaping (&amp; &lt; &gt;) to get the literal text back. */
export function decodeSlack(s) {
  return String(s ?? '').replace(/&(amp|lt|gt);/g, (_, e) => ({ amp: '&', lt: '<', gt: '>' })[e]);
}

export function emojify(escaped) {
  return escaped.replace(/:([a-z0-9_+-]+):/g, (m, name) => EMOJI[name] ?? m);
}

// ---- dates: <!date^SECONDS^{format}|fallback> ----

function dayDiff(d, now) {
  const start = (x) => new Date(x.getFullYear(), x.getMonth(), x.getDate()).getTime();
  return Math.round((start(d) - start(now)) / 86_400_000);
}

function relative(d, now) {
  const s = Math.round((d.getTime() - now.getTime()) / 1000);
  const abs = Math.abs(s);
  const [n, unit] =
    abs < 60 ? [abs, 'second'] : abs < 3600 ? [Math.round(abs / 60), 'minute'] : abs < 86_400 ? [Math.round(abs / 3600), 'hour'] : [Math.round(abs / 86_400), 'day'];
  const words = `${n} ${unit}${n === 1 ? '' : 's'}`;
  return s < 0 ? `${words} ago` : `in ${words}`;
}

/** Formats a Slack date token in the reader's local time zone; null if the time is unreadable. */
export function formatSlackDate(seconds, format, now = new Date()) {
  const d = new Date(Number(seconds) * 1000);
  if (!Number.isFinite(d.getTime())) return null;
  const date = (opts) => d.toLocaleDateString(undefined, opts);
  const pretty = (opts) => ({ 0: 'Today', [-1]: 'Yesterday', 1: 'Tomorrow' })[dayDiff(d, now)] ?? date(opts);
  const short = { month: 'short', day: 'numeric', year: 'numeric' };
  const long = { weekday: 'long', month: 'long', day: 'numeric', year: 'numeric' };
  const plain = { month: 'long', day: 'numeric', year: 'numeric' };
  const pad = (n) => String(n).padStart(2, '0');
  const parts = {
    date_num: () => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`,
    date: () => date(plain),
    date_short: () => date(short),
    date_long: () => date(long),
    date_pretty: () => pretty(plain),
    date_short_pretty: () => pretty(short),
    date_long_pretty: () => pretty(long),
    time: () => d.toLocaleTimeString(undefined, { hour: 'numeric', minute: '2-digit' }),
    time_secs: () => d.toLocaleTimeString(undefined, { hour: 'numeric', minute: '2-digit', second: '2-digit' }),
    ago: () => relative(d, now),
  };
  return String(format ?? '{date_short_pretty} {time}').replace(/\{(\w+)\}/g, (m, k) => (parts[k] ? parts[k]() : m));
}

// ---- mrkdwn ----

function mention(text, title) {
  return `<span class="bk-mention"${title ? ` title="${escapeHtml(title)}"` : ''}>${escapeHtml(text)}</span>`;
}

/** One `<…>` control sequence: mention, channel, special mention, date or link. */
function renderToken(token, h) {
  const bar = token.indexOf('|');
  const head = bar < 0 ? token : token.slice(0, bar);
  const label = bar < 0 ? '' : decodeSlack(token.slice(bar + 1));
  if (head.startsWith('@')) {
    const id = head.slice(1);
    return mention(`@${h.users?.[id] ?? (label || id)}`, id);
  }
  if (head.startsWith('#')) {
    const id = head.slice(1);
    return mention(`#${h.channels?.[id] ?? (label || id)}`, id);
  }
  if (head.startsWith('!date^')) {
    const [, secs, format, link] = head.split('^');
    const shown = formatSlackDate(secs, format) ?? label;
    const iso = Number.isFinite(Number(secs)) ? new Date(Number(secs) * 1000).toISOString() : label;
    const time = `<time class="bk-date" datetime="${escapeHtml(iso)}" title="${escapeHtml(iso)}">${escapeHtml(shown)}</time>`;
    return link && /^https?:/i.test(link) ? `<a href="${escapeHtml(link)}" target="_blank" rel="noopener noreferrer">${time}</a>` : time;
  }
  if (head.startsWith('!subteam^')) return mention(label || `@${head.slice(9)}`, head.slice(9));
  if (head.startsWith('!')) return mention(`@${head.slice(1)}`);
  const url = decodeSlack(head);
  if (/^(https?:|mailto:)/i.test(url)) {
    const text = emojify(escapeHtml(label || url));
    return `<a href="${escapeHtml(url)}" target="_blank" rel="noopener noreferrer">${text}</a>`;
  }
  return escapeHtml(`<${decodeSlack(token)}>`);
}

const WORD = '\\p{L}\\p{N}';
function span(marker, tag) {
  const m = marker === '*' ? '\\*' : marker;
  return [new RegExp(`(?<![${WORD}${m}])${m}(?=\\S)([^\\n]*?\\S)${m}(?![${WORD}${m}])`, 'gu'), `<${tag}>$1</${tag}>`];
}
const SPANS = [span('*', 'b'), span('_', 'i'), span('~', 's')];

/** Slack mrkdwn to safe HTML: code, <tokens>, emoji, *bold*, _italic_, ~strike~, > quotes, newlines. */
export function mrkdwnToHtml(text, h = {}) {
  const held = [];
  const hold = (html) => `\uE000${held.push(html) - 1}\uE001`;
  let s = String(text ?? '');
  s = s.replace(/```\n?([\s\S]*?)```/g, (_, c) => hold(`<pre class="bk-pre">${escapeHtml(decodeSlack(c))}</pre>`));
  s = s.replace(/`([^`\n]+)`/g, (_, c) => hold(`<code class="bk-code">${escapeHtml(decodeSlack(c))}</code>`));
  s = s.replace(/<([^<>\n]+)>/g, (_, t) => hold(renderToken(t, h)));
  s = emojify(escapeHtml(decodeSlack(s)));
  for (const [re, out] of SPANS) s = s.replace(re, out);
  s = s.replace(/^&gt; ?(.*)$/gm, '<span class="bk-quote">$1</span>');
  s = s.replace(/\n/g, '<br>');
  return s.replace(/\uE000(\d+)\uE001/g, (_, i) => held[Number(i)]);
}

/** A text object (plain_text or mrkdwn) to safe HTML. */
export function textToHtml(obj, h = {}) {
  if (obj == null) return '';
  if (typeof obj === 'string') return emojify(escapeHtml(obj));
  if (obj.type === 'mrkdwn') return mrkdwnToHtml(obj.text, h);
  return emojify(escapeHtml(obj.text)).replace(/\n/g, '<br>');
}

/** A text object's plain string (emoji shortcodes replaced), for titles and labels. */
export function plainText(obj) {
  const raw = typeof obj === 'string' ? obj : obj?.text ?? '';
  return String(raw).replace(/:([a-z0-9_+-]+):/g, (m, name) => EMOJI[name] ?? m);
}

// ---- DOM ----

/** Tiny element builder: el('div', { class, text, html, onclick, 'data-x': 1 }, ...children). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else if (k === 'html') node.innerHTML = v;
    else if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c != null && c !== false) node.append(typeof c === 'string' ? document.createTextNode(c) : c);
  }
  return node;
}

/** Runs the confirm dialog when the element has one; true when the action should go ahead. */
async function confirmed(element, h) {
  if (!element.confirm) return true;
  if (!h.confirm) return window.confirm(`${plainText(element.confirm.title)}\n\n${plainText(element.confirm.text)}`);
  return Boolean(await h.confirm(element.confirm));
}

async function fire(element, blockId, extra, h) {
  if (!(await confirmed(element, h))) return false;
  await h.onAction?.({ type: element.type, action_id: element.action_id, block_id: blockId, ...extra });
  return true;
}

function renderButton(b, blockId, h) {
  const cls = ['bk-btn', b.style === 'primary' && 'bk-btn-primary', b.style === 'danger' && 'bk-btn-danger'].filter(Boolean).join(' ');
  return el('button', {
    type: 'button',
    class: cls,
    'data-action-id': b.action_id,
    'data-block-id': blockId,
    html: textToHtml(b.text),
    onclick: async () => {
      if (/^https?:\/\//i.test(b.url ?? '')) window.open(b.url, '_blank', 'noopener');
      await fire(b, blockId, { value: b.value, text: b.text }, h);
    },
  });
}

function optionEl(o, selectedValue) {
  return el('option', { value: o.value, text: plainText(o.text), selected: o.value === selectedValue });
}

function allOptions(s) {
  return [...(s.options ?? []), ...(s.option_groups ?? []).flatMap((g) => g.options ?? [])];
}

/** A static_select; `forInput` makes it a modal input (no action fired on change). */
function renderSelect(s, blockId, h, forInput = false) {
  const initial = s.initial_option?.value ?? '';
  const select = el(
    'select',
    { class: 'bk-select', 'data-action-id': s.action_id, 'data-block-id': blockId, 'aria-label': plainText(s.placeholder) || 'Select' },
    el('option', { value: '', text: plainText(s.placeholder) || 'Select an item', disabled: true, selected: !initial }),
    (s.options ?? []).map((o) => optionEl(o, initial)),
    (s.option_groups ?? []).map((g) => el('optgroup', { label: plainText(g.label) }, (g.options ?? []).map((o) => optionEl(o, initial)))),
  );
  if (forInput) return select;
  select.addEventListener('change', async () => {
    const option = allOptions(s).find((o) => o.value === select.value);
    if (!option) return;
    const ok = await fire(s, blockId, { selected_option: { text: option.text, value: option.value } }, h);
    if (!ok) select.value = initial;
  });
  return select;
}

function renderOverflow(o, blockId, h) {
  const menu = el('div', { class: 'bk-overflow-menu', hidden: true });
  const toggle = el('button', { type: 'button', class: 'bk-btn bk-overflow', 'data-action-id': o.action_id, 'data-block-id': blockId, 'aria-label': 'More actions', text: '⋯' });
  for (const option of o.options ?? []) {
    menu.append(
      el('button', {
        type: 'button',
        class: 'bk-overflow-item',
        'data-value': option.value,
        text: plainText(option.text),
        onclick: async () => {
          menu.hidden = true;
          await fire(o, blockId, { selected_option: { text: option.text, value: option.value } }, h);
        },
      }),
    );
  }
  toggle.addEventListener('click', () => (menu.hidden = !menu.hidden));
  const wrap = el('span', { class: 'bk-overflow-wrap' }, toggle, menu);
  wrap.addEventListener('focusout', (ev) => !wrap.contains(ev.relatedTarget) && (menu.hidden = true));
  return wrap;
}

function renderPlainInput(e, blockId) {
  const attrs = {
    class: 'bk-text-input',
    'data-block-id': blockId,
    'data-action-id': e.action_id,
    'data-input-type': 'plain_text_input',
    placeholder: plainText(e.placeholder) || null,
    maxlength: e.max_length ?? null,
    minlength: e.min_length ?? null,
  };
  if (e.multiline) return el('textarea', { ...attrs, rows: 4, text: e.initial_value ?? '' });
  return el('input', { ...attrs, type: 'text', value: e.initial_value ?? null });
}

/** Interactive (or input) element to DOM; unknown types show as a labelled placeholder. */
export function renderElement(e, blockId, h = {}) {
  switch (e?.type) {
    case 'button':
      return renderButton(e, blockId, h);
    case 'static_select':
      return renderSelect(e, blockId, h);
    case 'overflow':
      return renderOverflow(e, blockId, h);
    case 'plain_text_input':
      return renderPlainInput(e, blockId);
    case 'image':
      return el('span', { class: 'bk-image', text: `[image: ${e.alt_text ?? ''}]` });
    case 'mrkdwn':
    case 'plain_text':
      return el('span', { class: 'bk-context-text', html: textToHtml(e, h) });
    default:
      return el('span', { class: 'bk-unsupported', text: `[${e?.type ?? 'unknown'} element]` });
  }
}

function renderInputBlock(b, blockId, h) {
  const select = b.element?.type === 'static_select';
  const control = select ? renderSelect(b.element, blockId, h, true) : renderElement(b.element, blockId, h);
  if (select) control.setAttribute('data-input-type', 'static_select');
  if (!control.hasAttribute('data-input-type')) return el('div', { class: 'bk-input' }, plainText(b.label), ' ', control);
  if (!b.optional) control.setAttribute('data-required', '');
  return el(
    'label',
    { class: 'bk-input', 'data-block-id': blockId },
    el('span', { class: 'bk-input-label' }, plainText(b.label), b.optional ? el('span', { class: 'bk-optional', text: ' (optional)' }) : null),
    control,
    b.hint ? el('span', { class: 'bk-hint', text: plainText(b.hint) }) : null,
    el('span', { class: 'bk-input-error', 'data-error-for': blockId, hidden: true }),
  );
}

function renderBlock(b, index, h) {
  const blockId = b.block_id ?? `block-${index}`;
  switch (b.type) {
    case 'header':
      return el('h3', { class: 'bk-header', html: textToHtml(b.text) });
    case 'section':
      return el(
        'div',
        { class: 'bk-section' },
        el(
          'div',
          { class: 'bk-section-body' },
          b.text ? el('div', { class: 'bk-text', html: textToHtml(b.text, h) }) : null,
          b.fields?.length ? el('div', { class: 'bk-fields' }, b.fields.map((f) => el('div', { class: 'bk-field', html: textToHtml(f, h) }))) : null,
        ),
        b.accessory ? el('div', { class: 'bk-accessory' }, renderElement(b.accessory, blockId, h)) : null,
      );
    case 'context':
      return el('div', { class: 'bk-context' }, (b.elements ?? []).map((e) => renderElement(e, blockId, h)));
    case 'divider':
      return el('hr', { class: 'bk-divider' });
    case 'actions':
      return el('div', { class: 'bk-actions', 'data-block-id': blockId }, (b.elements ?? []).map((e) => renderElement(e, blockId, h)));
    case 'input':
      return renderInputBlock(b, blockId, h);
    case 'image':
      return el('div', { class: 'bk-image', text: `[image: ${b.alt_text ?? ''}]` });
    default:
      return el('div', { class: 'bk-unsupported', text: `[${b.type ?? 'unknown'} block]` });
  }
}

/** Renders a list of blocks into one container element. */
export function renderBlocks(blocks, handlers = {}) {
  return el('div', { class: 'bk-blocks' }, (blocks ?? []).map((b, i) => renderBlock(b, i, handlers)));
}

/**
 * Reads a modal's inputs as Slack's `view.state.values`; `errors` names required inputs left empty
 * and texts shorter than their min_length, keyed by block_id.
 */
export function readInputs(root) {
  const values = {};
  const errors = {};
  for (const input of root.querySelectorAll('[data-input-type]')) {
    const blockId = input.getAttribute('data-block-id');
    const actionId = input.getAttribute('data-action-id');
    const type = input.getAttribute('data-input-type');
    const value = input.value ?? '';
    if (type === 'static_select') {
      const option = value ? { text: { type: 'plain_text', text: input.selectedOptions?.[0]?.textContent ?? value }, value } : null;
      (values[blockId] ??= {})[actionId] = { type, selected_option: option };
    } else {
      (values[blockId] ??= {})[actionId] = { type, value: value === '' ? null : value };
    }
    const min = Number(input.getAttribute('minlength') ?? 0);
    if (input.hasAttribute('data-required') && value.trim() === '') errors[blockId] = 'This field is required.';
    else if (value && value.length < min) errors[blockId] = `Please enter at least ${min} characters.`;
  }
  return { values, errors };
}

/** Shows (or clears, with {}) per-block error messages under a modal's inputs. */
export function showInputErrors(root, errors = {}) {
  for (const slot of root.querySelectorAll('[data-error-for]')) {
    const msg = errors[slot.getAttribute('data-error-for')];
    slot.textContent = msg ?? '';
    slot.hidden = !msg;
  }
}
