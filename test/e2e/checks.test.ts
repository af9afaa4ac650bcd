/**
 * End to end: checks and metric gates (policy `checks`, `keepOldFor`) on the simulated platform,
 * measured through its Prometheus stand-in on the bot's own port (an image tag ending in
 * `-errors` reports an error rate of 0.5, any other 0.001). Signed commands and clicks in; Redis
 * state, the simulated slots and the fake Slack's cards and threads checked.
 */
import { createServer } from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { jobCardVersion, type BlueGreenJob } from '../../src/domain/bluegreen-job.js';
import type { ReleaseTask } from '../../src/domain/release-task.js';
import { removePolicies, writePolicy } from '../support/policy.js';
import { blockActionsBody, postSigned, viewSubmissionBody } from '../support/slack-signing.js';
import { CHANNEL, SECRET, cardControlValue, eventually, startTestBot, type TestBot } from '../support/test-bot.js';

let bot: TestBot | undefined;
const b = () => bot!;
afterEach(async () => {
  await bot?.stop();
  bot = undefined;
});
afterAll(() => removePolicies());

/** A port nobody listens on now: the policy names the stand-in at the bot's port before the bot starts. */
async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as { port: number }).port;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

/** Starts the bot with a policy whose checks measure through the stand-in on the bot's port. */
async function startWith(policy: (prometheus: string) => string, name: string): Promise<TestBot> {
  const port = await freePort();
  const path = writePolicy(policy(`http://127.0.0.1:${port}/sim/prometheus`));
  bot = await startTestBot({ PORT: String(port), SWITCHYARD_CONFIG: path }, name);
  return bot;
}

const errorRate = (prometheus: string, query: string, extra = '') => `
      - name: error-rate
        prometheus: ${prometheus}
        query: '${query}'
        below: 0.01${extra}`;

async function taskUntil(id: string, until: (t: ReleaseTask) => boolean, what: string): Promise<ReleaseTask> {
  return eventually(async () => {
    const t = await b().tasks.get(id);
    return t && until(t) ? t : undefined;
  }, 15_000, what);
}

async function threadHas(key: string, part: string | RegExp): Promise<string[]> {
  return eventually(async () => {
    const ref = await b().cards.get(key);
    const texts = ref ? b().fake.thread(ref.channel, ref.ts).map((m) => m.text ?? '') : [];
    return texts.some((t) => (typeof part === 'string' ? t.includes(part) : part.test(t))) ? texts : undefined;
  }, 15_000, `thread of ${key} saying ${String(part)}`);
}

async function cardText(key: string): Promise<string> {
  const ref = await b().cards.get(key);
  const msg = ref && b().fake.messages(ref.channel).find((m) => m.ts === ref.ts);
  return JSON.stringify(msg?.blocks ?? []);
}

async function metric(line: string): Promise<number> {
  const text = await (await fetch(`${b().url}/metrics`)).text();
  const found = text.split('\n').find((l) => l.startsWith(line + ' '));
  return found ? Number(found.split(' ').at(-1)) : 0;
}

// ---------------------------------------------------------------- batch release tasks

