import type { KnownBlock } from '@slack/types';
import { describe, expect, it } from 'vitest';
import { parseReleaseCommand } from '../../src/commands/release-grammar.js';
import type { AuditEntry } from '../../src/domain/audit.js';
import type { ComponentEvent } from '../../src/domain/release-task.js';
import type { RunningComponent } from '../../src/platform/port.js';
import { componentsView, messageBlocks, taskDetail, taskList } from '../../src/slack/blocks/task-views.js';
import { texts } from '../support/blocks.js';
import { AuditEntryFactory, TaskFactory, component } from '../support/factories.js';

const NOW = new Date('2025-03-10T12:00:00Z');

/** The tasks of these tests: Bulk Upgrades of `web` and `api`, created at 09:00 UTC, version 3. */
const Tasks = TaskFactory.extend(() => ({
  operation: 'Bulk Upgrade',
  components: [component('web'), component('api')],
  createdAt: '2025-03-10T09:00:00Z',
  version: 3,
  stateVersion: 1,
}));

/** The `i`th audit entry: U111 did `action-<i>` to rt-7k2f9q at 10:00 UTC + `i` minutes. */
function audit(i: number, over: Partial<AuditEntry> = {}): AuditEntry {
  const at = new Date(Date.parse('2025-03-10T10:00:00Z') + i * 60_000).toISOString();
  return AuditEntryFactory.create({ at, actor: 'U111', action: `action-${i}`, ...over });
}

function expectWithinLimits(blocks: KnownBlock[]): void {
  expect(blocks.length).toBeLessThanOrEqual(50);
  for (const t of texts(blocks)) expect(t.length).toBeLessThan(3000);
}

