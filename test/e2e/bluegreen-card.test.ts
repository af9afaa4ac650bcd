/**
 * End to end: the blue-green card's own controls and the policy's links, through signed requests
 * and the fake Slack API. Update Version opens a modal (views.open), a bad image is answered in
 * the modal, a good one updates the job; Delete stops tracking a Healthy job and leaves the
 * workload running; link templates become link buttons on cards and links in failure replies.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Button } from '@slack/types';
import { PolicyError, loadPolicyFile } from '../../src/policy/policy-file.js';
import type { FakeMessage } from '../support/fake-slack.js';
import { removePolicies, writePolicy } from '../support/policy.js';
import { blockActionsBody, postSigned, viewSubmissionBody, type PostSignedResult } from '../support/slack-signing.js';
import { SECRET, cardControlValue, eventually, startTestBot, type TestBot } from '../support/test-bot.js';

const LINKS_POLICY = `
environments:
  prod:
    links:
      logs: "https://logs.example.com/{env}/{component}?since=1h"
      dashboard: "https://grafana.example.com/d/releases?var-env={env}&var-task={task}"
      workload: "https://console.example.com/{env}/workloads/{workload}"
`;

let bot: TestBot | undefined;
afterEach(async () => {
  await bot?.stop();
  bot = undefined;
  removePolicies();
});

async function start(env: Record<string, string> = {}, policy?: string): Promise<TestBot> {
  bot = await startTestBot({ ...env, ...(policy ? { SWITCHYARD_CONFIG: writePolicy(policy) } : {}) }, 'bgcard');
  return bot;
}

const bg = (b: TestBot, text: string, user = 'U0ALICE') => b.command(text, { command: '/bluegreen', user });

async function createHealthy(b: TestBot, name = 'web') {
  const res = await bg(b, `create ${name} --env prod --workload ${name} --image registry.local/${name}:1.0`);
  expect(b.ackText(res)).toContain(`Created blue-green job *${name}*`);
  return b.jobUntil(name, 'Healthy');
}

/** The job's card as the fake Slack holds it, once `until` holds. */
async function jobCardWhen(b: TestBot, name: string, until: (m: FakeMessage) => boolean, what: string): Promise<FakeMessage> {
  return eventually(async () => {
    const ref = await b.cards.get(`bg:${name}`);
    const msg = ref && b.fake.messages(ref.channel).find((m) => m.ts === ref.ts);
    return msg && until(msg) ? msg : undefined;
  }, 5000, what);
}

/** Click the control `actionId` on the job's card as it is now, as Slack sends it. */
async function clickJob(b: TestBot, name: string, actionId: string, user = 'U0ALICE'): Promise<PostSignedResult> {
  const value = await cardControlValue(b, `bg:${name}`, actionId, async () => (await b.jobs.get(name))?.version);
  const ref = (await b.cards.get(`bg:${name}`))!;
  return postSigned(`${b.url}/slack/events`, blockActionsBody({ user_id: user, channel_id: ref.channel, message_ts: ref.ts, action_id: actionId, value }), { secret: SECRET });
}

/** Submit the modal the last views.open showed, its image input set to `image`. */
async function submitImage(b: TestBot, image: string, user = 'U0ALICE'): Promise<PostSignedResult> {
  const view = b.fake.callsTo('views.open').at(-1)?.args.view as { callback_id: string; private_metadata: string } | undefined;
  if (!view) throw new Error('no modal was opened');
  const body = viewSubmissionBody({ user_id: user, callback_id: view.callback_id, private_metadata: view.private_metadata, values: { image: { image } } });
  return postSigned(`${b.url}/slack/events`, body, { secret: SECRET });
}

async function threadOf(b: TestBot, name: string, has: string): Promise<string[]> {
  return eventually(async () => {
    const ref = await b.cards.get(`bg:${name}`);
    const texts = ref ? b.fake.thread(ref.channel, ref.ts).map((m) => m.text ?? '') : [];
    return texts.some((t) => t.includes(has)) ? texts : undefined;
  }, 5000, `thread line with "${has}"`);
}

const ephemeralsTo = (b: TestBot, user: string) => b.fake.ephemerals.filter((e) => e.user === user).map((e) => e.text ?? '');

function buttonsOf(msg: FakeMessage): Button[] {
  return ((msg.blocks ?? []) as Array<{ type: string; elements?: Button[] }>).filter((x) => x.type === 'actions').flatMap((x) => x.elements ?? []);
}

