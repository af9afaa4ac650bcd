import type { Button, KnownBlock, StaticSelect } from '@slack/types';
import { describe, expect, it } from 'vitest';
import { parseBlueGreenCommand } from '../../src/commands/bluegreen-grammar.js';
import type { ApprovalRequest } from '../../src/domain/approval.js';
import { JOB_STATUSES, type BlueGreenJob, type JobStatus } from '../../src/domain/bluegreen-job.js';
import { MAX_BLOCKS, MAX_SECTION_TEXT } from '../../src/slack/blocks/format.js';
import { JOB_ACTION_IDS, UPDATE_VERSION_ACTION_ID, jobButtonValue, jobCard, rollbackOptionText } from '../../src/slack/blocks/job-card.js';
import { historyLine, jobDetail, jobHistory, jobList } from '../../src/slack/blocks/job-views.js';
import { historicalVersion } from '../../src/jobs/handlers/run-bluegreen.js';
import { jobKind, type JobKindDeps } from '../../src/operations/kinds/job-kind.js';
import type { RunQueue } from '../../src/ports/run-queue.js';
import { Refusal, type JobStore } from '../../src/store/versioned-store.js';
import { parseButtonValue } from '../../src/commands/button-value.js';
import { actionsBlock, contextTexts, texts } from '../support/blocks.js';
import { FIXTURE_NOW, JobFactory, daysAgo, releasedVersion } from '../support/factories.js';

const NOW = FIXTURE_NOW;

/** After `update web web:3.0`: rev 5 in blue beside the stable green. */
function withNew(status: JobStatus, over: Partial<BlueGreenJob> = {}): BlueGreenJob {
  const base = JobFactory.create();
  const inBlue = status === 'Paused' || status === 'Promoting' || status === 'Terminating';
  return JobFactory.create({
    status,
    pending: { slot: 'blue', revision: 5, image: 'web:3.0', by: 'U0CAROL' },
    nextRevision: 6,
    versions: inBlue ? { ...base.versions, blue: { slot: 'blue', revision: 5, image: 'web:3.0', replicas: 3, createdAt: daysAgo(0.1) } } : base.versions,
    ...(status === 'Degraded' ? { degradedReason: 'readiness probe failed: HTTP 503 on /healthz' } : {}),
    ...over,
  });
}

function jobIn(status: JobStatus): BlueGreenJob {
  return status === 'Healthy' ? JobFactory.create() : withNew(status);
}

function controls(job: BlueGreenJob): (Button | StaticSelect)[] {
  return (actionsBlock(jobCard(job, NOW).blocks)?.elements ?? []) as (Button | StaticSelect)[];
}

/** The main-versions line of a slot. */
function slotLine(blocks: KnownBlock[], slot: 'blue' | 'green'): string | undefined {
  const main = blocks.find((b) => b.type === 'section' && b.text?.text.startsWith('*Main versions*'));
  if (main?.type !== 'section') throw new Error('no main versions section');
  return main.text!.text.split('\n').find((l) => l.includes(`*${slot}*`));
}

function assertLimits(blocks: KnownBlock[]): void {
  expect(blocks.length).toBeLessThanOrEqual(MAX_BLOCKS);
  for (const b of blocks) {
    if (b.type === 'section') {
      if (b.text) expect(b.text.text.length).toBeLessThanOrEqual(MAX_SECTION_TEXT);
      for (const f of b.fields ?? []) expect(f.text.length).toBeLessThanOrEqual(2000);
    }
    if (b.type === 'context') for (const e of b.elements) if ('text' in e) expect(e.text.length).toBeLessThanOrEqual(MAX_SECTION_TEXT);
    if (b.type === 'header') expect(b.text.text.length).toBeLessThanOrEqual(150);
  }
}

/** The controls each status's card offers: a row per status, so a new status needs a row here. */
const CONTROLS: Record<JobStatus, string[]> = {
  Healthy: ['bluegreen.update-version', 'bluegreen.rollback', 'bluegreen.delete'],
  Progressing: [],
  Paused: ['bluegreen.release', 'bluegreen.terminate'],
  Promoting: [],
  Terminating: [],
  Degraded: ['bluegreen.terminate'],
};