describe('checks on a batch release task', () => {
  const policy = (prom: string) => `
environments:
  staging:
    checks:${errorRate(prom, 'error_rate{env="{env}",app="{component}"}', '\n        for: 300ms\n        interval: 100ms')}
  nodata:
    checks:${errorRate(prom, 'error_rate{app="nothing-runs-here"}')}
  smoke:
    checks:
      - name: smoke
        http: '${prom.replace('/sim/prometheus', '')}/{component}'
`;

  it('Best Effort On: the component whose check fails is Release failed with the value and threshold; the others are Released', async () => {
    await startWith(policy, 'checks-batch-on');
    const id = await b().create('gated deploy --env staging web=web:1.0 api=api:1.0-errors cron=cron:1.0 --best-effort --parallel 1');
    await b().command(`start ${id}`);
    const t = await taskUntil(id, (x) => x.status === 'Release failed', 'Release failed');
    const by = Object.fromEntries(t.components.map((c) => [c.name, c]));
    expect(by.web!.status).toBe('Released');
    expect(by.cron!.status).toBe('Released');
    expect(by.api!.status).toBe('Release failed');
    expect(by.api!.error).toBe('error-rate 0.5 is not below 0.01');
    // web held for its `for` (300 ms at 100 ms): several samples, all passing.
    expect(by.web!.checks).toMatchObject({ state: 'passed', readings: [{ name: 'error-rate', state: 'passed', value: 0.001 }] });
    expect(by.web!.checks!.readings[0]!.samples).toBeGreaterThanOrEqual(3);
    // The failing component was applied: it runs the image its checks failed on.
    expect((await b().platform.get('staging', 'api'))?.image).toBe('api:1.0-errors');
    await threadHas(id, '`api` failed: error-rate 0.5 is not below 0.01');
    // The card showed the checks going while web held for its 300 ms.
    const edits = b().fake.calls.filter((c) => c.method === 'chat.update').map((c) => JSON.stringify(c.args.blocks ?? []));
    expect(edits.some((e) => e.includes('Releasing') && e.includes('checking: error-rate 0.001 (below 0.01)'))).toBe(true);
    expect(await metric('switchyard_checks_total{check="error-rate",outcome="fail"}')).toBe(1);
    expect(await metric('switchyard_checks_total{check="error-rate",outcome="pass"}')).toBeGreaterThanOrEqual(6);
  });

  it('Best Effort Off: a failing check stops the release; a rollback puts the failing component back on its previous image', async () => {
    await startWith(policy, 'checks-batch-off');
    const first = await b().create('base deploy --env staging web=web:1.0 api=api:1.0 cron=cron:1.0');
    await b().command(`start ${first}`);
    await taskUntil(first, (x) => x.status === 'Released', 'base Released');

    const id = await b().create('bad upgrade --env staging web=web:2.0 api=api:2.0-errors cron=cron:2.0 --parallel 1');
    await b().command(`start ${id}`);
    const t = await taskUntil(id, (x) => x.status === 'Release failed', 'Release failed');
    expect(t.components.map((c) => [c.name, c.status])).toEqual([
      ['web', 'Released'],
      ['api', 'Release failed'],
      ['cron', 'Not released'],
    ]);
    const api = t.components.find((c) => c.name === 'api')!;
    expect(api).toMatchObject({ error: 'error-rate 0.5 is not below 0.01', image: 'api:2.0-errors', previousImage: 'api:1.0' });
    expect((await b().platform.get('staging', 'cron'))?.image).toBe('cron:1.0');
    await threadHas(id, /Release failed after .*failed: `api`; 1 not released \(Best Effort Policy Off\)/);

    await b().command(`rollback ${id}`);
    const back = await taskUntil(id, (x) => x.status === 'Rolled back', 'Rolled back');
    expect(back.components.find((c) => c.name === 'api')!.status).toBe('Rolled back');
    expect((await b().platform.get('staging', 'api'))?.image).toBe('api:1.0');
    expect((await b().platform.get('staging', 'web'))?.image).toBe('web:1.0');
  });

  it('a Prometheus answer with no data fails the check with that reason', async () => {
    await startWith(policy, 'checks-nodata');
    const id = await b().create('blind deploy --env nodata web=web:1.0');
    await b().command(`start ${id}`);
    const t = await taskUntil(id, (x) => x.status === 'Release failed', 'Release failed');
    expect(t.components[0]!.error).toBe('error-rate: the query returned no data');
    await threadHas(id, '`web` failed: error-rate: the query returned no data');
    expect(await metric('switchyard_checks_total{check="error-rate",outcome="error"}')).toBe(1);
  });

  it('an HTTP smoke check passes on 2xx and fails on anything else, naming the answer', async () => {
    // GET <bot>/{component}: the bot answers /healthz with 200 and /web with 404.
    await startWith(policy, 'checks-smoke');
    const id = await b().create('smoke deploy --env smoke healthz=healthz:1.0 web=web:1.0 --best-effort');
    await b().command(`start ${id}`);
    const t = await taskUntil(id, (x) => x.status === 'Release failed', 'Release failed');
    const by = Object.fromEntries(t.components.map((c) => [c.name, c]));
    expect(by.healthz!.status).toBe('Released');
    expect(by.healthz!.checks!.readings[0]!.detail).toBe('smoke: HTTP 200');
    expect(by.web!.status).toBe('Release failed');
    expect(by.web!.error).toMatch(/^smoke: GET http:\/\/127\.0\.0\.1:\d+\/web answered HTTP 404$/);
    expect(await metric('switchyard_checks_total{check="smoke",outcome="fail"}')).toBe(1);
  });

  it('the stand-in answers like the Prometheus query API', async () => {
    await startWith(policy, 'checks-standin');
    const id = await b().create('two deploy --env staging web=web:1.0 api=api:1.0-errors --best-effort');
    await b().command(`start ${id}`);
    await taskUntil(id, (x) => x.status === 'Release failed', 'Release failed');
    const ask = async (q: string) => (await fetch(`${b().url}/sim/prometheus/api/v1/query?query=${encodeURIComponent(q)}`)).json() as Promise<{ status: string; data: { result: Array<{ value: [number, string] }> } }>;
    expect((await ask('error_rate{env="staging",app="web"}')).data.result[0]!.value[1]).toBe('0.001');
    expect((await ask('error_rate{env="staging",app="api"}')).data.result[0]!.value[1]).toBe('0.5');
    expect((await ask('error_rate{image="x:9-errors"}')).data.result[0]!.value[1]).toBe('0.5');
    expect((await ask('error_rate{env="staging",app="nope"}')).data.result).toEqual([]);
    const bad = await fetch(`${b().url}/sim/prometheus/api/v1/query`);
    expect(bad.status).toBe(400);
  });
});