describe('taskDetail', () => {
  const history: ComponentEvent[] = [
    { run: 1, action: 'release', status: 'Released', startedAt: '2025-03-10T10:00:00Z', endedAt: '2025-03-10T10:02:13Z', previousImage: 'registry/web:1.3', image: 'registry/web:1.4' },
    { run: 2, action: 'rollback', status: 'Rollback failed', startedAt: '2025-03-10T11:00:00Z', endedAt: '2025-03-10T11:00:45Z', error: 'image <gone>' },
  ];

  it('shows info, Release Info, Release History newest first and recent audit', () => {
    const task = Tasks.create({
      status: 'Rollback failed',
      components: [component('web', { status: 'Rollback failed', previousImage: 'registry/web:1.3', history }), component('api')],
    });
    const entries = Array.from({ length: 15 }, (_, i) => audit(i));
    entries.push(audit(20, { actor: 'system', action: 'transition', from: 'Rolling back', to: 'Rollback failed' }));
    const { text, blocks } = taskDetail(task, entries, NOW);
    expect(text).toContain('web-rollout (rt-7k2f9q)');
    expectWithinLimits(blocks);
    const all = texts(blocks).join('\n');
    expect(all).toContain('`rt-7k2f9q`');
    expect(all).toContain('*Release Info*');
    expect(all).toContain('`web` · image registry/web:1.4 · previous registry/web:1.3');
    expect(all).toContain('*Release History*');
    const run2 = all.indexOf('run 2 · rollback');
    const run1 = all.indexOf('run 1 · release');
    expect(run2).toBeGreaterThan(-1);
    expect(run1).toBeGreaterThan(run2);
    expect(all).toContain('<!date^1741600800^{date_short_pretty} {time}|2025-03-10T10:00:00.000Z>');
    expect(all).toContain('2m 13s');
    expect(all).toContain('was registry/web:1.3');
    expect(all).toContain('image &lt;gone&gt;');
    expect(all).toContain('*Recent audit*');
    expect(all).toContain('system transition: Rolling back → Rollback failed');
    expect(all).toContain('<@U111> action-14');
    expect(all).not.toContain('action-5'); // only the last 10 entries
    expect(all.indexOf('system transition')).toBeLessThan(all.indexOf('action-14'));
  });

  it('says who did what like the card: Released by the creator, Started by, Rolled back by', () => {
    const task = Tasks.create({ status: 'Rolled back', createdBy: 'U0ALICE', releasedAt: '2025-03-10T10:05:00Z', startedBy: 'U0BOB', rolledBackBy: 'U0CAROL' });
    const all = texts(taskDetail(task, [], NOW).blocks).join('\n');
    expect(all).toMatch(/ · Released by <@U0ALICE> <!date\^\d+\^[^>]+> · Started by <@U0BOB> · Rolled back by <@U0CAROL>/);
  });

  it('shows the source environment for clone', () => {
    const task = Tasks.create({ operation: 'Bulk Clone', sourceEnv: 'staging', components: [component('web', { image: undefined })] });
    expect(texts(taskDetail(task, [], NOW).blocks).join('\n')).toContain('`web` · from staging');
  });

  it('stays within limits with 200 components, long histories and errors', () => {
    const long: ComponentEvent[] = Array.from({ length: 8 }, (_, i) => ({
      run: i + 1,
      action: 'release',
      status: 'Release failed',
      startedAt: '2025-03-10T10:00:00Z',
      endedAt: '2025-03-10T10:01:00Z',
      error: 'e'.repeat(1000),
      previousImage: `registry.example.com/some/very/long/path/component:${'v'.repeat(100)}`,
    }));
    const comps = Array.from({ length: 200 }, (_, i) =>
      component(`component-${i}`, { status: i % 4 === 0 ? 'Release failed' : 'Released', history: long, error: 'boom' }),
    );
    const task = Tasks.create({ status: 'Release failed', components: comps, description: 'd'.repeat(4000) });
    const { blocks } = taskDetail(task, Array.from({ length: 50 }, (_, i) => audit(i, { detail: 'x'.repeat(500) })), NOW);
    expectWithinLimits(blocks);
    const all = texts(blocks).join('\n');
    expect(all).toContain('components 1–20 of 200, failures and in-flight first · page 1 of 10 · next: `/release show rt-7k2f9q --page 2`');
    expect(all).toContain('`component-0`');
    expect(all).toContain('`component-76`'); // the 20th failure: failures come first
    expect(all).not.toContain('`component-1`');
    expect(all).toContain('*Recent audit*');
    expect(all).toContain('Released 150/200 · Failed 50');
  });

  it('pages through 2,000 components: every one on exactly one page, failures first', () => {
    const comps = Array.from({ length: 2000 }, (_, i) =>
      component(`c-${i}`, { status: i % 100 === 99 ? 'Release failed' : 'Released', error: 'boom' }),
    );
    const task = Tasks.create({ status: 'Release failed', components: comps });
    const seen: string[] = [];
    for (let page = 1; page <= 100; page++) {
      const { blocks, text } = taskDetail(task, [audit(1)], NOW, page);
      expectWithinLimits(blocks);
      expect(text).toContain(`(page ${page} of 100)`);
      const info = texts(blocks).find((t) => t.startsWith('*Release Info*'))!;
      seen.push(...[...info.matchAll(/^`(c-\d+)`/gm)].map((m) => m[1]!));
      const all = texts(blocks).join('\n');
      expect(all.includes('*Recent audit*')).toBe(page === 1);
      expect(all.includes(`--page ${page + 1}\``)).toBe(page < 100);
    }
    expect(seen).toHaveLength(2000);
    expect(new Set(seen).size).toBe(2000);
    expect(seen.slice(0, 20)).toEqual(Array.from({ length: 20 }, (_, i) => `c-${i * 100 + 99}`));
    // Past the end: the last page, saying so.
    expect(texts(taskDetail(task, [], NOW, 500).blocks).join('\n')).toContain('page 100 of 100 (there is no page 500)');
  });
});