describe('jobCard controls by status', () => {
  it.each(Object.entries(CONTROLS))('%s', (status, ids) => {
    const els = controls(jobIn(status as JobStatus));
    expect(els.map((e) => e.action_id)).toEqual(ids);
    if (ids.length === 0) expect(actionsBlock(jobCard(jobIn(status as JobStatus), NOW).blocks)).toBeUndefined();
  });

  it('has a row above for every status, and every status\'s card names it within Block Kit limits', () => {
    expect(Object.keys(CONTROLS).sort()).toEqual([...JOB_STATUSES].sort());
    for (const status of JOB_STATUSES) {
      const { blocks } = jobCard(jobIn(status), NOW);
      expect(texts(blocks).join('\n')).toContain(status);
      assertLimits(blocks);
    }
  });

  it('JOB_ACTION_IDS', () => {
    expect(JOB_ACTION_IDS).toEqual({ release: 'bluegreen.release', terminate: 'bluegreen.terminate', rollback: 'bluegreen.rollback', delete: 'bluegreen.delete' });
  });

  it('Paused: Release is primary with a confirm naming the target and the new version; Terminate is danger', () => {
    const [release, terminate] = controls(withNew('Paused')) as Button[];
    expect(release).toMatchObject({ type: 'button', style: 'primary', value: 'release web @v17', text: { text: 'Release' } });
    expect(release!.confirm?.text.text).toBe('Send all traffic of prod/web to web:3.0 (rev 5) and delete the old version?');
    expect(release!.confirm?.style).toBeUndefined();
    expect(terminate).toMatchObject({ type: 'button', style: 'danger', value: 'terminate web @v17', text: { text: 'Terminate' } });
    expect(terminate!.confirm).toMatchObject({ style: 'danger', confirm: { text: 'Terminate' }, deny: { text: 'Cancel' } });
    expect(terminate!.confirm?.text.text).toBe('Delete the new version web:3.0 (rev 5) of prod/web? The traffic stays on web:1.2 (rev 4).');
  });

  it('Degraded: Terminate names the failed version', () => {
    const [terminate] = controls(withNew('Degraded')) as Button[];
    expect(terminate).toMatchObject({ style: 'danger', value: 'terminate web @v17' });
    expect(terminate!.confirm?.text.text).toContain('Delete the failed version web:3.0 (rev 5) of prod/web?');
  });

  it('button values go back through parseButtonValue and the grammar', () => {
    for (const b of [...controls(withNew('Paused')), ...controls(withNew('Degraded'))] as Button[]) {
      const { text, version } = parseButtonValue(b.value!);
      expect(version).toBe(17);
      expect(parseBlueGreenCommand(text)).toMatchObject({ ok: true, command: { job: 'web' } });
    }
    expect(jobButtonValue('release', { name: 'web', version: 7 })).toBe('release web @v7');
    expect(jobButtonValue('rollback', { name: 'web', version: 7 }, 3)).toBe('rollback web 3 @v7');
  });

  it('confirm texts stay within Slack limits with the longest names and images', () => {
    const long = withNew('Paused', {
      name: 'j'.repeat(63), env: 'e'.repeat(63), workload: 'w'.repeat(63),
      pending: { slot: 'blue', revision: 5, image: `${'i'.repeat(250)}:1`, by: 'U0CAROL' },
    });
    for (const b of controls(long) as Button[]) {
      expect(b.confirm!.text.text.length).toBeLessThanOrEqual(300);
      expect(b.confirm!.title!.text.length).toBeLessThanOrEqual(100);
      expect(b.value!.length).toBeLessThanOrEqual(2000);
    }
  });
});

describe('jobCard Healthy: Update Version and Delete', () => {
  it('Update Version opens a modal (no confirm), its value names the job and the card version', () => {
    const [update] = controls(JobFactory.create()) as Button[];
    expect(update).toMatchObject({ type: 'button', action_id: UPDATE_VERSION_ACTION_ID, style: 'primary', value: 'update web @v17', text: { text: 'Update Version' } });
    expect(update!.confirm).toBeUndefined();
    expect(parseButtonValue(update!.value!)).toEqual({ text: 'update web', version: 17 });
  });

  it('Delete is a plain button (nothing that serves goes); its confirm says the workload keeps running; its value parses to /bluegreen delete', () => {
    const del = (controls(JobFactory.create()) as Button[]).at(-1)!;
    expect(del).toMatchObject({ type: 'button', action_id: 'bluegreen.delete', value: 'delete web @v17', text: { text: 'Delete' } });
    expect(del.style).toBeUndefined();
    expect(del.confirm).toMatchObject({ style: 'danger', title: { text: 'Delete the job?' }, confirm: { text: 'Delete' } });
    expect(del.confirm!.text.text).toBe(
      'Stop tracking web? Only the job goes: the workload prod/web keeps running web:1.2 (rev 4), untouched. /bluegreen create can track it again.',
    );
    expect(parseBlueGreenCommand(parseButtonValue(del.value!).text)).toEqual({ ok: true, command: { kind: 'delete', job: 'web' } });
  });

  it('no Update Version or Delete on a job that is not Healthy', () => {
    for (const status of JOB_STATUSES.filter((s) => s !== 'Healthy')) {
      expect(controls(jobIn(status)).map((c) => c.action_id)).not.toContain(UPDATE_VERSION_ACTION_ID);
      expect(controls(jobIn(status)).map((c) => c.action_id)).not.toContain('bluegreen.delete');
    }
  });
});