// ---------------------------------------------------------------- blue-green jobs

const bg = (text: string, user = 'U0ALICE') => b().command(text, { command: '/bluegreen', user });

async function jobClick(name: string, actionId: string, user: string) {
  const ref = await b().cards.get(`bg:${name}`);
  const value = await cardControlValue(b(), `bg:${name}`, actionId, async () => {
    const j = await b().jobs.get(name);
    return j && jobCardVersion(j);
  });
  const body = blockActionsBody({ user_id: user, channel_id: ref?.channel ?? CHANNEL, message_ts: ref?.ts ?? '0', action_id: actionId, value });
  return postSigned(`${b().url}/slack/events`, body, { secret: SECRET });
}

async function ephemeralTo(user: string, part: string): Promise<string> {
  return eventually(() => {
    const said = b().fake.calls
      .filter((c) => c.method === 'chat.postEphemeral' && c.args.user === user)
      .map((c) => String(c.args.text ?? ''))
      .find((t) => t.includes(part));
    return said;
  }, 10_000, `ephemeral to ${user} saying ${part}`);
}

async function slots(name: string) {
  const j = (await b().jobs.get(name))!;
  const seen = await b().platform.bgInspect(j.env, j.workload);
  return { serving: seen?.serving, images: Object.fromEntries(Object.entries(seen?.slots ?? {}).map(([s, v]) => [s, v.image])) };
}

async function healthy(name: string, image: string): Promise<BlueGreenJob> {
  const res = await bg(`create ${name} --env prod --workload ${name} --image ${image}`);
  expect(b().ackText(res)).toContain(`Created blue-green job *${name}*`);
  return b().jobUntil(name, 'Healthy');
}

