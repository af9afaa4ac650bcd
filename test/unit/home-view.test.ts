/** The App Home builder: sections, kind empty states, links, date tokens only, and Slack's limits for a Home. */
import { describe, expect, it } from 'vitest';
import { jobRef, taskRef } from '../../src/domain/entity.js';
import type { HomeItem, HomeModel } from '../../src/operations/home.js';
import { viewErrors } from '../../src/sandbox/slack-standin.js';
import { HOME_MAX_BLOCKS, HOME_SECTION_ITEMS, homeView, itemLine, linkKey } from '../../src/slack/blocks/home-view.js';

const NOW = new Date('2026-03-02T10:00:00Z');
const empty: HomeModel = { user: 'U0ALICE', approvals: [], mine: [], releasing: [], failures: [] };
const text = (v: ReturnType<typeof homeView>) => JSON.stringify(v.blocks);

function task(i: number, over: Partial<HomeItem> = {}): HomeItem {
  return { ref: taskRef(`rt-${String(i).padStart(6, '0')}`), name: `web-${i}`, env: 'staging', status: 'Releasing', since: '2026-03-02T09:58:00Z', by: 'U0ALICE', ...over };
}

describe('homeView', () => {
  it('says kindly that each section is empty, with the quick start on top', () => {
    const v = homeView({ model: empty, links: new Map(), now: NOW });
    expect(v.type).toBe('home');
    expect(viewErrors(v, 'home')).toEqual([]);
    const t = text(v);
    expect(t).toContain('Quick start');
    for (const words of ['Nothing is waiting for your approval.', 'None of your releases is running.', 'Nothing is releasing in any environment.', 'No recent failures.']) {
      expect(t).toContain(words);
    }
    expect(t).toContain(`Updated <!date^${NOW.getTime() / 1000}^`);
  });

  it('links each line to its card and says times only as date tokens', () => {
    const waiting = task(1, { status: 'To release', approval: { what: 'start the release', got: 1, needed: 2, override: 'hotfix for INC-7' } });
    expect(itemLine(waiting, 'https://x.slack.com/archives/C1/p1')).toBe(
      '*<https://x.slack.com/archives/C1/p1|web-1>* `rt-000001` · :white_circle: To release · staging · awaiting approval (1/2) to start the release over the freeze: _hotfix for INC-7_ · asked <!date^1772445480^{date_short_pretty} {time}|2026-03-02T09:58:00.000Z> by <@U0ALICE>',
    );
    const job: HomeItem = { ref: jobRef('shop'), name: 'shop', env: 'production', status: 'Degraded', since: '2026-03-02T09:00:00Z', by: 'U0BOB', error: 'shop:2.0 never became ready' };
    expect(itemLine(job, undefined)).toBe('*shop* (blue-green job) · :warning: Degraded · production · degraded <!date^1772442000^{date_short_pretty} {time}|2026-03-02T09:00:00.000Z> by <@U0BOB> · shop:2.0 never became ready');
    expect(linkKey(job.ref)).toBe('bluegreen:shop');
  });

  it('stays within a Home’s 100 blocks however much there is, and says how many more there are', () => {
    const many = (n: number, over: Partial<HomeItem> = {}) => Array.from({ length: n }, (_, i) => task(i, over));
    const model: HomeModel = {
      user: 'U0ALICE',
      approvals: many(40, { status: 'To release', approval: { what: 'start the release', got: 0, needed: 1 } }),
      mine: many(40),
      releasing: Array.from({ length: 30 }, (_, e) => ({ env: `env-${e}`, items: many(12) })),
      failures: many(10, { status: 'Release failed' }),
    };
    const v = homeView({ model, links: new Map(), now: NOW });
    expect(v.blocks.length).toBeLessThanOrEqual(HOME_MAX_BLOCKS);
    expect(viewErrors(v, 'home')).toEqual([]);
    const t = text(v);
    expect(t).toContain(`…and ${40 - HOME_SECTION_ITEMS} more`);
    expect(t).toContain('…and 20 more environments.');
    expect(t).toContain('…and 4 more');
    expect(t).not.toMatch(/\bago\b/);
  });
});