describe('jobCard links', () => {
  const LINKS = { logs: 'https://logs.example.com/{env}/{component}?job={job}', dashboard: 'https://grafana.example.com/d/{env}', workload: 'https://console.example.com/{env}/workloads/{workload}' };

  it('the release object links to the workload page; Logs, Dashboard and Workload buttons follow the controls', () => {
    const { blocks } = jobCard(JobFactory.create(), NOW, { links: LINKS });
    const fields = blocks[1]!.type === 'section' ? blocks[1]!.fields!.map((f) => f.text) : [];
    expect(fields).toContain('*Release object*\n<https://console.example.com/prod/workloads/web|prod/web>');
    const row = blocks.at(-1)!;
    expect(row).toMatchObject({ type: 'actions', block_id: 'links:web' });
    const buttons = (row.type === 'actions' ? row.elements : []) as Button[];
    expect(buttons.map((b) => [b.action_id, b.text.text, b.url])).toEqual([
      ['link.logs', 'Logs', 'https://logs.example.com/prod/web?job=web'],
      ['link.dashboard', 'Dashboard', 'https://grafana.example.com/d/prod'],
      ['link.workload', 'Workload', 'https://console.example.com/prod/workloads/web'],
    ]);
  });

  it('without a workload template the release object links to the dashboard; without templates it is plain', () => {
    const dash = jobCard(JobFactory.create(), NOW, { links: { dashboard: LINKS.dashboard } }).blocks[1]!;
    expect(dash.type === 'section' && dash.fields![2]!.text).toBe('*Release object*\n<https://grafana.example.com/d/prod|prod/web>');
    const plain = jobCard(JobFactory.create(), NOW).blocks;
    expect(plain[1]!.type === 'section' && plain[1]!.fields![2]!.text).toBe('*Release object*\nprod/web');
    expect(plain.some((b) => b.block_id === 'links:web')).toBe(false);
  });

  it('links stay while an approval waits', () => {
    const approval: ApprovalRequest = { action: 'release', requestedBy: 'U0BOB', requestedAt: daysAgo(0.01), needed: 1, approvals: [] };
    const { blocks } = jobCard(withNew('Paused', { approval }), NOW, { links: LINKS });
    expect(blocks.at(-1)).toMatchObject({ type: 'actions', block_id: 'links:web' });
    expect(blocks.some((b) => b.block_id === 'approval:bluegreen:web')).toBe(true);
  });
});

