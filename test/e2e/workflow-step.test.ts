/**
 * End to end: the Workflow Builder step "Start a release task". A signed `function_executed`
 * event (Events API, JSON) comes in; the task is created and started as the workflow's person,
 * with its card, thread and audit; when it ends the fake Slack API records
 * `functions.completeSuccess` with its outputs. Refusals end the step with `completeError` in the
 * command's own words; on a protected environment the step waits for an Approve click.
 */
import { Queue } from 'bullmq';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { queuePrefix, settledJobId } from '../../src/jobs/queues.js';
import { parseReleaseCommand } from '../../src/commands/release-grammar.js';
import { START_RELEASE_TASK } from '../../src/slack/listeners/functions/index.js';
import type { FunctionCompletion } from '../support/fake-slack.js';
import { removePolicies, writePolicy } from '../support/policy.js';
import { functionExecutedBody, functionExecutionId, postSigned } from '../support/slack-signing.js';
import { SECRET, eventually, slackIdle, startTestBot, type TestBot } from '../support/test-bot.js';

const POLICY = `
operators: [U0ALICE, U0CAROL]
environments:
  staging: { channel: C0STAGING }
  production:
    channel: C0PROD
    approvers: [U0CAROL]
  qa: {}
`;

let bot: TestBot;
afterEach(async () => {
  await bot?.stop();
});
afterAll(() => removePolicies());

async function startBot(name: string): Promise<TestBot> {
  bot = await startTestBot({ SWITCHYARD_CONFIG: writePolicy(POLICY) }, name);
  return bot;
}

/** A workflow runs the step with `inputs`; returns the execution ID and Slack's answer to the event. */
async function runStep(inputs: Record<string, unknown>) {
  const executionId = functionExecutionId();
  const res = await postSigned(`${bot.url}/slack/events`, functionExecutedBody({ callback_id: START_RELEASE_TASK, inputs, function_execution_id: executionId }), {
    secret: SECRET,
    contentType: 'application/json',
  });
  return { executionId, res };
}

/** How the step's execution was completed, once it was. */
function completion(executionId: string, timeoutMs = 10_000): Promise<FunctionCompletion> {
  return eventually(() => bot.fake.completions.find((c) => c.executionId === executionId), timeoutMs, `completion of ${executionId}`);
}

/** The one task the bot holds. */
async function onlyTask() {
  const heads = await eventually(async () => {
    const h = await bot.tasks.heads();
    return h.length ? h : undefined;
  }, 5000, 'a task');
  expect(heads).toHaveLength(1);
  return heads[0]!;
}

/** Waits until the events queue job `id` (a settled event) has been handled. */
async function eventsDone(id: string): Promise<void> {
  const q = new Queue('events', { connection: bot.redis, prefix: queuePrefix(bot.config.REDIS_PREFIX, 'events', bot.redis.isCluster) });
  try {
    await eventually(async () => (await q.getJob(id))?.isCompleted(), 10_000, `${id} handled`);
  } finally {
    await q.close();
  }
}

async function auditActions(target: string): Promise<string[]> {
  const rows = await bot.redis.xrange(`${bot.config.REDIS_PREFIX}:audit`, '-', '+');
  return rows.map(([, f]) => Object.fromEntries(Array.from({ length: f.length / 2 }, (_, i) => [f[2 * i], f[2 * i + 1]]))).filter((e) => e.target === target).map((e) => e.action!);
}