describe('Update Version from the card', () => {
  it('opens a modal; a bad image is answered in the modal; a good one updates the job to Paused', async () => {
    const b = await start();
    await createHealthy(b);
    await jobCardWhen(b, 'web', (m) => buttonsOf(m).some((x) => x.action_id === 'bluegreen.update-version'), 'Update Version on the Healthy card');

    const click = await clickJob(b, 'web', 'bluegreen.update-version', 'U0BOB');
    expect(click.status).toBe(200);
    await b.fake.waitFor((calls) => calls.some((c) => c.method === 'views.open'));
    const opened = b.fake.callsTo('views.open')[0]!;
    const view = opened.args.view as { callback_id: string; title: { text: string }; blocks: Array<{ type: string; block_id?: string; element?: { initial_value?: string } }> };
    expect(view.callback_id).toBe('bluegreen-update-version');
    expect(view.title.text).toBe('Update Version');
    // Prefilled with what serves, so only the tag needs changing.
    expect(view.blocks.find((x) => x.block_id === 'image')?.element?.initial_value).toBe('registry.local/web:1.0');

    const noTag = await submitImage(b, 'registry.local/web', 'U0BOB');
    expect(noTag.status).toBe(200);
    expect(noTag.json).toEqual({
      response_action: 'errors',
      errors: { image: 'the image registry.local/web has no tag: write registry.local/web:1.27 (any tag), or pin a digest with @sha256:…' },
    });
    const twoWords = await submitImage(b, 'web=registry.local/web:2.0', 'U0BOB');
    expect((twoWords.json as { errors: { image: string } }).errors.image).toContain('/bluegreen update takes just the image');
    expect((await b.jobs.get('web'))!.status).toBe('Healthy');

    const good = await submitImage(b, '  registry.local/web:2.0 ', 'U0BOB');
    expect(good.status).toBe(200);
    expect(good.json).toBeUndefined(); // an empty ack closes the modal
    const paused = await b.jobUntil('web', 'Paused');
    expect(paused.versions.green).toMatchObject({ revision: 2, image: 'registry.local/web:2.0' });
    const thread = await threadOf(b, 'web', 'Update Version by');
    expect(thread.find((t) => t.startsWith('Update Version by'))).toBe('Update Version by <@U0BOB>: registry.local/web:2.0 (rev 2) starting in green');

    // The same modal again: the card it came from is out of date now, so it is refused privately.
    const again = await submitImage(b, 'registry.local/web:3.0', 'U0BOB');
    expect(again.status).toBe(200);
    const [refusal] = await eventually(() => (ephemeralsTo(b, 'U0BOB').length ? ephemeralsTo(b, 'U0BOB') : undefined), 5000, 'a private refusal');
    expect(refusal).toContain('out of date');
    const still = (await b.jobs.get('web'))!;
    expect([still.status, still.pending?.image, still.nextRevision]).toEqual(['Paused', 'registry.local/web:2.0', 3]);
  }, 30_000);

  it('a click that may not update is refused at the click, without a modal', async () => {
    const b = await start({}, 'operators: [U0ALICE]\n');
    await createHealthy(b);
    await clickJob(b, 'web', 'bluegreen.update-version', 'U0MALLORY');
    const [text] = await eventually(() => (ephemeralsTo(b, 'U0MALLORY').length ? ephemeralsTo(b, 'U0MALLORY') : undefined), 5000, 'refusal');
    expect(text).toContain('operator');
    expect(b.fake.callsTo('views.open')).toEqual([]);
  }, 30_000);
});

describe('Delete a blue-green job', () => {
  it('Delete on a Healthy card stops tracking the job; the workload keeps running', async () => {
    const b = await start();
    await createHealthy(b);
    const card = await jobCardWhen(b, 'web', (m) => buttonsOf(m).some((x) => x.action_id === 'bluegreen.delete'), 'Delete on the card');
    expect(buttonsOf(card).find((x) => x.action_id === 'bluegreen.delete')?.confirm?.text.text).toContain('keeps running');

    const ref = (await b.cards.get('bg:web'))!;
    const click = await clickJob(b, 'web', 'bluegreen.delete', 'U0CAROL');
    expect(click.status).toBe(200);
    const closed = await eventually(() => b.fake.messages(ref.channel).find((m) => m.ts === ref.ts && (m.text ?? '').includes('was deleted by')), 5000, 'card closed');
    expect(closed.text).toBe('~Blue-green job web (prod/web)~ was deleted by <@U0CAROL>. prod/web keeps running rev 1 (registry.local/web:1.0); the bot no longer tracks it.');
    expect(buttonsOf(closed)).toEqual([]);
    expect(await b.jobs.get('web')).toBeUndefined();
    await eventually(() => b.fake.thread(ref.channel, ref.ts).some((m) => (m.text ?? '').startsWith('Deleted by <@U0CAROL>')), 5000, 'thread says deleted');

    expect(b.ackText(await bg(b, 'list'))).not.toContain('web');
    // The audit keeps the record after the job is gone.
    const audit = await bg(b, 'audit web');
    expect(JSON.stringify(audit.json)).toMatch(/delete/);
    expect(JSON.stringify(audit.json)).toContain('U0CAROL');
    // The platform was not touched: what served still serves.
    const seen = await b.platform.bgInspect('prod', 'web');
    expect(seen?.serving).toBe('blue');
    expect(seen?.slots.blue?.image).toBe('registry.local/web:1.0');
    // The release object is free at once for a new job.
    expect(b.ackText(await bg(b, 'create web2 --env prod --workload web --image registry.local/web:1.0'))).toContain('Created blue-green job *web2*');
  }, 30_000);

  it('/bluegreen delete refuses a job that is not Healthy, and deletes a Healthy one', async () => {
    const b = await start();
    await createHealthy(b);
    await bg(b, 'update web registry.local/web:2.0');
    await b.jobUntil('web', 'Paused');
    expect(b.ackText(await bg(b, 'delete web'))).toBe(
      'web is Paused; it can be deleted only when Healthy (Release or Terminate the new version first)',
    );
    expect((await b.jobs.get('web'))!.status).toBe('Paused');

    await bg(b, 'terminate web');
    await b.jobUntil('web', 'Healthy');
    expect(b.ackText(await bg(b, 'delete web', 'U0BOB'))).toBe(
      'Deleted blue-green job web. prod/web keeps running rev 1 (registry.local/web:1.0); `/bluegreen create` tracks it again.',
    );
    expect(b.ackText(await bg(b, 'show web'))).toContain('No blue-green job web');
    expect(b.ackText(await bg(b, 'delete web'))).toContain('No blue-green job web');
  }, 30_000);
});