describe('jobCard rollback select', () => {
  it('offers released revisions other than the serving one, newest first', () => {
    const [, select] = controls(JobFactory.create()) as StaticSelect[];
    expect(select).toMatchObject({ type: 'static_select', action_id: 'bluegreen.rollback', placeholder: { text: 'Rollback to…' } });
    expect(select!.options!.map((o) => o.text.text)).toEqual(['rev 2 · web:1.1 · Mar 5 12:00 UTC', 'rev 1 · web:1.0 · Mar 1 12:00 UTC']);
    expect(select!.options!.map((o) => o.value)).toEqual(['rollback web 2 @v17', 'rollback web 1 @v17']);
    expect(select!.confirm?.text.text).toContain('prod/web');
    expect(select!.confirm?.confirm?.text).toBe('Roll back');
  });

  it('option values go back through parseButtonValue and the grammar', () => {
    const [, select] = controls(JobFactory.create()) as StaticSelect[];
    for (const o of select!.options!) {
      const { text, version } = parseButtonValue(o.value!);
      expect(version).toBe(17);
      expect(parseBlueGreenCommand(text)).toMatchObject({ ok: true, command: { kind: 'rollback', job: 'web' } });
    }
  });

  it('no select when there is nothing to roll back to', () => {
    const first = JobFactory.create({
      versions: { blue: { slot: 'blue', revision: 1, image: 'web:1.0', replicas: 3, createdAt: daysAgo(1) } },
      active: 'blue', stable: 'blue', history: [releasedVersion(1, 'web:1.0', daysAgo(1))], nextRevision: 2,
    });
    expect(controls(first).map((c) => c.type)).toEqual(['button', 'button']); // Update Version, Delete
  });

  it('at most 25 options, texts within 75 characters, values within 150', () => {
    const history = Array.from({ length: 300 }, (_, i) =>
      releasedVersion(i + 1, `registry.example.com/a-very-long-team-name/${'x'.repeat(150)}:${i + 1}`, daysAgo(300 - i)));
    const job = JobFactory.create({
      name: 'j'.repeat(63), id: 'j'.repeat(63), history, version: 123456,
      versions: { green: { slot: 'green', revision: 300, image: history[299]!.image, replicas: 3, createdAt: daysAgo(0) } },
    });
    const [, select] = controls(job) as StaticSelect[];
    expect(select!.options).toHaveLength(25);
    expect(select!.options![0]!.value).toBe(`rollback ${'j'.repeat(63)} 299 @v123456`);
    expect(select!.options![24]!.value).toMatch(/ 275 @v123456$/);
    for (const o of select!.options!) {
      expect(o.text.text.length).toBeLessThanOrEqual(75);
      expect(o.text.text).toMatch(/^rev \d+ · .*… · [A-Z][a-z]{2} \d+ \d\d:\d\d UTC$/);
      expect(o.value!.length).toBeLessThanOrEqual(150);
    }
  });

  it('rollbackOptionText', () => {
    expect(rollbackOptionText(releasedVersion(3, 'web:1.2', daysAgo(2)), NOW)).toBe('rev 3 · web:1.2 · Mar 8 12:00 UTC');
  });
});

describe('jobCard main versions', () => {
  it('Healthy: one version, Active and Stable', () => {
    const { blocks } = jobCard(JobFactory.create(), NOW);
    expect(slotLine(blocks, 'green')).toMatch(/^:green_circle: \*green\* \*Active\* \*Stable\* · rev 4 · `web:1\.2` · created <!date\^\d+\^/);
    expect(slotLine(blocks, 'blue')).toBeUndefined();
  });

  it('Paused: the old slot is Active and Stable, the new one is New', () => {
    const { blocks } = jobCard(withNew('Paused'), NOW);
    const green = slotLine(blocks, 'green')!;
    const blue = slotLine(blocks, 'blue')!;
    expect(green).toContain('*Active* *Stable*');
    expect(green).not.toContain('*New*');
    expect(blue).toMatch(/^:large_blue_circle: \*blue\* \*New\* · rev 5 · `web:3\.0` · created <!date/);
    expect(blue).not.toMatch(/Active|Stable/);
    expect(blue).toContain('ready: Release or Terminate');
  });

  it('Promoting after the switch: the new slot is Active and New, the old one still Stable', () => {
    const { blocks } = jobCard(withNew('Promoting', { active: 'blue' }), NOW);
    expect(slotLine(blocks, 'blue')).toContain('*blue* *Active* *New*');
    expect(slotLine(blocks, 'green')).toContain('*green* *Stable*');
    expect(slotLine(blocks, 'green')).not.toContain('*Active*');
  });

  it('Progressing: the coming version is listed as New without Active/Stable', () => {
    const { blocks } = jobCard(withNew('Progressing'), NOW);
    expect(slotLine(blocks, 'blue')).toBe(':large_blue_circle: *blue* *New* · rev 5 · `web:3.0` · _coming up…_');
    expect(slotLine(blocks, 'green')).toContain('*Active* *Stable*');
  });

  it('first version coming up: nothing is labelled Active or Stable yet', () => {
    const creating = JobFactory.create({
      status: 'Progressing', versions: {}, active: 'blue', stable: 'blue', history: [], nextRevision: 2,
      pending: { slot: 'blue', revision: 1, image: 'web:1.0', by: 'U0ALICE' },
    });
    const { blocks } = jobCard(creating, NOW);
    expect(slotLine(blocks, 'blue')).toBe(':large_blue_circle: *blue* *New* · rev 1 · `web:1.0` · _coming up…_');
    expect(actionsBlock(blocks)).toBeUndefined();
  });

  it('rollback in progress says which revision it brings back', () => {
    const job = withNew('Paused', { pending: { slot: 'blue', revision: 5, image: 'web:1.0', by: 'U0CAROL', rollbackOf: 1 } });
    expect(slotLine(jobCard(job, NOW).blocks, 'blue')).toContain('rollback to rev 1');
  });

  it('Degraded: shows the reason in a warning context', () => {
    const { blocks } = jobCard(withNew('Degraded'), NOW);
    const warning = blocks.find((b) => b.type === 'context' && texts(b).some((t) => t.startsWith(':warning:')));
    expect(texts(warning)).toEqual([
      ':warning: rev 5 (`web:3.0`) never became ready: readiness probe failed: HTTP 503 on /healthz. rev 4 still serves; Terminate to remove the failed version.',
    ]);
    expect(slotLine(blocks, 'blue')).toContain('never became ready');
  });

  it('Degraded: a reason that starts with the image and "never became ready" says them once', () => {
    const job = withNew('Degraded', { degradedReason: 'web:3.0 never became ready (readiness probe failing; progress deadline exceeded)' });
    expect(contextTexts(jobCard(job, NOW).blocks)).toContain(
      ':warning: rev 5 (`web:3.0`) never became ready (readiness probe failing; progress deadline exceeded). rev 4 still serves; Terminate to remove the failed version.',
    );
  });

  it('Degraded reason is escaped, flattened and cut', () => {
    const job = withNew('Degraded', { degradedReason: `<script>\n& ${'y'.repeat(2000)}` });
    const warning = texts(jobCard(job, NOW).blocks).find((t) => t.startsWith(':warning:'))!;
    expect(warning).toContain('&lt;script&gt; &amp; yyy');
    expect(warning.length).toBeLessThan(800);
  });
});

