/**
 * The App Home tab (views.publish, type "home"): a quick start, then what a person acts on —
 * approvals waiting for them, their running releases, what each environment is releasing now,
 * recent failures — each line linking to its card. Pure: the model comes from
 * operations/home.ts, the card links from chat.getPermalink (slack/home-source.ts).
 * Times are `<!date…>` tokens only, which Slack renders in each reader's zone and which never go
 * stale the way "3m ago" would in a view that is published once and read for hours.
 */
import type { HomeView, KnownBlock } from '@slack/types';
import { BUSY_JOB_STATUSES, type JobStatus } from '../../domain/bluegreen-job.js';
import type { EntityRef } from '../../domain/entity.js';
import { ACTIVE_STATUSES, type TaskStatus } from '../../domain/release-task.js';
import type { HomeItem, HomeModel } from '../../operations/home.js';
import { code, context, esc, header, section, slackDate, statusLabel } from './format.js';
import { jobStatusLabel } from './job-card.js';
import { mention } from '../../text.js';

/** Slack's limit for a Home view. */
export const HOME_MAX_BLOCKS = 100;
/** Lines per section before "and N more": keeps the view well under HOME_MAX_BLOCKS. */
export const HOME_SECTION_ITEMS = 15;
/** Environments listed under "Releasing now", and lines under each. */
const ENVS_MAX = 10;
const ENV_ITEMS = 8;

/** The key of a card's link in the `links` map. */
export function linkKey(ref: EntityRef): string {
  return `${ref.kind}:${ref.id}`;
}

export interface HomeViewInput {
  model: HomeModel;
  /** Card permalinks by linkKey; an entity without one (card not posted yet) is listed unlinked. */
  links: ReadonlyMap<string, string>;
  now: Date;
}

export const HOME_QUICK_START =
  '*Quick start:* `/release create web-1 deploy --env staging web=nginx:1.27` creates a release task and posts its card in the channel you typed it in; ' +
  'click *Release* on the card to run it. `/bluegreen create …` does the same for blue-green jobs; `/release help` says the rest.';

export function homeView({ model, links, now }: HomeViewInput): HomeView {
  const line = (it: HomeItem) => itemLine(it, links.get(linkKey(it.ref)));
  const blocks: KnownBlock[] = [
    header('Switchyard releases'),
    section(HOME_QUICK_START),
    context(`Updated ${slackDate(now.toISOString())}. This page follows the cards: it refreshes as they change.`),
    ...part(':bell: Approvals waiting for you', model.approvals, line, 'Nothing is waiting for your approval.'),
    ...part(':rocket: Your running releases', model.mine, line, 'None of your releases is running. Start one with *Release* on its card.'),
    ...releasingNow(model.releasing, line),
    ...part(':x: Recent failures', model.failures, line, 'No recent failures. :tada:'),
  ];
  return { type: 'home', blocks: blocks.slice(0, HOME_MAX_BLOCKS) };
}

/** A titled section: one block per item (at most HOME_SECTION_ITEMS), or a kind word when empty. */
function part(title: string, items: readonly HomeItem[], line: (it: HomeItem) => string, empty: string): KnownBlock[] {
  const shown = items.slice(0, HOME_SECTION_ITEMS);
  const more = items.length - shown.length;
  return [
    { type: 'divider' },
    section(`*${title}*${items.length ? ` (${items.length})` : ''}`),
    ...(shown.length ? shown.map((it) => section(line(it))) : [context(empty)]),
    ...(more > 0 ? [context(`…and ${more} more: \`/release list\` and \`/bluegreen list\` show them all.`)] : []),
  ];
}

/** One section per environment, its running tasks and jobs as lines. */
function releasingNow(envs: HomeModel['releasing'], line: (it: HomeItem) => string): KnownBlock[] {
  const title: KnownBlock[] = [{ type: 'divider' }, section('*:hourglass_flowing_sand: Releasing now*')];
  if (envs.length === 0) return [...title, context('Nothing is releasing in any environment.')];
  const shown = envs.slice(0, ENVS_MAX).map(({ env, items }) => {
    const lines = items.slice(0, ENV_ITEMS).map((it) => `• ${line(it)}`);
    if (items.length > ENV_ITEMS) lines.push(`…and ${items.length - ENV_ITEMS} more`);
    return section(`*${esc(env)}*\n${lines.join('\n')}`);
  });
  const more = envs.length - ENVS_MAX;
  return [...title, ...shown, ...(more > 0 ? [context(`…and ${more} more environments.`)] : [])];
}

/** "*<link|web-1>* `rt-abc123` · :hourglass_flowing_sand: Releasing · staging · started <!date…> by <@U…>". */
export function itemLine(it: HomeItem, link: string | undefined): string {
  // Bold around the link: Slack does not format inside a link's label.
  const name = link ? `*<${link}|${esc(it.name)}>*` : `*${esc(it.name)}*`;
  const id = it.ref.kind === 'task' ? ` ${code(it.ref.id)}` : ' (blue-green job)';
  const status = it.ref.kind === 'task' ? statusLabel(it.status as TaskStatus) : jobStatusLabel(it.status as JobStatus);
  const parts = [`${name}${id}`, status, esc(it.env)];
  if (it.approval) {
    const override = it.approval.override ? ` over the freeze: _${esc(it.approval.override)}_` : '';
    parts.push(`awaiting approval (${it.approval.got}/${it.approval.needed}) to ${esc(it.approval.what)}${override}`);
  }
  const when = it.since ? ` ${slackDate(it.since)}` : '';
  const who = it.by ? ` by ${mention(it.by)}` : '';
  if (when || who) parts.push(`${it.approval ? 'asked' : verb(it.status)}${when}${who}`);
  if (it.error) parts.push(esc(it.error));
  return parts.join(' · ');
}

const RUNNING: readonly string[] = [...ACTIVE_STATUSES, ...BUSY_JOB_STATUSES];

/** What the time on a line means, by status. */
function verb(status: string): string {
  if (status === 'Release failed' || status === 'Rollback failed') return 'failed';
  if (status === 'Degraded') return 'degraded';
  return RUNNING.includes(status) ? 'started' : 'since';
}