describe('Workflow Builder step: Start a release task', () => {
  it('creates and starts the task as the workflow\'s person, and completes the step when it is Released', async () => {
    await startBot('wf-release');
    const { executionId, res } = await runStep({
      name: 'web-1.4', environment: 'staging', operation: 'deploy', components: 'web=registry.local/web:1.4x2 api=registry.local/api:1.4', requested_by: 'U0ALICE',
    });
    expect(res.status).toBe(200); // acknowledged at once; the release goes on without the request

    const head = await onlyTask();
    const done = await bot.waitForTask(head.id, (t) => t.status === 'Released' && t.workflow?.completed === 'Released');
    expect(done).toMatchObject({ name: 'web-1.4', env: 'staging', operation: 'Bulk Deploy', createdBy: 'U0ALICE', startedBy: 'U0ALICE', channel: 'C0STAGING' });
    expect(done.workflow).toEqual({ executionId, completed: 'Released' });
    expect(done.components.map((c) => [c.name, c.image, c.replicas, c.status])).toEqual([
      ['web', 'registry.local/web:1.4', 2, 'Released'],
      ['api', 'registry.local/api:1.4', 1, 'Released'],
    ]);

    const c = await completion(executionId);
    expect(c).toMatchObject({ outputs: { task_id: head.id, final_status: 'Released' } });
    // Completed by a worker with the bot token, once.
    expect(bot.fake.callsTo('functions.completeSuccess').map((call) => call.token)).toEqual(['xoxb-test']);
    expect(bot.fake.callsTo('functions.completeError')).toEqual([]);

    // The same card, thread and audit as a typed create and start.
    await eventually(async () => (await bot.card(head.id))?.text?.includes('Released'), 5000, 'card shows Released');
    const thread = await eventually(async () => {
      const t = await bot.threadTexts(head.id);
      return t.some((x) => x.startsWith('Released in')) ? t : undefined;
    }, 5000, 'thread summary');
    expect(thread[0]).toMatch(/^Releasing started by <@U0ALICE>/);
    expect(await auditActions(head.id)).toEqual(['create', 'start', 'release-finished']);

    // Without an operation the step upgrades. A later run of its task (a rollback) does not complete the step again.
    const again = await runStep({ name: 'web-1.5', environment: 'staging', components: 'web=registry.local/web:1.5', requested_by: 'U0CAROL' });
    const second = await completion(again.executionId);
    expect(second).toMatchObject({ outputs: { final_status: 'Released' } });
    const upgrade = String((second as { outputs?: Record<string, unknown> }).outputs?.task_id);
    expect((await bot.tasks.get(upgrade))!.operation).toBe('Bulk Upgrade');
    await bot.command(`rollback ${upgrade}`, { user: 'U0CAROL' });
    await bot.waitForTask(upgrade, (t) => t.status === 'Rolled back');
    await eventsDone(settledJobId({ kind: 'task', id: upgrade }, 'Rolled back', 2));
    await slackIdle(bot);
    expect(bot.fake.completions.map((x) => x.executionId)).toEqual([executionId, again.executionId]);
    expect(bot.fake.callsTo('functions.completeSuccess')).toHaveLength(2);
  });

  it('a refusal ends the step with completeError in the command\'s words, and nothing is stored', async () => {
    await startBot('wf-refused');
    // Bad components: the grammar's own message, as /release create would answer it.
    const text = 'create web-2 deploy --env staging web';
    const grammar = parseReleaseCommand(text);
    expect(grammar.ok).toBe(false);
    const message = (grammar as { error: string }).error;
    expect(bot.ackText(await bot.command(text))).toContain(message);
    const bad = await runStep({ name: 'web-2', environment: 'staging', operation: 'deploy', components: 'web', requested_by: 'U0ALICE' });
    expect(await completion(bad.executionId)).toMatchObject({ error: message });

    // Not an operator: the operations' refusal.
    const stranger = await runStep({ name: 'web-3', environment: 'staging', operation: 'deploy', components: 'web=web:1', requested_by: 'U0MALLORY' });
    expect(await completion(stranger.executionId)).toMatchObject({ error: expect.stringContaining('You are not an operator') });

    // No operation given: an upgrade, whose plan refuses a component that does not run there.
    const upgrade = await runStep({ name: 'web-4', environment: 'staging', components: 'ghost=ghost:2', requested_by: 'U0ALICE' });
    expect(await completion(upgrade.executionId)).toMatchObject({ error: expect.stringMatching(/^Cannot create web-4: the plan cannot succeed\.[\s\S]*ghost/) });

    // No channel for the card: neither the step nor the policy gives one.
    const nowhere = await runStep({ name: 'web-5', environment: 'qa', operation: 'deploy', components: 'web=web:1', requested_by: 'U0ALICE' });
    expect(await completion(nowhere.executionId)).toMatchObject({ error: expect.stringContaining('No channel for the card of a task in qa') });

    expect(bot.fake.callsTo('functions.completeSuccess')).toEqual([]);
    expect(await bot.tasks.heads()).toEqual([]);
    expect(bot.fake.completions).toHaveLength(4);

    // With a channel the step gives, the card goes there.
    const here = await runStep({ name: 'web-6', environment: 'qa', operation: 'deploy', components: 'web=web:1', requested_by: 'U0ALICE', channel: 'C0QA' });
    const head = await onlyTask();
    expect(head.channel).toBe('C0QA');
    expect(await completion(here.executionId)).toMatchObject({ outputs: { task_id: head.id, final_status: 'Released' } });
    expect(bot.fake.messages('C0QA').length).toBeGreaterThan(0);
  });

  it('on an environment with approvers the task waits for an Approve click; the step completes after it is Released', async () => {
    await startBot('wf-approval');
    const { executionId } = await runStep({ name: 'prod-1', environment: 'production', operation: 'deploy', components: 'web=registry.local/web:1.0', requested_by: 'U0ALICE' });
    const head = await onlyTask();
    await bot.waitForTask(head.id, (t) => t.approval?.action === 'start');
    expect((await bot.tasks.get(head.id))!.status).toBe('To release');

    // The card asks, as for a typed start; the step stays open meanwhile.
    await eventually(async () => {
      const card = await bot.card(head.id);
      const ids = ((card?.blocks ?? []) as Array<{ type: string; elements?: Array<{ action_id?: string }> }>).flatMap((b) => (b.type === 'actions' ? (b.elements ?? []).map((e) => e.action_id) : []));
      return ids.includes('release.approve');
    }, 5000, 'Approve on the card');
    expect(bot.fake.completions).toEqual([]);

    const click = await bot.click(head.id, 'release.approve', { user: 'U0CAROL' });
    expect(click.status).toBe(200);
    const done = await bot.waitForTask(head.id, (t) => t.status === 'Released');
    expect(done.startedBy).toBe('U0ALICE'); // the approved start runs as its requester
    expect(await completion(executionId)).toMatchObject({ outputs: { task_id: head.id, final_status: 'Released' } });
    expect(await auditActions(head.id)).toEqual(['create', 'approval-requested', 'approve', 'start', 'release-finished']);
  });
});
