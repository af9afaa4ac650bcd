/**
 * End to end: the HTTP API for CI over real HTTP, against the bot with a policy file listing
 * tokens by SHA-256. Tokens (good, unknown, out of scope), invalid bodies with every field named
 * in the grammar's words, Idempotency-Key, approvals in Slack for an API-created task, refusals,
 * the rate limit, blue-green actions, and the OpenAPI document (valid, every route, and the
 * answers match its schemas).
 */
import { createHash } from 'node:crypto';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseReleaseCommand } from '../../src/commands/release-grammar.js';
import { PublishedJob, PublishedTask } from '../../src/domain/published.js';
import { AuditLog } from '../../src/store/audit-log.js';
import { keys } from '../../src/store/redis.js';
import { COMMON_ALPHABET, fuzzer } from '../support/fuzz.js';
import { removePolicies, writePolicy } from '../support/policy.js';
import { eventually, startTestBot, type TestBot } from '../support/test-bot.js';

const CI_TOKEN = 'ci-token-7f3a9c2e5b1d4e8f';
const STAGING_ONLY = 'staging-only-token-0a1b2c3d';
const SLOW = 'slow-token-99887766';
const sha = (t: string) => createHash('sha256').update(t).digest('hex');

const POLICY = `
operators: [U0ALICE]
apiTokens:
  - { name: github-actions, sha256: ${sha(CI_TOKEN)}, environments: [staging, production], actions: [create, start, rollback, update, release] }
  - { name: staging-bot, sha256: ${sha(STAGING_ONLY)}, environments: [staging], actions: [create] }
  - { name: slow, sha256: ${sha(SLOW)}, environments: [staging], actions: [create], rateLimit: 3 }
environments:
  staging: { channel: C0STAGING }
  production:
    channel: C0PROD
    approvers: [U0CAROL]
`;

let bot: TestBot;
beforeEach(async () => {
  bot = await startTestBot({ SWITCHYARD_CONFIG: writePolicy(POLICY) }, 'api');
});
afterEach(async () => {
  await bot.stop();
});
afterAll(() => removePolicies());

interface Answer {
  status: number;
  type: string;
  headers: Headers;
  json: any;
}

