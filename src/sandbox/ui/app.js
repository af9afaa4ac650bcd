// Switchyard sandbox page: a local stand-in for one Slack channel and the bot's Home tab. Talks to
// the sandbox server on the same origin: GET /sandbox/state, Server-Sent Events on /sandbox/events,
// and POST /sandbox/command, /sandbox/action, /sandbox/view and /sandbox/home.
import { el, mrkdwnToHtml, plainText, readInputs, renderBlocks, showInputErrors, textToHtml } from './blocks.js';

const USER_KEY = 'switchyard.sandbox.user';
const HISTORY_KEY = 'switchyard.sandbox.history';
const HISTORY_MAX = 50;
const BOT_NAME = 'Switchyard';
const YEAR_MS = 365 * 86_400_000;
const DEMOS = [
  '/release help',
  '/release create web-1 deploy --env staging web=registry.local/web:1.0 api=registry.local/api:1.0',
  '/bluegreen create shop --env staging --workload shop --image shop:1.0',
  '/bluegreen update shop shop:2.0',
];

/** localStorage with JSON, tolerant of private modes where storage throws. */
const store = {
  get: (key, fallback) => parseJson(safely(() => localStorage.getItem(key))) ?? fallback,
  set: (key, value) => safely(() => localStorage.setItem(key, JSON.stringify(value))),
};
function safely(fn) {
  try {
    return fn();
  } catch {
    return undefined;
  }
}
const parseJson = (text) => (text ? safely(() => JSON.parse(text)) : undefined);

const state = {
  channel: { id: '', name: 'sandbox' },
  channels: {}, // channel id -> name, for "in #…" and <#C…> mentions
  users: [],
  names: {}, // user id -> display name, for mentions
  me: store.get(USER_KEY, ''),
  messages: new Map(), // ts -> top-level Message, its replies inside
  ephemerals: new Map(), // id -> Ephemeral
  notes: new Map(), // id -> { kind: 'command' | 'error', text }: the page's own notes, never from the bot
  timeline: [], // { kind: 'message' | 'ephemeral' | 'note', key } in display order
  toggled: new Map(), // ts -> thread open or closed, as the user set it
  dismissed: new Set(), // ephemeral ids
  modals: new Map(), // user -> { view_id, view }
  homes: new Map(), // user -> their App Home view, as the bot last published it
  tab: 'channel', // 'channel' or 'home'
  loading: false,
  queued: [], // SSE events that arrived while the state was loading
};
let noteSeq = 0;
let history = store.get(HISTORY_KEY, []);
let historyPos = history.length;
let draft = '';

