/**
 * Link templates (domain/links.ts), the link buttons built from them (slack/blocks/links.ts) and
 * the logs links in a run's failure reply.
 */
import type { Button } from '@slack/types';
import { describe, expect, it } from 'vitest';
import { expandLink, expandLinks, linkTemplateProblem } from '../../src/domain/links.js';
import { failureReply } from '../../src/jobs/handlers/run-task.js';
import { linkButtons, taskLinkBlocks } from '../../src/slack/blocks/links.js';
import { taskCard } from '../../src/slack/blocks/task-card.js';
import { messageRefusal } from '../support/fake-slack.js';
import { FIXTURE_NOW, TaskFactory, component } from '../support/factories.js';

const LOGS = 'https://logs.example.com/{env}/{component}';

describe('expandLink', () => {
  it('URL-encodes each value it substitutes', () => {
    expect(expandLink('https://x.example/q?c={component}&e={env}', { component: 'a b/c&d', env: 'prod' })).toBe('https://x.example/q?c=a%20b%2Fc%26d&e=prod');
  });

  it('gives no link when the template names a value this context has not', () => {
    expect(expandLink(LOGS, { env: 'prod' })).toBeUndefined();
    expect(expandLinks({ logs: LOGS, dashboard: 'https://d.example/{env}' }, { env: 'prod' })).toEqual([{ kind: 'dashboard', url: 'https://d.example/prod' }]);
  });

  it.each([
    ['https://x.example/{env}', undefined],
    ['http://10.0.0.1:3000/{task}', undefined],
    ['x.example/{env}', 'an http:// or https:// URL template'],
    ['javascript:alert(1)', 'an http:// or https:// URL (not javascript:)'],
    ['https://x.example/{pod}', 'placeholders among {env}, {component}, {workload}, {job}, {task} (not {pod})'],
    ['https://x.example/a|b', 'a URL without spaces'],
  ])('linkTemplateProblem(%j)', (template, problem) => {
    const found = linkTemplateProblem(template);
    if (problem === undefined) expect(found).toBeUndefined();
    else expect(found).toContain(problem);
  });
});

describe('link buttons', () => {
  it('url buttons under link.*, in the order logs, dashboard, workload', () => {
    const buttons = linkButtons({ workload: 'https://c.example/{workload}', logs: LOGS }, { env: 'prod', component: 'web', workload: 'web' });
    expect(buttons.map((b) => [b.action_id, b.text.text, b.url])).toEqual([
      ['link.logs', 'Logs', 'https://logs.example.com/prod/web'],
      ['link.workload', 'Workload', 'https://c.example/web'],
    ]);
  });

  it('a task of one component links its logs; of many, the dashboard and the logs of up to three failed ones', () => {
    const one = TaskFactory.create({ id: 'rt-aaaaaa', env: 'prod', components: [component('web')] });
    const [row] = taskLinkBlocks({ logs: LOGS }, one);
    expect(row).toMatchObject({ type: 'actions', block_id: 'links:rt-aaaaaa', elements: [{ url: 'https://logs.example.com/prod/web' }] });

    const failed = ['a', 'b', 'c', 'd'].map((n) => component(n, { status: 'Release failed' }));
    const many = TaskFactory.create({ env: 'prod', components: [component('ok', { status: 'Released' }), ...failed] });
    const [row2] = taskLinkBlocks({ logs: LOGS, dashboard: 'https://d.example/{env}?t={task}' }, many);
    const els = (row2?.elements ?? []) as Button[];
    expect(els.map((b) => b.text.text)).toEqual(['Dashboard', 'Logs · a', 'Logs · b', 'Logs · c']);
    expect(new Set(els.map((b) => b.action_id)).size).toBe(els.length); // unique within the block
    expect(taskLinkBlocks(undefined, many)).toEqual([]);
  });

  it('the task card carries the link row last, and Slack takes the card', () => {
    const task = TaskFactory.create({ env: 'prod', components: [component('web')] });
    const card = taskCard(task, FIXTURE_NOW, { links: taskLinkBlocks({ logs: LOGS }, task) });
    expect(card.blocks.at(-1)).toMatchObject({ type: 'actions', elements: [{ action_id: 'link.logs', url: 'https://logs.example.com/prod/web' }] });
    expect(messageRefusal(card)).toBeUndefined();
  });
});

describe('failure reply links', () => {
  const logsOf = (c: string) => expandLink(LOGS, { env: 'prod', component: c });
  it('one failure: its logs after the error', () => {
    expect(failureReply([{ name: 'web', error: 'image pull failed' }], logsOf)).toBe('`web` failed: image pull failed · <https://logs.example.com/prod/web|logs>');
  });
  it('several: a logs link per named component', () => {
    expect(failureReply([{ name: 'a', error: 'x' }, { name: 'b', error: 'y' }], logsOf)).toBe(
      '2 failed: `a` (x, <https://logs.example.com/prod/a|logs>), `b` (y, <https://logs.example.com/prod/b|logs>)',
    );
  });
  it('no template, no link', () => {
    expect(failureReply([{ name: 'web', error: 'boom' }])).toBe('`web` failed: boom');
  });
});