describe('jobCard info and text', () => {
  it('header, fields, description and who/when', () => {
    const { blocks } = jobCard(withNew('Paused'), NOW);
    expect(blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: 'web', emoji: true } });
    expect(blocks[1]).toMatchObject({ type: 'section' });
    const fields = blocks[1]!.type === 'section' ? blocks[1]!.fields!.map((f) => f.text) : [];
    expect(fields).toEqual([
      '*Status*\n:double_vertical_bar: Paused',
      '*Release type*\nBlue-Green',
      '*Release object*\nprod/web',
      '*Replicas*\n3',
    ]);
    const all = texts(blocks);
    expect(all).toContain('Storefront');
    expect(all.some((t) => /^Created by <@U0ALICE> <!date\^\d+\^.*> · last update <!date\^\d+\^[^>]*>$/.test(t))).toBe(true);
  });

  it.each([
    ['Healthy', ':large_green_circle: Healthy'],
    ['Progressing', ':hourglass_flowing_sand: Progressing'],
    ['Paused', ':double_vertical_bar: Paused'],
    ['Promoting', ':arrow_right: Promoting'],
    ['Terminating', ':wastebasket: Terminating'],
    ['Degraded', ':warning: Degraded'],
  ] as const)('status %s', (status, label) => {
    const { text, blocks } = jobCard(jobIn(status), NOW);
    expect(text).toBe(`Blue-green job web (prod/web): ${status}`);
    expect(texts(blocks)).toContain(`*Status*\n${label}`);
  });

  it('escapes user text in mrkdwn', () => {
    const { blocks } = jobCard(JobFactory.create({ description: '<!channel> & friends' }), NOW);
    expect(texts(blocks)).toContain('&lt;!channel&gt; &amp; friends');
  });

  it('stays within limits with 300 history entries and long values', () => {
    const history = Array.from({ length: 300 }, (_, i) =>
      releasedVersion(i + 1, `registry.example.com/team/${'w'.repeat(200)}:${i + 1}`, daysAgo(300 - i), { by: `U${i}` }));
    for (const status of JOB_STATUSES) {
      const job = withNew(status, {
        history, description: 'd'.repeat(500), degradedReason: 'r'.repeat(5000), name: 'n'.repeat(63),
        versions: { green: { slot: 'green', revision: 300, image: history[299]!.image, replicas: 3, createdAt: daysAgo(0) } },
      });
      const card = jobCard(job, NOW);
      assertLimits(card.blocks);
      expect(card.blocks.length).toBeLessThan(15);
    }
  });
});