async function api(method: string, path: string, opts: { token?: string | null; body?: unknown; headers?: Record<string, string> } = {}): Promise<Answer> {
  const token = opts.token === undefined ? CI_TOKEN : opts.token;
  const res = await fetch(`${bot.url}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...opts.headers,
    },
    ...(opts.body !== undefined ? { body: typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type') ?? '', headers: res.headers, json: text ? JSON.parse(text) : undefined };
}

const deployBody = (name = 'web-stack', env = 'staging') => ({
  name, operation: 'deploy', env, components: [{ name: 'web', image: 'registry.local/web:1.0', replicas: 2 }, { name: 'api', image: 'registry.local/api:1.0' }],
});

/** The task once it is `status`, as GET answers. Waits on Redis: polling the API every 20 ms would run into the token's rate limit. */
async function untilStatus(id: string, status: string): Promise<any> {
  await bot.waitForTask(id, (t) => t.status === status);
  const got = await api('GET', `/api/v1/tasks/${id}`);
  expect(got.status).toBe(200);
  return got.json;
}

describe('the HTTP API', () => {
  it('creates a task with a card, starts it, and GET shows it Released with its components; the token is the actor', async () => {
    const created = await api('POST', '/api/v1/tasks', { body: deployBody() });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ status: 'To release', id: expect.stringMatching(/^rt-/) });
    const id = created.json.id as string;
    const card = await bot.cards.get(id);
    expect(card?.channel).toBe('C0STAGING');
    expect(created.json.url).toBe(`https://switchyard-test.slack.com/archives/C0STAGING/p${card!.ts.replace('.', '')}`);
    expect(bot.fake.calls.some((c) => c.method === 'chat.getPermalink')).toBe(true);
    const stored = await bot.tasks.get(id);
    expect(stored).toMatchObject({ createdBy: 'ci:github-actions', env: 'staging', operation: 'Bulk Deploy' });

    const started = await api('POST', `/api/v1/tasks/${id}/start`);
    expect(started.status).toBe(202);
    expect(started.json).toMatchObject({ id, status: 'Releasing' });
    expect(started.json.awaitingApproval).toBeUndefined();

    const done = await untilStatus(id, 'Released');
    expect(PublishedTask.parse(done)).toBeTruthy();
    expect(done.components).toEqual([
      expect.objectContaining({ name: 'web', status: 'Released', image: 'registry.local/web:1.0', replicas: 2 }),
      expect.objectContaining({ name: 'api', status: 'Released', image: 'registry.local/api:1.0' }),
    ]);
    expect(done).toMatchObject({ createdBy: 'ci:github-actions', startedBy: 'ci:github-actions', url: created.json.url });
    expect(Date.parse(done.endedAt)).toBeGreaterThanOrEqual(Date.parse(done.startedAt));

    const audit = await new AuditLog(bot.redis, keys(bot.config.REDIS_PREFIX)).recent({ target: id });
    expect(audit.map((e) => [e.actor, e.action])).toEqual(expect.arrayContaining([['ci:github-actions', 'create'], ['ci:github-actions', 'start']]));
    const thread = await eventually(async () => {
      const t = await bot.threadTexts(id);
      return t.some((x) => x.startsWith('Releasing started by *ci:github-actions*')) ? t : undefined;
    }, 5000, 'the start in the thread');
    expect(thread.join('\n')).not.toContain('<@ci:');

    const list = await api('GET', '/api/v1/tasks?env=staging&status=Released');
    expect(list.status).toBe(200);
    expect(list.json.tasks.map((t: { id: string }) => t.id)).toEqual([id]);
    expect((await api('GET', '/api/v1/tasks?status=Releasing')).json.tasks).toEqual([]);
  });

  it('answers 401 without a token or with an unknown one, and 403 outside the token’s environments or actions', async () => {
    for (const token of [null, 'not-a-listed-token']) {
      const res = await api('POST', '/api/v1/tasks', { token, body: deployBody() });
      expect(res.status).toBe(401);
      expect(res.type).toBe('application/problem+json');
      expect(res.headers.get('www-authenticate')).toContain('Bearer');
      expect(res.json).toMatchObject({ status: 401, title: 'Unauthorized' });
    }
    const prod = await api('POST', '/api/v1/tasks', { token: STAGING_ONLY, body: deployBody('x', 'production') });
    expect(prod.status).toBe(403);
    expect(prod.json.detail).toBe('The token staging-bot may not act on production: its environments are staging.');

    const created = await api('POST', '/api/v1/tasks', { token: STAGING_ONLY, body: deployBody() });
    expect(created.status).toBe(201);
    const start = await api('POST', `/api/v1/tasks/${created.json.id}/start`, { token: STAGING_ONLY });
    expect(start.status).toBe(403);
    expect(start.json.detail).toBe('The token staging-bot may not start: its actions are create.');
    expect((await bot.tasks.get(created.json.id))?.status).toBe('To release');
    expect((await bot.tasks.heads()).length).toBe(1);
  });

  it('names every invalid field of a body, in the words the command grammar uses', async () => {
    const res = await api('POST', '/api/v1/tasks', {
      body: { name: 'bad name!', operation: 'deploy', env: 'Staging', components: [{ name: 'web', image: 'nginx' }, { name: 'api', image: 'api:1.0', replicas: 500 }], parallel: 0, colour: 'red' },
    });
    expect(res.status).toBe(422);
    expect(res.type).toBe('application/problem+json');
    const byField = Object.fromEntries((res.json.errors as { pointer: string; detail: string }[]).map((e) => [e.pointer, e.detail]));
    expect(Object.keys(byField).sort()).toEqual(['#/', '#/components/0/image', '#/components/1/replicas', '#/env', '#/name', '#/parallel'].sort());
    // The same words as the slash command's ack for the same mistakes.
    const grammar = (text: string) => { const r = parseReleaseCommand(text); return r.ok ? '' : r.error; };
    expect(byField['#/env']).toBe(grammar('create x deploy --env Staging web=nginx:1.0'));
    expect(byField['#/name']).toBe(grammar('create "bad name!" deploy --env staging web=nginx:1.0'));
    expect(byField['#/components/0/image']).toBe(grammar('create x deploy --env staging web=nginx'));
    expect(byField['#/parallel']).toBe('parallel must be a whole number from 1 to 32 (got 0)');
    expect(byField['#/']).toBe('unknown field "colour"');
    expect(res.json.detail).toMatch(/^The request body has 6 invalid fields: /);

    // What depends on several fields is the grammar's to say.
    const clone = await api('POST', '/api/v1/tasks', { body: { name: 'c', operation: 'clone', env: 'staging', components: [{ name: 'web' }] } });
    expect(clone.status).toBe(422);
    expect(clone.json.detail).toBe('--from <env> is missing: clone copies images from that environment into --env');
    // A body that is not JSON, or not sent as JSON.
    expect((await api('POST', '/api/v1/tasks', { body: '{"name":' })).status).toBe(400);
    expect((await api('POST', '/api/v1/tasks', { body: 'name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } })).status).toBe(415);
    expect((await bot.tasks.heads()).length).toBe(0);
  });

  it('returns the first answer to a repeated Idempotency-Key and creates one task', async () => {
    const headers = { 'idempotency-key': 'build-4711' };
    const first = await api('POST', '/api/v1/tasks', { body: deployBody(), headers });
    const again = await api('POST', '/api/v1/tasks', { body: deployBody(), headers });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.json.id).toBe(first.json.id);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect((await bot.tasks.heads()).map((t) => t.id)).toEqual([first.json.id]);

    const startKey = { 'idempotency-key': 'build-4711-start' };
    expect((await api('POST', `/api/v1/tasks/${first.json.id}/start`, { headers: startKey })).status).toBe(202);
    await untilStatus(first.json.id, 'Released');
    const replay = await api('POST', `/api/v1/tasks/${first.json.id}/start`, { headers: startKey });
    expect(replay.status).toBe(202); // the first answer, not "it is Released already"
    expect((await bot.tasks.get(first.json.id))?.run).toBe(1);

    const other = await api('POST', '/api/v1/tasks', { body: deployBody('other-name'), headers });
    expect(other.status).toBe(422);
    expect(other.json.detail).toContain('was used for another request');
  });

  it('makes an API-created task on a protected environment wait for a Slack approval, then run', async () => {
    const created = await api('POST', '/api/v1/tasks', { body: deployBody('prod-release', 'production') });
    expect(created.status).toBe(201);
    const id = created.json.id as string;
    const asked = await api('POST', `/api/v1/tasks/${id}/start`);
    expect(asked.status).toBe(202);
    expect(asked.json).toMatchObject({ status: 'To release', awaitingApproval: { needed: 1, approvers: ['U0CAROL'] } });
    expect((await api('GET', `/api/v1/tasks/${id}`)).json.approval).toMatchObject({ action: 'start', requestedBy: 'ci:github-actions', needed: 1, approvals: [] });

    await bot.click(id, 'release.approve', { user: 'U0CAROL' });
    const done = await untilStatus(id, 'Released');
    expect(done.approval).toBeUndefined();
    const thread = await bot.threadTexts(id);
    expect(thread.some((t) => t.startsWith('Approval requested by *ci:github-actions*'))).toBe(true);
    expect(thread.some((t) => t.includes('approved by <@U0CAROL>'))).toBe(true);
  });

  it('refuses a transition the task is not in a status for with 409 and says why', async () => {
    const created = await api('POST', '/api/v1/tasks', { body: deployBody() });
    const suspend = await api('POST', `/api/v1/tasks/${created.json.id}/suspend`);
    expect(suspend.status).toBe(403); // suspend is not among the token's actions
    const rollback = await api('POST', `/api/v1/tasks/${created.json.id}/rollback`);
    expect(rollback.status).toBe(409);
    expect(rollback.type).toBe('application/problem+json');
    expect(rollback.json.detail).toBe(`${created.json.id} is a Bulk Deploy task; only Bulk Upgrade tasks can be rolled back`);
    const started = await api('POST', `/api/v1/tasks/${created.json.id}/start`);
    expect(started.status).toBe(202);
    await untilStatus(created.json.id, 'Released');
    const res = await api('POST', `/api/v1/tasks/${created.json.id}/start`);
    expect(res.status).toBe(409);
    expect(res.json.detail).toMatch(/Released/);
    expect(res.json.detail).not.toMatch(/[`*]/);
    expect((await api('GET', '/api/v1/tasks/rt-nothere')).status).toBe(404);
    expect((await api('GET', '/api/v1/tasks/not%20an%20id')).status).toBe(404);
  });

  it('answers 429 with Retry-After past a token’s requests per minute', async () => {
    const statuses: number[] = [];
    let last: Answer | undefined;
    for (let i = 0; i < 4; i++) {
      last = await api('GET', '/api/v1/tasks', { token: SLOW });
      statuses.push(last.status);
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(last!.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    // Another token has a window of its own.
    expect((await api('GET', '/api/v1/tasks')).status).toBe(200);
  });

  it('updates and releases a blue-green job', async () => {
    const created = await bot.command('create web --env staging --workload web --image web:1.0', { command: '/bluegreen' });
    expect(bot.ackText(created)).toContain('Created blue-green job');
    await bot.jobUntil('web', 'Healthy');
    const bad = await api('POST', '/api/v1/bluegreen/web/update', { body: { image: 'web' } });
    expect(bad.status).toBe(422);
    expect(bad.json.errors[0].pointer).toBe('#/image');
    const update = await api('POST', '/api/v1/bluegreen/web/update', { body: { image: 'web:2.0' } });
    expect(update.status).toBe(202);
    expect(update.json.status).toBe('Progressing');
    await bot.jobUntil('web', 'Paused');
    expect((await api('POST', '/api/v1/bluegreen/web/release')).status).toBe(202);
    await bot.jobUntil('web', 'Healthy');
    const got = await api('GET', '/api/v1/bluegreen/web');
    expect(PublishedJob.parse(got.json)).toBeTruthy();
    expect(got.json.versions).toEqual([expect.objectContaining({ image: 'web:2.0', labels: ['Active', 'Stable'] })]);
    expect(got.json.history.map((h: { image: string; outcome: string; by: string }) => [h.image, h.outcome, h.by])).toContainEqual(['web:2.0', 'released', 'ci:github-actions']);
    // terminate is not among the token's actions.
    expect((await api('POST', '/api/v1/bluegreen/web/terminate')).status).toBe(403);
  });

  it('serves a valid OpenAPI 3.1 document, without a token, covering every route', async () => {
    const res = await api('GET', '/api/v1/openapi.json', { token: null });
    expect(res.status).toBe(200);
    const doc = res.json;
    expect(doc.openapi).toBe('3.1.0');
    const validator = new Validator();
    const result = await validator.validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`));
    expect(documented.sort()).toEqual([
      'GET /api/v1/bluegreen/{job}', 'GET /api/v1/openapi.json', 'GET /api/v1/tasks', 'GET /api/v1/tasks/{id}',
      'POST /api/v1/bluegreen/{job}/release', 'POST /api/v1/bluegreen/{job}/terminate', 'POST /api/v1/bluegreen/{job}/update',
      'POST /api/v1/tasks', 'POST /api/v1/tasks/{id}/resume', 'POST /api/v1/tasks/{id}/retry', 'POST /api/v1/tasks/{id}/rollback',
      'POST /api/v1/tasks/{id}/start', 'POST /api/v1/tasks/{id}/suspend',
    ].sort());
    // Each documented route is served: none answers 404 or 405 for its method.
    for (const route of documented) {
      const [method, path] = route.split(' ') as [string, string];
      const got = await api(method, path.replace('{id}', 'rt-abcdef').replace('{job}', 'nojob'), method === 'POST' ? { body: {} } : {});
      expect([404, 405].includes(got.status) ? got.json?.title : 'served', route).toBe(got.status === 404 ? 'Not found' : 'served');
    }
    // The create body's schema is the one that validates: it names the grammar's limits.
    const create = doc.paths['/api/v1/tasks'].post.requestBody.content['application/json'].schema;
    expect(create.required.sort()).toEqual(['env', 'name', 'operation']);
    expect(create.properties.parallel).toMatchObject({ type: 'integer', minimum: 1, maximum: 32 });
    expect(create.additionalProperties).toBe(false);
  });

  it('schedules a start with at: the task waits, is listed as Scheduled, and starts at that time through the same gate', async () => {
    const created = await api('POST', '/api/v1/tasks', { body: deployBody() });
    const id = created.json.id as string;
    const past = await api('POST', `/api/v1/tasks/${id}/start`, { body: { at: '2020-01-01T00:00:00Z' } });
    expect(past.status).toBe(422);
    expect(past.json.errors).toEqual([{ pointer: '#/at', detail: expect.stringContaining('is in the past') }]);
    const noZone = await api('POST', `/api/v1/tasks/${id}/start`, { body: { at: '22:00' } });
    expect(noZone.status).toBe(422);
    expect(noZone.json.errors[0].pointer).toBe('#/at');

    const at = new Date(Date.now() + 2500).toISOString();
    const scheduled = await api('POST', `/api/v1/tasks/${id}/start`, { body: { at } });
    expect(scheduled.status).toBe(202);
    expect(scheduled.json).toMatchObject({ status: 'To release', schedule: { at, by: 'ci:github-actions' } });
    expect((await api('GET', '/api/v1/tasks?status=Scheduled')).json.tasks.map((t: { id: string }) => t.id)).toEqual([id]);
    const done = await untilStatus(id, 'Released');
    expect(done.schedule).toBeUndefined();
    expect(Date.parse(done.startedAt)).toBeGreaterThanOrEqual(Date.parse(at));
    expect((await api('GET', '/api/v1/tasks?status=Scheduled')).json.tasks).toEqual([]);
  });

  it('survives 400 odd requests: no 5xx, every refusal a problem, a task only where the answer says 201', async () => {
    const f = fuzzer([...COMMON_ALPHABET, '{', '}', '[', ']', '"', ':', ',', 'null', 'true', '1e308', '-1', '\\u0000', '"components"', '"image"']);
    const valid = JSON.stringify(deployBody());
    const odd = [null, true, 0, -1, 1.5, 1e308, '', 'x'.repeat(5000), [], {}, [[[]]], { a: { b: { c: {} } } }, '__proto__', 'rt-aaaaaa'];
    const fields = ['name', 'operation', 'env', 'from', 'components', 'all', 'tag', 'bestEffort', 'parallel', 'description', 'channel', 'newEnv', '__proto__', 'constructor'];
    const paths = ['/api/v1/tasks', '/api/v1/tasks/rt-aaaaaa/start', '/api/v1/tasks/%00/start', '/api/v1/tasks/..%2F..%2Fetc/retry', '/api/v1/bluegreen/web/update', '/api/v1/bluegreen/%F0%9F%9A%80/release'];
    let created = 0;
    for (let i = 0; i < 400; i++) {
      const kind = i % 4;
      let body: string;
      if (kind === 0) body = f.mutate(valid);
      else if (kind === 1) body = f.garbage(60);
      else {
        const b: Record<string, unknown> = JSON.parse(valid);
        for (let n = 1 + Math.floor(f.random() * 3); n > 0; n--) b[f.pick(fields)] = f.pick(odd);
        if (kind === 3) b.components = Array.from({ length: Math.floor(f.random() * 4) }, () => ({ name: f.pick(odd), image: f.pick(odd), replicas: f.pick(odd) }));
        body = JSON.stringify(b);
      }
      const path = i % 5 === 0 ? f.pick(paths) : '/api/v1/tasks';
      const res = await api('POST', path, { body, ...(i % 7 === 0 ? { headers: { 'idempotency-key': `fuzz-${Math.floor(f.random() * 4)}` } } : {}) });
      expect(res.status, `${path} ${body.slice(0, 200)}`).toBeLessThan(500);
      if (res.status === 201) created++;
      else {
        expect(res.type).toBe('application/problem+json');
        expect(typeof res.json.detail).toBe('string');
      }
    }
    expect((await bot.tasks.heads()).length).toBe(created);
    expect((await fetch(`${bot.url}/healthz`)).status).toBe(200);
  });
});