describe('links from the policy file', () => {
  it('a task card carries Logs, Dashboard and Workload buttons, and a failure reply links the logs', async () => {
    const b = await start({ SIM_FAIL_COMPONENTS: 'api' }, LINKS_POLICY);
    const one = await b.create('one deploy --env prod web=registry.local/web:1.0');
    const card = await eventually(async () => (await b.card(one)) ?? undefined, 5000, 'card');
    const links = buttonsOf(card).filter((x) => x.action_id?.startsWith('link.'));
    expect(links.map((x) => [x.action_id, x.text.text, x.url])).toEqual([
      ['link.logs', 'Logs', 'https://logs.example.com/prod/web?since=1h'],
      ['link.dashboard', 'Dashboard', `https://grafana.example.com/d/releases?var-env=prod&var-task=${one}`],
      ['link.workload', 'Workload', 'https://console.example.com/prod/workloads/web'],
    ]);

    // A task of many components: the dashboard, and the logs of what failed, on the card and in the thread.
    const two = await b.create('two deploy --env prod web=registry.local/web:1.0 api=registry.local/api:1.0');
    await b.click(two, 'release.start');
    await b.waitForTask(two, (t) => t.status === 'Release failed' || t.status === 'Released');
    const failedCard = await eventually(async () => {
      const m = await b.card(two);
      return m && buttonsOf(m).some((x) => x.text.text === 'Logs · api') ? m : undefined;
    }, 5000, 'Logs · api on the card');
    expect(buttonsOf(failedCard).filter((x) => x.action_id?.startsWith('link.')).map((x) => x.url)).toEqual([
      `https://grafana.example.com/d/releases?var-env=prod&var-task=${two}`,
      'https://logs.example.com/prod/api?since=1h',
    ]);
    const reply = await eventually(async () => (await b.threadTexts(two)).find((t) => t.startsWith('`api` failed')), 5000, 'failure reply');
    expect(reply).toMatch(/^`api` failed: .+ · <https:\/\/logs\.example\.com\/prod\/api\?since=1h\|logs>$/);

    // Slack sends a block_actions for a url button too: acked, and nothing else happens.
    const before = b.fake.calls.length;
    const ref = (await b.cards.get(two))!;
    const ack = await postSigned(`${b.url}/slack/events`, blockActionsBody({ user_id: 'U0ALICE', channel_id: ref.channel, message_ts: ref.ts, action_id: 'link.logs.0', value: '' }), { secret: SECRET });
    expect(ack.status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    expect(b.fake.calls.slice(before).filter((c) => c.method === 'chat.postEphemeral')).toEqual([]);
  }, 40_000);

  it('a blue-green card links its release object and carries the link buttons', async () => {
    const b = await start({}, LINKS_POLICY);
    await createHealthy(b);
    const card = await jobCardWhen(b, 'web', (m) => buttonsOf(m).some((x) => x.action_id === 'link.logs'), 'link buttons on the job card');
    const fields = ((card.blocks ?? []) as Array<{ type: string; fields?: Array<{ text: string }> }>).flatMap((x) => x.fields ?? []).map((f) => f.text);
    expect(fields).toContain('*Release object*\n<https://console.example.com/prod/workloads/web|prod/web>');
    expect(buttonsOf(card).filter((x) => x.action_id?.startsWith('link.')).map((x) => x.url)).toEqual([
      'https://logs.example.com/prod/web?since=1h',
      'https://console.example.com/prod/workloads/web',
    ]); // the dashboard template names {task}: not a job's, so no button
  }, 30_000);

  it('the policy loader refuses a link template that is not an http(s) URL, naming the key', () => {
    const path = writePolicy('environments:\n  prod:\n    links:\n      logs: "logs.example.com/{env}/{component}"\n');
    expect(() => loadPolicyFile(path)).toThrow(PolicyError);
    expect(() => loadPolicyFile(path)).toThrow(/environments\.prod\.links\.logs expects an http:\/\/ or https:\/\/ URL template/);
    const unknown = writePolicy('environments:\n  prod:\n    links:\n      dashboard: "https://d.example/{pod}"\n');
    expect(() => loadPolicyFile(unknown)).toThrow(/environments\.prod\.links\.dashboard expects placeholders among .* \(not \{pod\}\)/);
  });
});