async function api(method, path, body) {
  const init = body ? { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : { method };
  const res = await fetch(path, init);
  const data = await res.json().catch(() => {
    throw new Error(`HTTP ${res.status} from ${path}`);
  });
  return !res.ok && data?.ok === undefined ? { ok: false, error: `HTTP ${res.status}`, ...data } : data;
}

// ---- layout ----

const ui = {
  channelName: el('span', { 'data-testid': 'channel-name' }),
  title: el('span'),
  switcher: el('select', { class: 'user-switcher', 'data-testid': 'user-switcher', 'aria-label': 'Acting as' }),
  conn: el('div', { class: 'conn', 'data-testid': 'connection', text: 'Connecting…' }),
  timeline: el('div', { class: 'timeline', 'data-testid': 'timeline', role: 'log', 'aria-live': 'polite' }),
  composer: el('input', {
    class: 'composer-input', 'data-testid': 'composer', type: 'text', autocomplete: 'off', spellcheck: 'false',
    placeholder: 'Type /release … or /bluegreen … and press Enter', 'aria-label': 'Slash command',
  }),
  overlays: el('div', { class: 'overlays' }),
  channelItem: el('button', { type: 'button', class: 'channel-item active', 'data-testid': 'channel-tab' }),
  homeItem: el('button', { type: 'button', class: 'channel-item', 'data-testid': 'home-tab', text: '🏠 Switchyard · Home' }),
  channelPane: null,
  homePane: el('main', { class: 'pane', 'data-testid': 'home', hidden: true }),
  home: el('div', { class: 'home-view', 'data-testid': 'home-view' }),
};

function buildLayout(root) {
  const fill = (cmd) => {
    ui.composer.value = cmd;
    ui.composer.focus();
  };
  const chips = DEMOS.map((cmd) => el('button', { type: 'button', class: 'chip', 'data-testid': 'demo-chip', title: cmd, text: cmd, onclick: () => fill(cmd) }));
  const sidebar = el('aside', { class: 'sidebar' },
    el('div', { class: 'workspace' }, BOT_NAME, el('span', { class: 'sandbox-tag', text: 'sandbox' })),
    el('div', { class: 'side-heading', text: 'Channels' }),
    ui.channelItem,
    el('div', { class: 'side-heading', text: 'Apps' }),
    ui.homeItem,
    el('div', { class: 'side-heading', text: 'Acting as' }),
    ui.switcher,
    el('p', { class: 'side-help', text: 'Commands, clicks, private replies and dialogs belong to this user.' }),
    ui.conn);
  const composer = el('footer', { class: 'composer-area' },
    el('div', { class: 'chips' }, chips),
    el('form', { class: 'composer', onsubmit: onSubmit }, ui.composer, el('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'send', text: 'Send' })),
    el('div', { class: 'composer-hint', text: 'Enter sends · ↑ recalls the previous command' }));
  const header = el('header', { class: 'pane-header' },
    el('h1', {}, '# ', ui.title), el('span', { class: 'pane-topic', text: 'Release cards and their threads. Start with /release help.' }));
  ui.channelItem.replaceChildren('# ', ui.channelName);
  ui.channelItem.addEventListener('click', () => showTab('channel'));
  ui.homeItem.addEventListener('click', () => showTab('home'));
  ui.homePane.replaceChildren(
    el('header', { class: 'pane-header' }, el('h1', { text: 'Switchyard' }), el('span', { class: 'pane-topic', text: 'Home: what waits for you, what runs, what failed.' })),
    ui.home);
  ui.channelPane = el('main', { class: 'pane' }, header, ui.timeline, composer);
  root.replaceChildren(sidebar, ui.channelPane, ui.homePane, ui.overlays);
  ui.switcher.addEventListener('change', () => setMe(ui.switcher.value));
  document.addEventListener('click', onPermalinkClick);
  ui.composer.addEventListener('keydown', onComposerKey);
  document.addEventListener('keydown', onGlobalKey);
}

// ---- rendering ----

const userName = (id) => state.names[id] ?? id;
const clock = (ms) => new Date(ms).toLocaleTimeString(undefined, { hour: 'numeric', minute: '2-digit' });
/** A message's time, if its ts is a real time (the stand-in may use synthetic ones). */
function tsTime(ts) {
  const ms = Number.parseFloat(ts) * 1000;
  return Number.isFinite(ms) && Math.abs(ms - Date.now()) < YEAR_MS ? clock(ms) : '';
}

function handlersFor(target) {
  return {
    users: state.names,
    channels: { ...state.channels, [state.channel.id]: state.channel.name },
    confirm: showConfirm,
    onAction: (action) => sendAction(target, action),
  };
}

function meta(time, channel, extra) {
  const elsewhere = channel && state.channel.id && channel !== state.channel.id;
  return el('div', { class: 'msg-meta' },
    el('span', { class: 'msg-author', text: BOT_NAME }), el('span', { class: 'app-badge', text: 'APP' }),
    time ? el('span', { class: 'msg-time', text: time }) : null,
    elsewhere ? el('span', { class: 'msg-channel', 'data-testid': 'msg-channel', text: `in #${state.channels[channel] ?? channel}` }) : null,
    extra);
}

/** Blocks (or the text when there are none), files if any, and the "(edited)" mark. */
function content(m, target) {
  const h = handlersFor(target);
  const body = m.blocks?.length ? renderBlocks(m.blocks, h) : el('div', { class: 'msg-text', html: mrkdwnToHtml(m.text ?? '', h) });
  const files = (m.files ?? []).map((f) => {
    const name = f.title ?? f.name ?? f.id ?? 'file';
    const href = [f.url, f.url_private, f.permalink].find((u) => /^(https?:\/\/|\/)/i.test(u ?? ''));
    const preview = f.preview ? el('pre', { class: 'file-preview', 'data-testid': 'file-preview', text: f.preview }) : null;
    return el('div', { class: 'file', 'data-testid': 'file' }, '📄 ', href ? el('a', { href, target: '_blank', rel: 'noopener', text: name }) : name, preview);
  });
  const edited = m.edited ? el('span', { class: 'edited', 'data-testid': 'edited', text: '(edited)' }) : null;
  return el('div', { class: 'msg-content' }, body, files, edited);
}

/** When a message was posted: the time the sandbox saw it, else its ts when that is a real time. */
const postedAt = (m) => (m.at ? clock(m.at) : tsTime(m.ts));

const avatar = () => el('div', { class: 'avatar', 'aria-hidden': 'true', text: 'S' });

function newestTs() {
  for (let i = state.timeline.length - 1; i >= 0; i--) if (state.timeline[i].kind === 'message') return state.timeline[i].key;
  return undefined;
}
/** Threads are open where the user opened them, and on the newest card otherwise. */
const threadOpen = (ts) => state.toggled.get(ts) ?? ts === newestTs();

function renderMessage(m) {
  const replies = m.replies ?? [];
  const open = replies.length > 0 && threadOpen(m.ts);
  const toggle = el('button', {
    type: 'button', class: 'thread-toggle', 'data-testid': 'thread-toggle', 'aria-expanded': String(open),
    text: `${open ? '▾' : '▸'} ${replies.length} ${replies.length === 1 ? 'reply' : 'replies'}`,
    onclick: () => {
      state.toggled.set(m.ts, !open);
      upsert('message', m.ts);
    },
  });
  const thread = el('div', { class: 'thread', 'data-testid': 'thread' }, replies.map((r) =>
    el('div', { class: 'reply', 'data-testid': 'reply', 'data-ts': r.ts }, meta(postedAt(r)), content(r, { channel: r.channel ?? m.channel, message_ts: r.ts }))));
  return el('article', { class: 'msg', 'data-testid': 'message', 'data-ts': m.ts }, avatar(),
    el('div', { class: 'msg-body' }, meta(postedAt(m), m.channel), content(m, { channel: m.channel, message_ts: m.ts }),
      replies.length ? toggle : null, open ? thread : null));
}

function renderEphemeral(e) {
  const dismiss = el('a', { href: '#', class: 'dismiss', 'data-testid': 'ephemeral-dismiss', text: 'Dismiss message' });
  dismiss.addEventListener('click', (ev) => {
    ev.preventDefault();
    state.dismissed.add(e.id);
    nodeFor('ephemeral', e.id)?.remove();
  });
  const only = el('span', { class: 'only-you', text: 'Only visible to you' });
  return el('article', { class: 'msg ephemeral', 'data-testid': 'ephemeral', 'data-id': e.id }, avatar(),
    el('div', { class: 'msg-body' }, meta(e.at ? clock(e.at) : '', e.channel, only), content(e, { channel: e.channel, message_ts: e.id, ephemeral: true }), dismiss));
}

function renderNote(n) {
  return el('div', { class: `note note-${n.kind}`, 'data-testid': n.kind === 'error' ? 'sandbox-error' : 'command-echo' }, n.text);
}

/** The DOM node of a timeline entry, or null when the current user does not see it. */
function render(kind, key) {
  let node = null;
  if (kind === 'message' && state.messages.has(key)) node = renderMessage(state.messages.get(key));
  if (kind === 'note' && state.notes.has(key)) node = renderNote(state.notes.get(key));
  const e = kind === 'ephemeral' ? state.ephemerals.get(key) : undefined;
  if (e && e.user === state.me && !state.dismissed.has(key)) node = renderEphemeral(e);
  if (node) node.dataset.key = `${kind}:${key}`;
  return node;
}

const nodeFor = (kind, key) => [...ui.timeline.children].find((n) => n.dataset.key === `${kind}:${key}`);

/** Replaces an entry's node in place, or appends it; keeps the view at the bottom if it was there (or `force`). */
function upsert(kind, key, force = false) {
  const t = ui.timeline;
  const atBottom = t.scrollHeight - t.scrollTop - t.clientHeight < 80;
  const node = render(kind, key);
  const old = nodeFor(kind, key);
  if (old && node) old.replaceWith(node);
  else if (old) old.remove();
  else if (node) t.append(node);
  if (atBottom || force) t.scrollTop = t.scrollHeight;
}

function renderAll() {
  ui.channelName.textContent = ui.title.textContent = state.channel.name;
  document.title = `#${state.channel.name} · Switchyard sandbox`;
  const label = (u) => (u.roles?.length ? `${u.name} (${u.roles.join(', ')})` : u.name);
  const options = state.users.map((u) => el('option', { value: u.id, selected: u.id === state.me, text: label(u) }));
  ui.switcher.replaceChildren(...(options.length ? options : [el('option', { value: '', text: 'No users' })]));
  ui.timeline.replaceChildren(...state.timeline.map(({ kind, key }) => render(kind, key)).filter(Boolean));
  ui.timeline.scrollTop = ui.timeline.scrollHeight;
  ui.channelPane.hidden = state.tab !== 'channel';
  ui.homePane.hidden = state.tab !== 'home';
  ui.channelItem.classList.toggle('active', state.tab === 'channel');
  ui.homeItem.classList.toggle('active', state.tab === 'home');
  renderHome();
  syncModal();
}

/** The current user's Home as the bot published it; until it comes, a word that it is on its way. */
function renderHome() {
  const view = state.homes.get(state.me);
  if (!view) return ui.home.replaceChildren(el('p', { class: 'home-empty', text: 'Opening your Home… (the bot publishes it when you open the tab)' }));
  ui.home.replaceChildren(renderBlocks(view.blocks ?? [], handlersFor({ channel: state.channel.id, view_id: view.id })));
}

/** Switch between the channel and the Home tab; opening the Home tells the bot, as Slack does. */
function showTab(tab) {
  state.tab = tab;
  renderAll();
  if (tab === 'home') openHome();
}

async function openHome() {
  try {
    const res = await api('POST', '/sandbox/home', { user: state.me });
    if (!res.ok) note('error', `Could not open the Home: ${res.error ?? 'unknown error'}`);
  } catch (err) {
    note('error', `Could not open the Home: ${err.message}`);
  }
}

/** A card's permalink (…/archives/<channel>/p<ts>) opens the card here instead of a real Slack. */
function onPermalinkClick(ev) {
  const a = ev.target.closest?.('a[href]');
  const m = a && /\/archives\/([A-Z0-9]+)\/p(\d{7,})$/.exec(a.getAttribute('href'));
  if (!m) return;
  ev.preventDefault();
  const ts = `${m[2].slice(0, -6)}.${m[2].slice(-6)}`;
  if (state.tab !== 'channel') showTab('channel');
  const node = nodeFor('message', ts);
  if (!node) return note('error', 'That card is not in this channel any more.');
  node.scrollIntoView({ block: 'center' });
  node.classList.add('flash');
  setTimeout(() => node.classList.remove('flash'), 1600);
}

function note(kind, text) {
  const id = String(++noteSeq);
  state.notes.set(id, { kind, text });
  state.timeline.push({ kind: 'note', key: id });
  upsert('note', id, true);
}

function setConn(live) {
  ui.conn.textContent = live ? '● Live' : '● Reconnecting…';
  ui.conn.className = `conn ${live ? 'conn-live' : 'conn-down'}`;
}

// ---- state and live updates ----

function setMe(id) {
  state.me = id;
  store.set(USER_KEY, id);
  renderAll();
  if (state.tab === 'home') openHome();
}

function applySnapshot(snap) {
  state.channel = snap.channel ?? state.channel;
  state.channels = snap.channels ?? state.channels;
  for (const [user, view] of Object.entries(snap.homes ?? {})) state.homes.set(user, view);
  state.users = snap.users ?? [];
  state.names = Object.fromEntries([['UBOT', BOT_NAME], ...state.users.map((u) => [u.id, u.name])]);
  if (!state.users.some((u) => u.id === state.me)) state.me = state.users[0]?.id ?? '';
  state.messages = new Map((snap.messages ?? []).map((m) => [m.ts, { ...m, replies: m.replies ?? [] }]));
  state.ephemerals = new Map((snap.ephemerals ?? []).map((e) => [e.id, e]));
  state.notes.clear();
  // Arrival order is gone after a reload: interleave ephemerals by time when the message ts are real times.
  const msgs = [...state.messages.values()].map((m) => ({ kind: 'message', key: m.ts, t: m.at ?? Number.parseFloat(m.ts) * 1000 }));
  const ephs = [...state.ephemerals.values()].map((e) => ({ kind: 'ephemeral', key: e.id, t: e.at ?? 0 })).sort((a, b) => a.t - b.t);
  const all = [...msgs, ...ephs];
  if (msgs.every((m) => Math.abs(m.t - Date.now()) < YEAR_MS)) all.sort((a, b) => a.t - b.t);
  state.timeline = all.map(({ kind, key }) => ({ kind, key }));
  renderAll();
}

let loadGen = 0;
async function load() {
  const gen = ++loadGen;
  state.loading = true;
  try {
    const snap = await api('GET', '/sandbox/state');
    if (gen === loadGen) applySnapshot(snap);
  } catch (err) {
    if (gen === loadGen) note('error', `Could not load the channel: ${err.message}`);
  } finally {
    if (gen === loadGen) {
      state.loading = false;
      for (const [type, data] of state.queued.splice(0)) handle(type, data);
    }
  }
}

let reloadTimer;
function scheduleReload() {
  clearTimeout(reloadTimer);
  reloadTimer = setTimeout(load, 200);
}

function onMessage(m) {
  if (m.channel && m.channel_name) state.channels[m.channel] = m.channel_name;
  if (m.thread_ts && m.thread_ts !== m.ts) {
    const parent = state.messages.get(m.thread_ts);
    if (!parent) return scheduleReload();
    const i = parent.replies.findIndex((r) => r.ts === m.ts);
    if (i >= 0) parent.replies[i] = { ...m, edited: m.edited ?? true };
    else parent.replies.push(m);
    return upsert('message', parent.ts);
  }
  const old = state.messages.get(m.ts);
  if (old) {
    state.messages.set(m.ts, { ...m, replies: m.replies ?? old.replies, edited: m.edited ?? true });
    return upsert('message', m.ts);
  }
  const previous = newestTs();
  state.messages.set(m.ts, { ...m, replies: m.replies ?? [] });
  state.timeline.push({ kind: 'message', key: m.ts });
  if (previous && !state.toggled.has(previous)) upsert('message', previous); // its thread folds away
  upsert('message', m.ts);
}

function onEphemeral(e) {
  if (!e?.id || state.ephemerals.has(e.id)) return;
  state.ephemerals.set(e.id, e);
  state.timeline.push({ kind: 'ephemeral', key: e.id });
  upsert('ephemeral', e.id, e.user === state.me);
}

function handle(type, data) {
  if (state.loading && type !== 'reset') return void state.queued.push([type, data]);
  if (type === 'message') onMessage(data);
  else if (type === 'ephemeral') onEphemeral(data);
  else if (type === 'home') {
    state.homes.set(data.user, data.view);
    if (data.user === state.me && state.tab === 'home') renderHome();
  } else if (type === 'modal') {
    state.modals.set(data.user ?? state.me, { view_id: data.view_id, view: data.view });
    syncModal();
  } else if (type === 'reset') {
    for (const s of [state.modals, state.toggled, state.dismissed, state.homes]) s.clear();
    load();
  }
}

let retryMs = 1000;
function connect() {
  const source = new EventSource('/sandbox/events');
  source.addEventListener('open', () => {
    setConn(true);
    retryMs = 1000;
    load(); // whatever happened before (or while disconnected) comes from the state
  });
  source.addEventListener('error', () => {
    setConn(false);
    if (source.readyState !== EventSource.CLOSED) return; // the browser retries by itself
    source.close();
    setTimeout(connect, retryMs);
    retryMs = Math.min(retryMs * 2, 15_000);
  });
  for (const type of ['message', 'ephemeral', 'modal', 'home', 'reset']) {
    source.addEventListener(type, (ev) => {
      const data = ev.data ? parseJson(ev.data) : {};
      if (data) handle(type, data);
    });
  }
}

// ---- actions and commands ----

async function sendAction(target, action) {
  const body = { user: state.me, channel: target.channel ?? state.channel.id, message_ts: target.message_ts, action };
  if (target.ephemeral) body.is_ephemeral = true;
  if (target.view_id) body.view_id = target.view_id;
  try {
    const res = await api('POST', '/sandbox/action', body);
    if (!res.ok) note('error', `The click was not accepted: ${res.error ?? 'unknown error'}`);
  } catch (err) {
    note('error', `Could not send the click: ${err.message}`);
  }
}

async function onSubmit(ev) {
  ev.preventDefault();
  const text = ui.composer.value.trim();
  if (!text) return;
  if (!text.startsWith('/')) return note('error', 'Type a slash command here: /release … or /bluegreen … (try /release help).');
  history = [...history.filter((h) => h !== text), text].slice(-HISTORY_MAX);
  historyPos = history.length;
  store.set(HISTORY_KEY, history);
  ui.composer.value = '';
  note('command', `${userName(state.me)} ran ${text}`);
  try {
    const res = await api('POST', '/sandbox/command', { user: state.me, text });
    if (res.ephemeral) onEphemeral(res.ephemeral);
    if (!res.ok) note('error', res.error ?? 'The command failed.');
  } catch (err) {
    note('error', `Could not send the command: ${err.message}`);
  }
}

/** Up and Down walk the command history; the line being typed comes back at the end. */
function onComposerKey(ev) {
  if (ev.key === 'ArrowUp' && history.length) {
    ev.preventDefault();
    if (historyPos === history.length) draft = ui.composer.value;
    historyPos = Math.max(0, historyPos - 1);
    ui.composer.value = history[historyPos];
  } else if (ev.key === 'ArrowDown' && historyPos < history.length) {
    ev.preventDefault();
    historyPos += 1;
    ui.composer.value = historyPos === history.length ? draft : history[historyPos];
  }
}

// ---- dialogs ----

let closeConfirm = null;
/** Slack's confirm dialog for a control; resolves true on confirm, false on deny or Escape. */
function showConfirm(c) {
  return new Promise((resolve) => {
    const close = (result) => {
      overlay.remove();
      closeConfirm = null;
      resolve(result);
    };
    const ok = el('button', { type: 'button', class: `btn ${c.style === 'danger' ? 'btn-danger' : 'btn-primary'}`, 'data-testid': 'confirm-ok', html: textToHtml(c.confirm ?? 'Confirm'), onclick: () => close(true) });
    const deny = el('button', { type: 'button', class: 'btn', 'data-testid': 'confirm-cancel', html: textToHtml(c.deny ?? 'Cancel'), onclick: () => close(false) });
    const overlay = el('div', { class: 'overlay', 'data-testid': 'confirm' },
      el('div', { class: 'dialog', role: 'alertdialog', 'aria-modal': 'true' },
        el('h2', { class: 'dialog-title', html: textToHtml(c.title ?? 'Are you sure?') }),
        el('div', { class: 'dialog-text', html: textToHtml(c.text, { users: state.names }) }),
        el('div', { class: 'dialog-buttons' }, deny, ok)));
    closeConfirm = () => close(false);
    ui.overlays.append(overlay);
    ok.focus();
  });
}

let openModal = null; // { user, view_id, view, node }
/** Shows the current user's modal (if any), hides anyone else's. */
function syncModal() {
  const want = state.modals.get(state.me);
  if (openModal && (openModal.user !== state.me || openModal.view !== want?.view)) {
    openModal.node.remove();
    openModal = null;
  }
  if (want && !openModal) {
    openModal = { user: state.me, ...want, node: renderModal(state.me, want) };
    ui.overlays.append(openModal.node);
    openModal.node.querySelector('textarea, input, select')?.focus();
  }
}

function closeModal(user) {
  state.modals.delete(user);
  syncModal();
}

function renderModal(user, { view_id, view }) {
  const blocks = view?.blocks ?? [];
  const error = el('div', { class: 'modal-error', 'data-testid': 'modal-error', hidden: true });
  const fail = (text) => Object.assign(error, { textContent: text, hidden: false });
  const hasInputs = blocks.some((b) => b.type === 'input');
  const submit = hasInputs || view?.submit ? el('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'modal-submit', text: plainText(view.submit) || 'Submit' }) : null;
  const cancel = () => closeModal(user);
  const form = el('form', { class: 'modal', 'data-testid': 'modal', 'data-view-id': view_id, role: 'dialog', 'aria-modal': 'true' },
    el('header', { class: 'modal-header' },
      el('h2', { text: plainText(view?.title) || 'Dialog' }), el('button', { type: 'button', class: 'modal-x', 'aria-label': 'Close', text: '×', onclick: cancel })),
    el('div', { class: 'modal-body' }, renderBlocks(blocks, handlersFor({ channel: state.channel.id, view_id }))),
    error,
    el('footer', { class: 'modal-footer' },
      el('button', { type: 'button', class: 'btn', 'data-testid': 'modal-cancel', text: plainText(view?.close) || 'Cancel', onclick: cancel }), submit));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const { values, errors } = readInputs(form);
    showInputErrors(form, errors);
    error.hidden = true;
    if (Object.keys(errors).length || !submit) return;
    submit.disabled = true;
    try {
      const res = await api('POST', '/sandbox/view', { user, view_id, values });
      if (res.errors) showInputErrors(form, res.errors);
      else if (res.response_action === 'update' && res.view) {
        state.modals.set(user, { view_id, view: res.view });
        syncModal();
      } else if (res.ok === false) fail(res.error ?? 'The dialog was not accepted.');
      else closeModal(user);
    } catch (err) {
      fail(`Could not submit: ${err.message}`);
    } finally {
      submit.disabled = false;
    }
  });
  return el('div', { class: 'overlay', 'data-testid': 'modal-overlay' }, form);
}

function onGlobalKey(ev) {
  if (ev.key !== 'Escape') return;
  if (closeConfirm) closeConfirm();
  else if (openModal) closeModal(openModal.user);
}

// ---- start: render the empty page, load the channel, then follow it live ----

buildLayout(document.getElementById('app'));
renderAll();
load();
connect();