describe('jobCard awaiting approval', () => {
  const approval: ApprovalRequest = {
    action: 'release',
    requestedBy: 'U0CAROL',
    requestedAt: daysAgo(0.01),
    needed: 2,
    approvals: [{ user: 'U0BOB', at: new Date(NOW.getTime() - 5 * 60_000).toISOString() }],
  };

  it('Paused: Approve and Reject replace Release and Terminate; the status stays Paused', () => {
    const card = jobCard(withNew('Paused', { approval }), NOW);
    expect(controls(withNew('Paused', { approval })).map((e) => e.action_id)).toEqual(['bluegreen.approve', 'bluegreen.reject']);
    const [approve, reject] = controls(withNew('Paused', { approval })) as Button[];
    expect(approve?.value).toBe('approve web @v17');
    expect(reject?.value).toBe('reject web @v17');
    expect(parseBlueGreenCommand(parseButtonValue(approve!.value!).text)).toMatchObject({ ok: true, command: { kind: 'approve', job: 'web' } });
    const all = texts(card.blocks).join('\n');
    expect(all).toContain(':double_vertical_bar: Paused');
    expect(all).toContain(':lock: *Awaiting approval (1/2) from the prod approvers* to Release');
    expect(all).toMatch(/Approved by <@U0BOB> <!date\^\d+\^/);
    expect(card.text).toBe('Blue-green job web (prod/web): Paused, awaiting approval (1/2)');
    assertLimits(card.blocks);
  });

  it('Healthy: the approval to roll back replaces the Rollback select', () => {
    const job = JobFactory.create({ approval: { ...approval, action: 'rollback', revision: 2, approvals: [] } });
    const card = jobCard(job, NOW);
    expect(controls(job).map((e) => e.action_id)).toEqual(['bluegreen.approve', 'bluegreen.reject']);
    expect(texts(card.blocks).join('\n')).toContain('*Awaiting approval (0/2) from the prod approvers* to Rollback to rev 2');
    expect(card.text).toContain('awaiting approval (0/2)');
  });

  it('shows a freeze override and stays within limits with long values', () => {
    const job = withNew('Paused', {
      name: 'n'.repeat(63),
      description: 'd'.repeat(500),
      approval: { ...approval, override: { by: 'U0BOB', reason: 'r'.repeat(5000), window: 'release freeze' } },
    });
    const card = jobCard(job, NOW);
    assertLimits(card.blocks);
    expect(texts(card.blocks).join('\n')).toContain('❄️ Freeze release freeze overridden by <@U0BOB>: rrr');
  });
});