describe('taskList', () => {
  it('shows one line per task with its creation time as a date token', () => {
    const tasks = [Tasks.create(), Tasks.create({ id: 'rt-b', name: 'api', status: 'Released', operation: 'Bulk Deploy', env: 'staging', createdAt: '2025-03-09T12:00:00Z' })];
    const { text, blocks } = taskList(tasks, NOW, { env: 'prod' });
    expect(text).toBe('2 release tasks');
    const all = texts(blocks).join('\n');
    expect(all).toContain('`rt-7k2f9q` *web-rollout* · :white_circle: To release · Bulk Upgrade · prod · created <!date^1741597200^{date_short_pretty} {time}|2025-03-10T09:00:00.000Z>');
    expect(all).toContain('`rt-b` *api* · :white_check_mark: Released · Bulk Deploy · staging · created <!date^1741521600^{date_short_pretty} {time}|2025-03-09T12:00:00.000Z>');
    expect(all).toContain('env *prod*');
  });

  it('says nothing matches and shows the filter', () => {
    const { text, blocks } = taskList([], NOW, { status: 'Released', env: 'prod' });
    expect(text).toContain('No release tasks match');
    expect(texts(blocks).join('\n')).toContain('status *Released*, env *prod*');
  });

  it('caps at 40 tasks', () => {
    const tasks = Array.from({ length: 55 }, (_, i) => Tasks.create({ id: `rt-${i}`, name: 'n'.repeat(200) }));
    const { blocks } = taskList(tasks, NOW, {});
    expectWithinLimits(blocks);
    const all = texts(blocks).join('\n');
    expect(all).toContain('`rt-39`');
    expect(all).not.toContain('`rt-40`');
    expect(all).toContain('…and 15 more');
  });

  it('suggests narrowing with a command the parser accepts (round trip)', () => {
    const tasks = Array.from({ length: 41 }, (_, i) => Tasks.create({ id: `rt-${i}` }));
    const all = texts(taskList(tasks, NOW, {}).blocks).join('\n');
    // The hint as the user reads it in Slack (mrkdwn entities decoded), placeholders filled in.
    const hint = /narrow with `([^`]+)`/.exec(all)?.[1]?.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
    expect(hint).toBe('/release list --status "<label>" --env <env>');
    const typed = hint!.replace('<label>', 'Release failed').replace('<env>', 'prod').replace(/^\/release /, '');
    expect(parseReleaseCommand(typed)).toEqual({ ok: true, command: { kind: 'list', status: 'Release failed', env: 'prod' } });
  });

  it('does not suggest narrowing when both filters are already set', () => {
    const tasks = Array.from({ length: 41 }, (_, i) => Tasks.create({ id: `rt-${i}` }));
    const all = texts(taskList(tasks, NOW, { status: 'To release', env: 'prod' }).blocks).join('\n');
    expect(all).toContain('…and 1 more');
    expect(all).not.toContain('narrow with');
  });
});

describe('componentsView', () => {
  const running: RunningComponent[] = [
    { env: 'prod', name: 'web', image: 'registry/web:1.4', replicas: 3, updatedAt: '2025-03-10T11:55:00Z' },
    { env: 'prod', name: 'api', image: 'registry/api:2.0', replicas: 1, updatedAt: '2025-03-08T12:00:00Z' },
  ];

  it('lists components with image, replicas and update time as a date token', () => {
    const { text, blocks } = componentsView('prod', running, NOW);
    expect(text).toBe('2 components in prod');
    const all = texts(blocks).join('\n');
    expect(all).toContain('`web` registry/web:1.4 · 3 replicas · updated <!date^1741607700^{date_short_pretty} {time}|2025-03-10T11:55:00.000Z>');
    expect(all).toContain('`api` registry/api:2.0 · 1 replica · updated <!date^1741435200^{date_short_pretty} {time}|2025-03-08T12:00:00.000Z>');
  });

  it('explains an empty environment', () => {
    const { text } = componentsView('qa', [], NOW);
    expect(text).toContain('No components in qa yet. Deploy some with `/release create');
  });

  it('stays within limits for many components', () => {
    const many = Array.from({ length: 500 }, (_, i) => ({ ...running[0]!, name: `c${i}`, image: 'i'.repeat(300) }));
    const { blocks } = componentsView('prod', many, NOW);
    expectWithinLimits(blocks);
    expect(texts(blocks).join('\n')).toMatch(/…and \d+ more/);
  });
});

describe('messageBlocks', () => {
  it('wraps text in a mrkdwn section', () => {
    expect(messageBlocks('hello *there*')).toEqual([{ type: 'section', text: { type: 'mrkdwn', text: 'hello *there*' } }]);
  });
});
