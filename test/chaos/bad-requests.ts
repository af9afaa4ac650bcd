/**
 * Bad requests at the Slack endpoint, each with the status it must get, against one web process:
 * malformed bodies (payload=null, JSON null, JSON that is not an object, unparsable payload JSON,
 * a view_submission without its view), the wrong content type (slash-command fields as JSON,
 * text/plain), a body over 1 MB, a timestamp 10 minutes off either way, a bad signature, and the
 * same signed request twice (the second answered 200 with an empty body and not acted on).
 *
 * Figures: requests sent; wrong status (an answer other than the expected one, or none);
 * stored (requests after which a task key, a blue-green job key or an audit entry appeared that
 * the request had no right to make: any for the refused ones, a second task for the replay);
 * unhealthy (times /healthz did not answer 200 after a request; a process that died is started
 * again so the remaining cases still get tried).
 */
import { createHmac } from 'node:crypto';
import { slashCommandBody } from '../support/slack-signing.js';
import {
  botEnv,
  Figures,
  post,
  probe,
  scanKeys,
  SECRET,
  sleep,
  spawnBot,
  stage,
  type Answer,
  type BotProcess,
  type ScenarioContext,
  type ScenarioResult,
} from './harness.js';

const CHANNEL = 'C0BAD';
const MB = 1_048_576;

const FORM = 'application/x-www-form-urlencoded';

function sign(body: string | Buffer, ts: number, secret = SECRET): Record<string, string> {
  const mac = createHmac('sha256', secret).update(`v0:${ts}:`).update(body).digest('hex');
  return { 'x-slack-request-timestamp': String(ts), 'x-slack-signature': `v0=${mac}` };
}

const now = () => Math.floor(Date.now() / 1000);
const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

interface Case {
  name: string;
  /** What the answer must be, in words, and the check. */
  expect: string;
  ok: (a: Answer) => boolean;
  body: string | Buffer;
  headers: () => Record<string, string>;
}

const status =
  (...codes: number[]) =>
  (a: Answer) =>
    codes.includes(a.status);

function signedCase(name: string, contentType: string, body: string | Buffer, codes: number[]): Case {
  return { name, expect: codes.join(' or '), ok: status(...codes), body, headers: () => ({ 'content-type': contentType, ...sign(body, now()) }) };
}

