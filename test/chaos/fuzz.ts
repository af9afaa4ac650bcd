/**
 * Fuzz: 1,000 random slash-command texts and 300 random block_actions / view_submission
 * payloads, all validly signed, against one bot process (web and worker). Inputs come from a
 * seeded generator: commands built from the grammar's own forms with mention and link injections
 * (`<!channel>`, `<@U0EVIL>`, `<https://evil.example|…>`, raw and as Slack escapes them), the
 * same mutated, and garbage; payloads aimed at real tasks and a real blue-green job, mutated,
 * and structurally damaged (fields missing or of the wrong type). Every request has a user ID of
 * its own, so whatever the bot stores (audit entries, tasks, jobs) is traced to the one request
 * that caused it.
 *
 * Figures: commands and payloads sent; slowest answer (must be under 3 s; no answer counts as
 * the 10 s timeout); 5xx answers; crashes (the process exited or stopped answering /healthz);
 * stored (requests that were refused yet left an audit entry (other than the click-refused record
 * of a click naming another card), task or job behind: a command is
 * accepted only if its reply says "Created …"; a payload is refused if it was damaged or the bot
 * answered the clicker privately); unescaped (channel messages, posted or edited, whose text or
 * mrkdwn carries a mention, channel/here/everyone, a channel link or a URL link from the input).
 */
import type { Redis } from 'ioredis';
import { COMMON_ALPHABET, fuzzer } from '../support/fuzz.js';
import { slashCommandBody } from '../support/slack-signing.js';
import {
  ackText,
  botEnv,
  Figures,
  openStore,
  pool,
  postSignedForm,
  probe,
  slackQueueIdle,
  SlackUser,
  spawnBot,
  stage,
  waitFor,
  type Answer,
  type BotProcess,
  type ScenarioContext,
  type ScenarioResult,
} from './harness.js';

const CHANNEL = 'C0FUZZ';
const COMMANDS = 1000;
const PAYLOADS = 300;
const ANSWER_MS = 3000;
/** Stands for the target's current card version in a payload, filled in when it is sent. */
const CURRENT = '{current-version}';

/** What user input may try to smuggle into a channel message. */
const INJECT = [
  '<!channel>', '<!here>', '<!everyone>', '<@U0EVIL>', '<#C0EVIL|evil>', '<!subteam^S0EVIL>',
  '<https://evil.example/x|click me>', '<mailto:evil@example.com|mail>', 'https://evil.example/bare',
  '&lt;!channel&gt;', '&lt;@U0EVIL&gt;', '&lt;https://evil.example|x&gt;', '&amp;lt;!here&amp;gt;',
  '*bold*', '`tick`', '_it_', '~s~', '> quote', '\n', '"', "'",
];
const WORDS = ['create ', 'plan ', 'deploy ', 'upgrade ', 'clone ', ' --env ', ' --from ', ' --parallel ', ' --best-effort', ' --desc ', ' --new-env', '=', 'x3', 'rt-', 'start ', 'list', ' --status ', 'show ', 'update ', 'release ', ' --workload ', ' --image ', ' --replicas ', ' --force'];

/** Every user ID we sent requests as: the only mentions a channel message may carry. */
const knownUser = (id: string) => /^(UFZ[CP]\d{4}|U0SETUP)$/.test(id);

/** Texts of a message Slack would render as mrkdwn: its `text` and every mrkdwn object in its blocks. */
function mrkdwnTexts(args: Record<string, unknown>): string[] {
  const out: string[] = [];
  if (typeof args.text === 'string') out.push(args.text);
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (!v || typeof v !== 'object') return;
    const o = v as Record<string, unknown>;
    if (o.type === 'mrkdwn' && typeof o.text === 'string') out.push(o.text);
    for (const [k, x] of Object.entries(o)) if (k !== 'text' || typeof x !== 'string') walk(x);
  };
  walk(args.blocks);
  return out;
}