describe('job views', () => {
  const history = Array.from({ length: 300 }, (_, i) =>
    i % 7 === 3
      ? { revision: i + 1, image: `registry.example.com/team/web:${i + 1}`, at: daysAgo(300 - i), by: 'U0BOB', outcome: 'failed' as const }
      : releasedVersion(i + 1, `registry.example.com/team/web:${i + 1}`, daysAgo(300 - i), i % 11 === 5 ? { rollbackOf: 2 } : {}));
  const big = JobFactory.create({
    history,
    versions: { green: { slot: 'green', revision: 300, image: history[299]!.image, replicas: 3, createdAt: daysAgo(0) } },
  });

  it('jobDetail: basic info, main versions and the latest 10 historical versions', () => {
    const view = jobDetail(big, NOW);
    assertLimits(view.blocks);
    const all = texts(view.blocks).join('\n');
    expect(view.text).toBe('Blue-green job web (prod/web): Healthy');
    expect(all).toContain('*Release object*\nprod/web');
    expect(all).toContain('*Main versions*');
    expect(all).toContain('latest 10 of 300');
    expect(all).toContain('*rev 300*');
    expect(all).toContain('*rev 291*');
    expect(all).not.toContain('*rev 290*');
    expect(view.blocks.some((b) => b.type === 'actions')).toBe(false);
  });

  it('jobHistory: every version newest first with outcome, rollback, when and who, within limits', () => {
    const view = jobHistory(big, NOW);
    assertLimits(view.blocks);
    const lines = view.blocks.flatMap((b) => (b.type === 'section' && b.text ? b.text.text.split('\n') : []));
    const revs = lines.map((l) => /\*rev (\d+)\*/.exec(l)?.[1]).filter(Boolean).map(Number);
    expect(revs).toEqual(Array.from({ length: 300 }, (_, i) => 300 - i));
    const rev6 = lines.find((l) => l.includes('*rev 6*'))!;
    expect(rev6).toMatch(/^• :white_check_mark: \*rev 6\* · `registry\.example\.com\/team\/web:6` · released \(rollback to rev 2\) · <!date\^\d+\^.*> · by <@U0ALICE>$/);
    expect(lines.find((l) => l.includes('*rev 4*'))).toContain(':x: *rev 4* · `registry.example.com/team/web:4` · failed');
    expect(lines.find((l) => l.includes('*rev 300*'))).toContain('_serving_');
  });

  it('jobHistory: terminated and pending', () => {
    const view = jobHistory(withNew('Paused'), NOW);
    const all = texts(view.blocks).join('\n');
    expect(all).toContain(':wastebasket: *rev 3* · `web:2.0` · terminated');
    expect(all).toContain('In progress: `web:3.0` (rev 5), ready: Release or Terminate');
    expect(view.text).toBe('Blue-green job web: 4 historical versions');
  });

  it('jobHistory caps a huge history with "…and N older versions"', () => {
    const huge = Array.from({ length: 3000 }, (_, i) => releasedVersion(i + 1, `registry.example.com/team/${'w'.repeat(200)}:${i}`, daysAgo(1)));
    const view = jobHistory(JobFactory.create({ history: huge }), NOW);
    assertLimits(view.blocks);
    expect(texts(view.blocks).join('\n')).toMatch(/…and \d+ older versions/);
  });

  it('jobHistory: empty', () => {
    const view = jobHistory(JobFactory.create({ history: [] }), NOW);
    expect(texts(view.blocks).join('\n')).toContain('No historical versions yet');
  });

  it('jobList: one line per job', () => {
    const view = jobList([withNew('Paused'), JobFactory.create({ name: 'api', id: 'api', workload: 'api', env: 'qa' })], NOW, {});
    assertLimits(view.blocks);
    const lines = texts(view.blocks).join('\n').split('\n');
    expect(lines[0]).toBe('*Blue-green jobs* (2)');
    expect(lines[1]).toBe('*web* · :double_vertical_bar: Paused · prod/web · serving `web:1.2` (rev 4) · new `web:3.0` (rev 5), ready: Release or Terminate · updated <!date^1741521600^{date_short_pretty} {time}|2025-03-09T12:00:00.000Z>');
    expect(lines[2]).toBe('*api* · :large_green_circle: Healthy · qa/api · serving `web:1.2` (rev 4) · updated <!date^1741521600^{date_short_pretty} {time}|2025-03-09T12:00:00.000Z>');
    expect(view.text).toBe('2 blue-green jobs');
  });

  it('jobList: empty, with and without a filter', () => {
    expect(jobList([], NOW, {}).text).toMatch(/^No blue-green jobs yet\. Create one with `\/bluegreen create /);
    expect(jobList([], NOW, { env: 'prod' }).text).toContain('No blue-green jobs in prod yet. Create one with `/bluegreen create <job> --env prod ');
  });

  it('jobList: many jobs stay within limits', () => {
    const jobs = Array.from({ length: 500 }, (_, i) => JobFactory.create({ name: `job-${i}`, id: `job-${i}` }));
    const view = jobList(jobs, NOW, {});
    assertLimits(view.blocks);
    expect(texts(view.blocks).join('\n')).toMatch(/…and \d+ more/);
  });
});

describe('job history credits whoever decided', () => {
  // prepare is pure: the store, run queue and platform are never touched.
  const kind = jobKind({ jobs: {} as JobStore, runs: {} as RunQueue, platform: {} as JobKindDeps['platform'] });
  /** U0CAROL clicks `action` on rev 5, which U0BOB brought up; the version as it joins the history, and its line. */
  function decided(status: JobStatus, action: 'release' | 'terminate', outcome: 'released' | 'terminated' | 'failed') {
    const job = withNew(status, { pending: { slot: 'blue', revision: 5, image: 'web:3.0', by: 'U0BOB' } });
    const next = kind.prepare(job, action, { user: 'U0CAROL' }, NOW);
    if (next instanceof Refusal) throw new Error(next.reason);
    const h = historicalVersion(next.pending!, NOW.toISOString(), outcome);
    return { pending: next.pending!, h, line: historyLine({ ...next, history: [...next.history, h] }, h) };
  }

  it.each([
    ['release', 'released'],
    ['terminate', 'terminated'],
  ] as const)('%s: credited to whoever clicked it, as the audit is', (action, outcome) => {
    const { pending, h, line } = decided('Paused', action, outcome);
    expect(pending).toMatchObject({ by: 'U0BOB', decidedBy: 'U0CAROL' });
    expect(h.by).toBe('U0CAROL');
    expect(line).toMatch(new RegExp(`\\*rev 5\\* · \`web:3\\.0\` · ${outcome} · .* · by <@U0CAROL>$`));
  });

  it('a failed version stays credited to whoever brought it up', () => {
    const { pending, h, line } = decided('Degraded', 'terminate', 'failed');
    expect(pending.decidedBy).toBe('U0CAROL');
    expect(h.by).toBe('U0BOB');
    expect(line).toMatch(/ · failed · .* · by <@U0BOB>$/);
  });

  it('update and rollback decide nothing: the new version is credited to whoever brings it up', () => {
    const update = kind.prepare(JobFactory.create(), 'update', { user: 'U0BOB', image: 'web:3.0' }, NOW);
    const rollback = kind.prepare(JobFactory.create(), 'rollback', { user: 'U0DAVE', revision: 2 }, NOW);
    if (update instanceof Refusal || rollback instanceof Refusal) throw new Error('refused');
    expect(update.pending).toMatchObject({ by: 'U0BOB', image: 'web:3.0' });
    expect(rollback.pending).toMatchObject({ by: 'U0DAVE', rollbackOf: 2 });
    expect(update.pending).not.toHaveProperty('decidedBy');
    expect(rollback.pending).not.toHaveProperty('decidedBy');
    // The first version, released by its creation, has nobody deciding either.
    expect(historicalVersion(update.pending!, NOW.toISOString(), 'released').by).toBe('U0BOB');
  });
});

describe('the card with checks', () => {
  const now = new Date('2026-12-04T10:00:00Z');
  const at = now.toISOString();
  const reading = (state: 'running' | 'passed' | 'failed', detail: string) => ({ name: 'error-rate', state, detail, samples: 2, firstAt: at, lastAt: at });
  const paused = (): BlueGreenJob => ({
    id: 'web', name: 'web', status: 'Paused', releaseType: 'Blue-Green', env: 'prod', workload: 'web', replicas: 1,
    versions: { blue: { slot: 'blue', revision: 1, image: 'web:1', replicas: 1, createdAt: at }, green: { slot: 'green', revision: 2, image: 'web:2', replicas: 1, createdAt: at } },
    active: 'blue', stable: 'blue', pending: { slot: 'green', revision: 2, image: 'web:2', by: 'U1' }, history: [], nextRevision: 3,
    createdAt: at, createdBy: 'U1', updatedAt: at, run: 2, version: 5, channel: 'C1',
  });
  const text = (j: BlueGreenJob) => JSON.stringify(jobCard(j, now).blocks);

  it('lists each preview check with its latest value and whether it passes', () => {
    const t = text({ ...paused(), checks: { phase: 'preview', state: 'failed', startedAt: at, readings: [reading('failed', 'error-rate 0.5 is not below 0.01')] } });
    expect(t).toContain('*Checks on rev 2* (the preview in green)');
    expect(t).toContain(':x: error-rate 0.5 is not below 0.01 · 2 samples');
    expect(t).toContain('ready, but a check fails');
  });

  it('shows the watch after Release and the old version kept until its end', () => {
    const t = text({ ...paused(), status: 'Promoting', active: 'green', checks: { phase: 'release', state: 'running', startedAt: at, until: '2026-12-04T10:05:00.000Z', readings: [reading('running', 'error-rate 0.001 (below 0.01)')] } });
    expect(t).toContain('*Checks after Release*');
    expect(t).toContain(':hourglass_flowing_sand: error-rate 0.001 (below 0.01)');
    expect(t).toContain('kept until');
  });

  it('says when the traffic went back, and loudly when it could not', () => {
    const failed = { phase: 'release' as const, state: 'failed' as const, startedAt: at, until: at, readings: [reading('failed', 'error-rate 0.5 is not below 0.01')] };
    expect(text({ ...paused(), status: 'Degraded', checks: failed })).toContain('failed its checks after Release: error-rate 0.5 is not below 0.01. The traffic went back to rev 1');
    const stuck = text({ ...paused(), status: 'Degraded', active: 'green', checks: failed });
    expect(stuck).toContain('The switch back failed: the traffic is still on it');
    expect(stuck).not.toContain('went back');
  });

  it('buttons carry the version of the last meaningful write (a check sample leaves them current)', () => {
    const j = { ...paused(), version: 9, stateVersion: 7 };
    expect(jobButtonValue('release', j)).toBe('release web @v7');
  });
});