export async function badRequests(ctx: ScenarioContext): Promise<ScenarioResult> {
  const { redis, slack, store, prefix } = await stage(ctx, { prefix: 'chaos-bad' });
  const procs: BotProcess[] = [];
  ctx.defer(() => Promise.all(procs.map((p) => p.stop(2000))).then(() => undefined));
  const env = botEnv({ redisUrl: redis.url, prefix, slackApiUrl: slack.apiUrl, role: 'web' });
  let web = await spawnBot('web', env);
  procs.push(web);
  let endpoint = `${web.url}/slack/events`;
  const hook = `${slack.base}hooks/bad`;

  /** What requests may leave behind: task keys, job keys, audit entries. */
  const footprint = async () =>
    (await scanKeys(store.redis, store.k.task('*'))).length + (await scanKeys(store.redis, store.k.bgJob('*'))).length + (await store.redis.xlen(`${prefix}:audit`));

  const command = (text: string) => slashCommandBody({ command: '/release', text, user_id: 'U0BAD', channel_id: CHANNEL, response_url: hook });
  const createBody = command('create bad-1 deploy --env bad a=registry.local/a:1 --new-env');
  const commandFields = Object.fromEntries(new URLSearchParams(createBody));
  const viewWithoutView = JSON.stringify({ type: 'view_submission', team: { id: 'T0TEST' }, user: { id: 'U0BAD', team_id: 'T0TEST' }, api_app_id: 'A0TEST', token: 'verification-token', trigger_id: '1.2.3' });
  const big = Buffer.from(`${createBody}&pad=${'a'.repeat(MB)}`);

  const cases: Case[] = [
    signedCase('form payload=null', FORM, form({ payload: 'null' }), [400]),
    signedCase('JSON body null', 'application/json', 'null', [400, 415]),
    signedCase('JSON body that is not an object ([1,2,3])', 'application/json', '[1,2,3]', [400, 415]),
    signedCase('form payload that is not an object ("text")', FORM, form({ payload: '"just text"' }), [400]),
    signedCase('form payload that is not JSON', FORM, form({ payload: '{"type":"block_actions",' }), [400]),
    signedCase('view_submission without view', FORM, form({ payload: viewWithoutView }), [400]),
    signedCase('slash-command fields as application/json', 'application/json', JSON.stringify(commandFields), [415]),
    signedCase('text/plain body', 'text/plain', createBody, [415]),
    signedCase(`body over 1 MB (${big.length} bytes)`, FORM, big, [413]),
    {
      name: 'timestamp 10 minutes ahead',
      expect: '401',
      ok: status(401),
      body: createBody,
      headers: () => ({ 'content-type': FORM, ...sign(createBody, now() + 600) }),
    },
    {
      name: 'timestamp 10 minutes behind',
      expect: '401',
      ok: status(401),
      body: createBody,
      headers: () => ({ 'content-type': FORM, ...sign(createBody, now() - 600) }),
    },
    {
      name: 'bad signature',
      expect: '401',
      ok: status(401),
      body: createBody,
      headers: () => ({ 'content-type': FORM, ...sign(createBody, now(), 'not-the-secret') }),
    },
  ];

  let requests = 0;
  let unhealthy = 0;
  const wrongStatus: string[] = [];
  const stored: string[] = [];
  const crashes: string[] = [];
  /** /healthz after each request; a process that died is counted and started again, so every case is tried. */
  const check = async (name: string) => {
    if ((await probe(web.url, '/healthz')) === 200) return;
    unhealthy++;
    await Promise.race([web.exited(), sleep(1500)]); // a process on its way down
    if (web.alive) return void crashes.push(`${name}: /healthz did not answer 200 afterwards`);
    const lines = web.output().trim().split('\n');
    const last = (lines.find((l) => /^\w*Error\b|Error: /.test(l.trim())) ?? lines.slice(-1)[0] ?? '').trim().slice(0, 300);
    crashes.push(`${name}: the process died (${web.child.exitCode ?? web.child.signalCode}): ${last}`);
    web = await spawnBot('web', env);
    procs.push(web);
    endpoint = `${web.url}/slack/events`;
  };
  const describe = (a: Answer) => (a.status ? `${a.status} ${a.body.slice(0, 80).replace(/\s+/g, ' ')}` : `no answer (${a.error})`);

  for (const c of cases) {
    if (ctx.signal.aborted) break;
    const before = await footprint();
    const a = await post(endpoint, c.body, c.headers(), 10_000);
    requests++;
    if (!c.ok(a)) wrongStatus.push(`${c.name}: got ${describe(a)}, expected ${c.expect}`);
    await check(c.name);
    const after = await footprint();
    if (after !== before) stored.push(`${c.name}: ${after - before} task/job keys or audit entries appeared`);
  }

  // The same signed request twice: acted on once, the second answered 200 with nothing in it.
  const replay = command('create replayed deploy --env bad a=registry.local/a:1 --new-env');
  const headers = { 'content-type': FORM, ...sign(replay, now()) };
  const before = await footprint();
  const first = await post(endpoint, replay, headers, 10_000);
  requests++;
  if (first.status !== 200 || !/Created release task/.test(first.body)) wrongStatus.push(`replay, first: got ${describe(first)}, expected 200 creating the task`);
  const afterFirst = await footprint();
  const second = await post(endpoint, replay, headers, 10_000);
  requests++;
  if (second.status !== 200 || second.body !== '') wrongStatus.push(`replay, second: got ${describe(second)}, expected 200 with an empty body`);
  await check('replay');
  await sleep(300);
  const afterSecond = await footprint();
  const tasks = (await store.tasks.list(100)).filter((t) => t.name === 'replayed').length;
  if (afterSecond !== afterFirst || tasks > 1) stored.push(`replay: the second request left ${afterSecond - afterFirst} more keys/entries (${tasks} tasks named replayed)`);
  if (afterFirst === before) wrongStatus.push('replay, first: nothing was created');

  const f = new Figures('bad-requests')
    .add(`${requests} requests`, requests === cases.length + 2, `${cases.length + 2}`)
    .add(`wrong status ${wrongStatus.length}`, wrongStatus.length === 0, '0')
    .add(`stored ${stored.length}`, stored.length === 0, '0')
    .add(`unhealthy ${unhealthy}`, unhealthy === 0, '0: /healthz answers 200 after every request');
  for (const w of wrongStatus) f.note(w);
  for (const s of stored) f.note(s);
  for (const c of crashes) f.note(c);
  return f.result();
}