/** Control sequences in mrkdwn that did not come from the bot itself (dates, its users). */
function unescapedIn(text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(/<([^>]*)>?/g)) {
    const inner = m[1] ?? '';
    if (/^!date\^/.test(inner)) continue;
    const user = /^@([A-Z0-9]+)(\|[^>]*)?$/.exec(inner);
    if (user && knownUser(user[1]!)) continue;
    if (/^[!@#]/.test(inner) || /^[a-z][a-z0-9+.-]*:/i.test(inner)) found.push(m[0]);
  }
  return found;
}

interface Sent {
  kind: 'command' | 'payload';
  user: string;
  answer: Answer;
  /** The bot refused it (by its reply), or it was not a request the bot could act on. */
  refused: boolean;
  input: string;
}

export async function fuzz(ctx: ScenarioContext): Promise<ScenarioResult> {
  const alphabet = [...COMMON_ALPHABET, ...INJECT, ...WORDS];
  const fz = fuzzer(alphabet, ctx.seed + 3);
  const { random, pick } = fz;
  const { redis, slack, store, prefix } = await stage(ctx, { prefix: 'chaos-fuzz', random });
  const procs: BotProcess[] = [];
  ctx.defer(() => Promise.all(procs.map((p) => p.stop(2000))).then(() => undefined));
  const bot = await spawnBot(
    'bot',
    botEnv({ redisUrl: redis.url, prefix, slackApiUrl: slack.apiUrl, role: 'all' }, {
      SIM_LATENCY_MS: '20',
      CARD_COALESCE_MS: '200',
      SLACK_CALLS_PER_SEC: '100',
    }),
  );
  procs.push(bot);
  const endpoint = `${bot.url}/slack/events`;

  // Real things for the payloads to aim at.
  const setup = new SlackUser(bot.url, CHANNEL, 'U0SETUP', slack.base);
  const taskIds: string[] = [];
  for (let i = 0; i < 8; i++) taskIds.push(await setup.create(`fuzz-setup-${i} deploy --env fuzz-setup a${i}=registry.local/a:1 b${i}=registry.local/b:1 --new-env`));
  await setup.command('create shop --env fuzz-setup --workload shop --image registry.local/shop:1', { command: '/bluegreen' });
  await waitFor('the setup cards', 15_000, async () => (await Promise.all(taskIds.map((id) => store.cards.get(id)))).every(Boolean), { signal: ctx.signal });

  // ------------------------------------------------------------------ commands
  const word = () => pick(['web', 'api', 'db', 'x', 'shop', 'a-b', 'c1']) + (random() < 0.1 ? pick(INJECT) : '');
  const inDesc = INJECT.filter((x) => x !== '"');
  const env = () => (random() < 0.8 ? pick(['fuzz-setup', 'fz-a', 'fz-b', 'staging', 'prod']) : word());
  const image = () => (random() < 0.95 ? `registry.local/${pick(['web', 'api'])}:${Math.floor(random() * 9)}` : word());
  const desc = () => ` --desc "${Array.from({ length: 1 + Math.floor(random() * 4) }, () => (random() < 0.6 ? pick(inDesc) : pick(['hi', 'release', 'ok']))).join(' ')}"`;
  const ghost = () => pick(['nope', 'ghost-1', 'never']) + (random() < 0.3 ? pick(INJECT) : '');
  const opt = (p: number, s: () => string) => (random() < p ? s() : '');
  const comps = () => {
    const names = ['web', 'api', 'db', 'x', 'c1'].sort(() => random() - 0.5).slice(0, 1 + Math.floor(random() * 3));
    if (random() < 0.1) names[0] += pick(INJECT);
    return names.map((n) => `${n}=${image()}${opt(0.2, () => `x${1 + Math.floor(random() * 3)}`)}`).join(' ');
  };
  const deployCreate = () =>
    `create ${word()} deploy --env ${env()} ${comps()}${opt(0.3, () => ` --parallel ${1 + Math.floor(random() * 4)}`)}${opt(0.3, () => ' --best-effort')}${opt(0.8, desc)}${opt(0.8, () => ' --new-env')}`;
  const releaseForms: Array<() => string> = [
    deployCreate,
    deployCreate,
    deployCreate,
    deployCreate,
    () => `create ${word()} upgrade --env fuzz-setup ${comps()}${opt(0.6, desc)}`,
    () => `create ${word()} clone --from fuzz-setup --env ${env()} a0 b1${opt(0.6, () => ' --new-env')}${opt(0.5, desc)}`,
    () => `plan ${word()} deploy --env ${env()} ${comps()}${opt(0.5, desc)}`,
    // Operations name tasks that never exist: a command is accepted only when it creates.
    () => `${pick(['start', 'suspend', 'resume', 'retry', 'delete', 'show', 'approve'])} rt-${pick(['zzzzzz', 'qqqqqq', '000000'])}`,
    () => `rollback rt-zzzzzz${opt(0.5, () => ' --force')}`,
    () => `reject rt-zzzzzz --reason "${pick(INJECT)}"`,
    () => `list${opt(0.5, () => ` --status "${pick(['Released', 'To release', 'Bogus'])}"`)}${opt(0.3, () => ` --env ${env()}`)}`,
    () => `components ${env()}`,
    () => `audit ${pick(['7d', '12h', '--since 30m', 'rt-zzzzzz'])}`,
    () => 'help',
    () => '',
  ];
  const bgCreate = () =>
    `create ${word()} --env ${env()} --workload ${word()} --image ${image()}${opt(0.3, () => ` --replicas ${1 + Math.floor(random() * 3)}`)}${opt(0.8, desc)}${opt(0.8, () => ' --new-env')}`;
  const bgForms: Array<() => string> = [
    bgCreate,
    bgCreate,
    bgCreate,
    // Operations name jobs that never exist: a command is accepted only when it creates.
    () => `update ${ghost()} ${image()}`,
    () => `${pick(['release', 'terminate', 'history', 'show', 'approve', 'reject'])} ${ghost()}`,
    () => `rollback ${ghost()} ${Math.floor(random() * 4)}${opt(0.5, () => ' --force')}`,
    () => `list${opt(0.5, () => ` --env ${env()}`)}`,
    () => 'help',
  ];
  const commandText = (bg: boolean): string => {
    const form = pick(bg ? bgForms : releaseForms)();
    const r = random();
    if (r < 0.45) return form;
    if (r < 0.8) return fz.mutate(form);
    return fz.garbage(30);
  };
  // As Slack sends it: & < > escaped (unless the command unescapes mentions, so both forms).
  const slackEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

  const commands = Array.from({ length: COMMANDS }, (_, i) => {
    const bg = random() < 0.3;
    const raw = commandText(bg);
    return { i, user: `UFZC${String(i).padStart(4, '0')}`, command: bg ? '/bluegreen' : '/release', text: random() < 0.5 ? raw : slackEscape(raw) };
  });
  const sent: Sent[] = [];
  let crashed = false;
  await pool(commands, 3, async (c) => {
    if (ctx.signal.aborted || crashed) return;
    const body = slashCommandBody({ command: c.command, text: c.text, user_id: c.user, channel_id: CHANNEL, response_url: `${slack.base}hooks/${c.user}` });
    const answer = await postSignedForm(endpoint, body, 10_000);
    if (answer.status === 0 && !bot.alive) crashed = true;
    sent.push({ kind: 'command', user: c.user, answer, refused: false, input: `${c.command} ${c.text}` });
  });

  // ------------------------------------------------------------------ payloads
  const TASK_VERBS = ['start', 'delete', 'suspend', 'resume', 'retry', 'rollback', 'approve', 'reject'];
  const BG_VERBS = ['release', 'terminate', 'rollback', 'approve', 'reject'];
  const payloads = Array.from({ length: PAYLOADS }, (_, i) => {
    const user = `UFZP${String(i).padStart(4, '0')}`;
    let damaged = false;
    let payload: Record<string, unknown>;
    let target: { kind: 'task' | 'bluegreen'; id: string } | undefined;
    if (random() < 0.75) {
      const bgAction = random() < 0.3;
      const verb = pick(bgAction ? BG_VERBS : TASK_VERBS);
      target = bgAction ? { kind: 'bluegreen', id: 'shop' } : { kind: 'task', id: pick(taskIds) };
      const r = random();
      // Half the well-formed values carry the card's current version (filled in when sent).
      const good = `${verb}${verb === 'rollback' && bgAction ? ' shop 1' : ` ${target.id}`} @v${random() < 0.5 ? CURRENT : Math.floor(random() * 4)}`;
      const value = r < 0.5 ? good : r < 0.75 ? fz.mutate(good) : fz.garbage(20);
      const prefixOk = random() < 0.9;
      const actionId = prefixOk ? `${bgAction ? 'bluegreen' : 'release'}.${verb}` : pick(['unknown.thing', fz.garbage(8), '']);
      if (!prefixOk) damaged = true;
      const action: Record<string, unknown> =
        random() < 0.8
          ? { type: 'button', action_id: actionId, block_id: 'actions', value, action_ts: '1700000000.000001' }
          : { type: 'static_select', action_id: actionId, block_id: 'actions', selected_option: { value, text: { type: 'plain_text', text: 'x' } }, action_ts: '1700000000.000001' };
      payload = {
        type: 'block_actions',
        user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: 'T0TEST' },
        api_app_id: 'A0TEST',
        token: 'verification-token',
        container: { type: 'message', message_ts: '1700000000.000100', channel_id: CHANNEL, is_ephemeral: false },
        trigger_id: `${i}.1.fuzz`,
        team: { id: 'T0TEST', domain: 'switchyard-test' },
        channel: { id: CHANNEL, name: 'releases' },
        message: { type: 'message', ts: '1700000000.000100', text: '', blocks: [] },
        response_url: `${slack.base}hooks/${user}`,
        actions: [action],
      };
    } else {
      const r = random();
      const meta = JSON.stringify({ kind: random() < 0.7 ? 'task' : 'bluegreen', id: random() < 0.7 ? pick(taskIds) : 'shop', version: Math.floor(random() * 4), channel: CHANNEL });
      const callback = random() < 0.8 ? 'reject-reason' : fz.garbage(10);
      if (callback !== 'reject-reason') damaged = true;
      payload = {
        type: 'view_submission',
        team: { id: 'T0TEST', domain: 'switchyard-test' },
        user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: 'T0TEST' },
        api_app_id: 'A0TEST',
        token: 'verification-token',
        trigger_id: `${i}.2.fuzz`,
        view: {
          id: `V${i}`,
          type: 'modal',
          callback_id: callback,
          private_metadata: r < 0.5 ? meta : r < 0.75 ? fz.mutate(meta) : fz.garbage(20),
          state: { values: { reason: { reason: { type: 'plain_text_input', value: `${pick(INJECT)} ${fz.garbage(10)}` } } } },
          hash: '1',
        },
      };
    }
    // Structural damage: a field missing or of the wrong type. Without its user, actions or
    // view the request cannot be acted on; other fields the bot may do without.
    let damage = '';
    if (random() < 0.15) {
      const key = pick(Object.keys(payload).filter((k) => k !== 'type'));
      const how = random();
      if (how < 0.5) delete payload[key];
      else payload[key] = pick([null, 42, 'x', [], {}]);
      damage = `${key} ${how < 0.5 ? 'missing' : `= ${JSON.stringify(payload[key])}`}`;
      if (['user', 'actions', 'view'].includes(key)) damaged = true;
    }
    const act = (payload.actions as Array<Record<string, unknown>> | undefined)?.[0];
    const view = payload.view as Record<string, unknown> | undefined;
    const what =
      payload.type === 'block_actions'
        ? `block_actions ${String(act?.action_id)} ${JSON.stringify(act?.value ?? (act?.selected_option as { value?: string } | undefined)?.value)}`
        : `view_submission ${JSON.stringify(view?.callback_id)} metadata ${JSON.stringify(view?.private_metadata)}`;
    return { user, damaged, what: `${what}${damage ? ` (${damage})` : ''}`, json: JSON.stringify(payload), target };
  });
  const currentVersion = async (t: { kind: 'task' | 'bluegreen'; id: string } | undefined) =>
    String(t?.kind === 'task' ? ((await store.tasks.get(t.id))?.stateVersion ?? 0) : t ? ((await store.jobs.get(t.id))?.version ?? 0) : 0);
  await pool(payloads, 4, async (p) => {
    if (ctx.signal.aborted || crashed) return;
    const json = p.json.includes(CURRENT) ? p.json.split(CURRENT).join(await currentVersion(p.target)) : p.json;
    const answer = await postSignedForm(endpoint, new URLSearchParams({ payload: json }).toString(), 10_000);
    if (answer.status === 0 && !bot.alive) crashed = true;
    sent.push({ kind: 'payload', user: p.user, answer, refused: p.damaged, input: p.what });
  });

  // ------------------------------------------------------------------ what happened
  await slackQueueIdle(store, 30_000, ctx.signal).catch((e: Error) => ctx.log(e.message));
  const healthy = bot.alive && (await probe(bot.url, '/healthz')) === 200;
  const crashes = healthy ? 0 : 1;

  // Replies: the ack, or what came by response_url after "Working on it…".
  const hookText = (user: string) =>
    slack.hooks
      .filter((h) => h.path === `/hooks/${user}`)
      .map((h) => (h.body as { text?: string } | undefined)?.text ?? '')
      .join('\n');
  const ephemeralTo = new Set(slack.standin.ephemerals.map((e) => e.user));
  for (const s of sent) {
    if (s.kind === 'command') {
      const reply = `${ackText(s.answer)}\n${hookText(s.user)}`;
      s.refused = !/(^|\n)Created (release task|blue-green job) /.test(reply);
    } else if (ephemeralTo.has(s.user)) {
      s.refused = true;
    }
  }
  const storedBy = await whatEachUserStored(store.redis, prefix, store);
  const storedRefused = sent.filter((s) => s.refused && (storedBy.get(s.user) ?? 0) > 0);

  const channelMessages = slack.standin.calls.filter(
    (c) => (c.method === 'chat.postMessage' || c.method === 'chat.update') && c.status === 200,
  );
  const unescaped: string[] = [];
  for (const c of channelMessages) {
    const bad = mrkdwnTexts(c.args).flatMap(unescapedIn);
    if (bad.length) unescaped.push(`${c.method}: ${bad.join(' ')} in "${String(c.args.text ?? '').slice(0, 120)}"`);
  }

  const answered = sent.filter((s) => s.answer.status !== 0);
  const slowest = Math.max(0, ...sent.map((s) => (s.answer.status === 0 ? Math.max(s.answer.ms, 10_000) : s.answer.ms)));
  const fivexx = sent.filter((s) => s.answer.status >= 500);
  const accepted = (kind: Sent['kind']) => sent.filter((s) => s.kind === kind && (storedBy.get(s.user) ?? 0) > 0 && !s.refused).length;
  const nCommands = sent.filter((s) => s.kind === 'command').length;
  const nPayloads = sent.filter((s) => s.kind === 'payload').length;
  const f = new Figures('fuzz')
    .add(`${nCommands} commands (${accepted('command')} accepted)`, nCommands === COMMANDS, `${COMMANDS} sent`)
    .add(`${nPayloads} payloads (${accepted('payload')} accepted)`, nPayloads === PAYLOADS, `${PAYLOADS} sent`)
    .add(`slowest ${Math.round(slowest)} ms`, slowest < ANSWER_MS && answered.length === sent.length, `every request answered within ${ANSWER_MS} ms`)
    .add(`5xx ${fivexx.length}`, fivexx.length === 0, '0')
    .add(`crashes ${crashes}`, crashes === 0, '0')
    .add(`stored ${storedRefused.length}`, storedRefused.length === 0, '0 for refused input')
    .add(`unescaped ${unescaped.length}`, unescaped.length === 0, '0');
  for (const s of fivexx.slice(0, 5)) f.note(`${s.answer.status} for ${s.kind} ${s.input.slice(0, 200)}: ${s.answer.body.slice(0, 120)}`);
  for (const s of sent.filter((x) => x.answer.ms >= ANSWER_MS || x.answer.status === 0).slice(0, 5)) {
    f.note(`${s.answer.status || s.answer.error} after ${Math.round(s.answer.ms)} ms for ${s.kind} ${s.input.slice(0, 200)}`);
  }
  for (const s of storedRefused.slice(0, 5)) f.note(`stored for refused ${s.kind} ${s.input.slice(0, 200)}`);
  for (const u of unescaped.slice(0, 5)) f.note(`unescaped: ${u}`);
  if (crashes) f.note(`bot output:\n${bot.output().slice(-2000)}`);
  return f.result();
}

/** Audit entries, tasks and blue-green jobs each user caused. */
async function whatEachUserStored(redis: Redis, prefix: string, store: ReturnType<typeof openStore>): Promise<Map<string, number>> {
  const by = new Map<string, number>();
  const bump = (u: string | undefined) => u && by.set(u, (by.get(u) ?? 0) + 1);
  for (const [, flat] of await redis.xrange(`${prefix}:audit`, '-', '+')) {
    const field = (name: string) => {
      const i = flat.indexOf(name);
      return i >= 0 ? flat[i + 1] : undefined;
    };
    // A click refused for naming another card is recorded on purpose (who tried what, from where):
    // the record of a refusal, not something the refused input stored.
    if (field('action') === 'click-refused') continue;
    bump(field('actor'));
  }
  for (const t of await store.tasks.list(100_000)) bump(t.createdBy);
  for (const j of await store.jobs.list(100_000)) bump(j.createdBy);
  return by;
}