describe('checks on a blue-green job', () => {
  it('a failing preview check refuses Release; an approver goes ahead with a reason, which is audited, and approvals still apply', async () => {
    await startWith((prom) => `
environments:
  prod:
    approvers: [U0CAROL, U0DAVE]
    checks:${errorRate(prom, 'error_rate{env="{env}",app="{workload}",slot="{slot}"}')}
`, 'checks-preview');
    await healthy('web', 'web:1.0');
    await bg('update web web:2.0-errors', 'U0ALICE');
    const failed = await b().jobUntil('web', (j) => j.status === 'Paused' && j.checks?.state === 'failed', 'preview checks failed');
    expect(failed.checks!.readings).toMatchObject([{ name: 'error-rate', state: 'failed', value: 0.5, detail: 'error-rate 0.5 is not below 0.01' }]);
    await threadHas('bg:web', 'Checks failed on rev 2 (web:2.0-errors) in green: error-rate 0.5 is not below 0.01');
    const card = await eventually(async () => ((await cardText('bg:web')).includes('is not below') ? cardText('bg:web') : undefined), 5000, 'card shows the failing check');
    expect(card).toContain('Checks on rev 2');

    // An operator who is not an approver: refused, privately, saying why and who can.
    await jobClick('web', 'bluegreen.release', 'U0ALICE');
    const refused = await ephemeralTo('U0ALICE', 'Release of web refused');
    expect(refused).toContain('error-rate 0.5 is not below 0.01');
    expect(refused).toContain('Only an approver for prod');
    // An approver without a reason, by command: told how.
    expect(b().ackText(await bg('release web', 'U0CAROL'))).toContain('--override "reason"');
    expect((await b().jobs.get('web'))!.status).toBe('Paused');
    expect((await b().jobs.get('web'))!.approval).toBeUndefined();

    // The approver's click opens a modal for the reason; the submission asks the other approver.
    await jobClick('web', 'bluegreen.release', 'U0CAROL');
    const modal = await eventually(() => b().fake.callsTo('views.open').at(-1), 5000, 'the override modal');
    const view = modal.args.view as { callback_id: string; private_metadata: string; title: { text: string } };
    expect(view.title.text).toBe('Checks not passing');
    expect(JSON.stringify(view)).toContain('error-rate 0.5 is not below 0.01');
    const submitted = await postSigned(
      `${b().url}/slack/events`,
      viewSubmissionBody({ user_id: 'U0CAROL', callback_id: view.callback_id, private_metadata: view.private_metadata, values: { override: { override: 'errors are the known retry storm' } } }),
      { secret: SECRET },
    );
    expect(submitted.status).toBe(200);
    const asked = await b().jobUntil('web', (j) => !!j.approval, 'an approval request');
    expect(asked.approval!.checksOverride).toMatchObject({ by: 'U0CAROL', reason: 'errors are the known retry storm' });
    await threadHas('bg:web', 'Over failing checks (error-rate 0.5 is not below 0.01), because: errors are the known retry storm');

    await jobClick('web', 'bluegreen.approve', 'U0DAVE');
    const released = await b().jobUntil('web', 'Healthy');
    expect(released.active).toBe('green');
    expect(await slots('web')).toEqual({ serving: 'green', images: { green: 'web:2.0-errors' } });
    await threadHas('bg:web', 'Checks overridden by <@U0CAROL> (error-rate 0.5 is not below 0.01): errors are the known retry storm');
    // The audit keeps who went ahead over which checks, and why.
    const release = await eventually(async () => {
      const rows = await b().redis.xrange(`${b().config.REDIS_PREFIX}:audit`, '-', '+');
      return rows.map(([, f]) => f.join(' ')).find((r) => r.includes('checks overridden by U0CAROL'));
    }, 5000, 'the override in the audit');
    expect(release).toContain('(error-rate 0.5 is not below 0.01): errors are the known retry storm');
  });

  it('a check failing after Release, within keepOldFor: the traffic goes back to the old version, the job ends Degraded, people are mentioned', async () => {
    // Without a slot in the query, the stand-in measures the serving version: the preview passes
    // (the old one still serves) and the new one fails only once it takes the traffic.
    await startWith((prom) => `
environments:
  prod:
    checks:${errorRate(prom, 'error_rate{env="{env}",app="{workload}"}', '\n        interval: 100ms')}
    keepOldFor: 20s
`, 'checks-undo');
    await healthy('web', 'web:1.0');
    await bg('update web web:2.0-errors', 'U0BOB');
    await b().jobUntil('web', (j) => j.status === 'Paused' && j.checks?.state === 'passed', 'preview checks passed');
    await threadHas('bg:web', 'Checks passed on rev 2 (web:2.0-errors) in green: error-rate 0.001 (below 0.01). Release when ready.');

    await jobClick('web', 'bluegreen.release', 'U0CAROL');
    const degraded = await b().jobUntil('web', 'Degraded', 'Degraded', 15_000);
    expect(degraded.active).toBe('blue');
    expect(degraded.stable).toBe('blue');
    expect(degraded.degradedReason).toBe('error-rate 0.5 is not below 0.01 after Release; traffic went back to blue');
    // Both versions are still there, the traffic on the old one.
    expect(await slots('web')).toEqual({ serving: 'blue', images: { blue: 'web:1.0', green: 'web:2.0-errors' } });
    expect(await b().platform.blueGreen.switchCounts()).toEqual({ 'prod/web': 3 });
    const texts = await threadHas('bg:web', 'Degraded: rev 2 (web:2.0-errors) failed its checks after Release');
    const undone = texts.find((t) => t.includes('failed its checks after Release'))!;
    expect(undone).toContain('error-rate 0.5 is not below 0.01');
    expect(undone).toContain('Traffic is back on blue (rev 1, web:1.0)');
    expect(undone).toContain('<@U0BOB>');
    expect(undone).toContain('<@U0CAROL>');
    expect(texts.some((t) => t.startsWith('Traffic is on green (rev 2). blue (rev 1) is kept until'))).toBe(true);
    const card = await eventually(async () => ((await cardText('bg:web')).includes('failed its checks after Release') ? cardText('bg:web') : undefined), 5000, 'card Degraded');
    expect(card).toContain('bluegreen.terminate');

    // Terminate removes the failed version; history says it failed.
    await jobClick('web', 'bluegreen.terminate', 'U0CAROL');
    const after = await b().jobUntil('web', 'Healthy');
    expect(after.history.at(-1)).toMatchObject({ revision: 2, outcome: 'failed' });
    expect(await slots('web')).toEqual({ serving: 'blue', images: { blue: 'web:1.0' } });
  });

  it('a release over failing checks, by an approver with a reason, is not undone by the watch', async () => {
    // No approvers here: an operator may go ahead with a reason, and keepOldFor would watch.
    await startWith((prom) => `
environments:
  prod:
    checks:${errorRate(prom, 'error_rate{env="{env}",app="{workload}",slot="{slot}"}', '\n        interval: 100ms')}
    keepOldFor: 20s
`, 'checks-over');
    await healthy('web', 'web:1.0');
    await bg('update web web:2.0-errors');
    await b().jobUntil('web', (j) => j.status === 'Paused' && j.checks?.state === 'failed', 'preview checks failed');
    expect(b().ackText(await bg('release web'))).toContain('To go ahead anyway, give your reason');
    expect(b().ackText(await bg('release web --override "hotfix, errors expected"'))).toContain('web is now Promoting');
    const done = await b().jobUntil('web', 'Healthy', 'Healthy', 10_000);
    expect(done.versions.green?.image).toBe('web:2.0-errors');
    expect(await slots('web')).toEqual({ serving: 'green', images: { green: 'web:2.0-errors' } });
    const texts = await threadHas('bg:web', 'Checks overridden by <@U0ALICE> (error-rate 0.5 is not below 0.01): hotfix, errors expected');
    expect(texts.some((t) => t.includes('failed its checks after Release'))).toBe(false);
  });

  it('a passing run keeps the old version for keepOldFor, then deletes it', async () => {
    await startWith((prom) => `
environments:
  prod:
    checks:${errorRate(prom, 'error_rate{env="{env}",app="{workload}",slot="{slot}"}', '\n        interval: 200ms')}
    keepOldFor: 1500ms
`, 'checks-window');
    await healthy('web', 'web:1.0');
    await bg('update web web:2.0');
    await b().jobUntil('web', (j) => j.status === 'Paused' && j.checks?.state === 'passed', 'preview checks passed');
    await jobClick('web', 'bluegreen.release', 'U0CAROL');
    const watching = await b().jobUntil('web', (j) => j.status === 'Promoting' && j.checks?.phase === 'release' && j.checks.readings.length > 0, 'watching after Release');
    // In the window: the new version serves, the old one is still there.
    expect(await slots('web')).toEqual({ serving: 'green', images: { blue: 'web:1.0', green: 'web:2.0' } });
    const until = Date.parse(watching.checks!.until!);
    expect(until - Date.parse(watching.checks!.startedAt)).toBe(1500);
    const card = await eventually(async () => ((await cardText('bg:web')).includes('Checks after Release') ? cardText('bg:web') : undefined), 5000, 'card watching');
    expect(card).toContain('kept until');

    const done = await b().jobUntil('web', 'Healthy', 'Healthy', 15_000);
    expect(Date.parse(done.updatedAt)).toBeGreaterThanOrEqual(until);
    expect(done.checks).toBeUndefined();
    expect(await slots('web')).toEqual({ serving: 'green', images: { green: 'web:2.0' } });
    await threadHas('bg:web', /Released in .*blue deleted after the checks held for 1\.5s|Released in .*blue deleted after the checks held for/);
  });
});
