/**
 * Ephemeral views of blue-green jobs: `/bluegreen show` (detail), `/bluegreen history` and
 * `/bluegreen list`. Pure Block Kit builders: no I/O, `now` passed in. Every view stays within
 * Slack's limits (at most 50 blocks, every section text under 3000 characters).
 */
import type { KnownBlock } from '@slack/types';
import { BLUEGREEN_USAGE } from '../../commands/bluegreen-grammar.js';
import type { BlueGreenJob, HistoricalVersion, VersionOutcome } from '../../domain/bluegreen-job.js';
import { MAX_BLOCKS, actor, code, context, esc, header, packLines, section, slackDate, truncate } from './format.js';
import { jobFallbackText, jobInfoBlocks, jobStatusLabel, jobVersionBlocks, pendingPhrase, releaseObject } from './job-card.js';

type View = { text: string; blocks: KnownBlock[] };

/** Historical versions listed in `/bluegreen show`; `/bluegreen history` has them all. */
export const DETAIL_HISTORY_LIMIT = 10;
/** Jobs listed one per line in `/bluegreen list`. */
export const JOB_LIST_LIMIT = 100;

export const OUTCOME_EMOJI: Record<VersionOutcome, string> = {
  released: ':white_check_mark:',
  terminated: ':wastebasket:',
  failed: ':x:',
};

const newestFirst = (history: readonly HistoricalVersion[]) =>
  history.map((h, i) => ({ h, i })).sort((a, b) => b.h.revision - a.h.revision || b.i - a.i).map(({ h }) => h);

/** "• :white_check_mark: *rev 5* · `web:1.0` · released (rollback to rev 1) · <date> · by <@U> · _serving_" */
export function historyLine(job: BlueGreenJob, h: HistoricalVersion): string {
  const outcome = h.rollbackOf ? `${h.outcome} (rollback to rev ${h.rollbackOf})` : h.outcome;
  const parts = [`${OUTCOME_EMOJI[h.outcome]} *rev ${h.revision}*`, code(truncate(h.image, 300)), outcome, slackDate(h.at), `by ${actor(h.by)}`];
  const serving = job.versions[job.active];
  if (h.outcome === 'released' && serving?.revision === h.revision) parts.push('_serving_');
  return `• ${parts.join(' · ')}`;
}

/** `/bluegreen show <job>`: basic information, main versions and the latest historical versions. */
export function jobDetail(job: BlueGreenJob, now: Date): View {
  const blocks: KnownBlock[] = [...jobInfoBlocks(job, now), { type: 'divider' }, ...jobVersionBlocks(job), { type: 'divider' }];
  const all = newestFirst(job.history);
  const shown = all.slice(0, DETAIL_HISTORY_LIMIT);
  const name = esc(job.name);
  if (shown.length === 0) {
    blocks.push(section('*Historical versions*\n_none yet: a version joins the history once it is released, terminated or failed_'));
  } else {
    const title = all.length > shown.length
      ? `*Historical versions* (latest ${shown.length} of ${all.length}; all of them: \`/bluegreen history ${name}\`)`
      : '*Historical versions*';
    const room = MAX_BLOCKS - blocks.length;
    blocks.push(...packLines([title, ...shown.map((h) => historyLine(job, h))], room, (n) => `…and ${n} more: \`/bluegreen history ${name}\``).map(section));
  }
  return { text: jobFallbackText(job), blocks: blocks.slice(0, MAX_BLOCKS) };
}

/** `/bluegreen history <job>`: every historical version, newest first, as many as Slack's limits allow. */
export function jobHistory(job: BlueGreenJob, _now: Date): View {
  const blocks: KnownBlock[] = [
    header(`${job.name}: historical versions`),
    context(`${releaseObject(job)} · ${jobStatusLabel(job.status)} · ${job.history.length} historical version${job.history.length === 1 ? '' : 's'}, newest first`),
  ];
  const pending = pendingPhrase(job);
  if (pending) blocks.push(context(`In progress: ${pending}. It joins the history once it is released, terminated or failed.`));
  const text = `Blue-green job ${truncate(job.name, 100)}: ${job.history.length} historical version${job.history.length === 1 ? '' : 's'}`;
  if (job.history.length === 0) {
    blocks.push(section('_No historical versions yet: a version joins the history once it is released, terminated or failed._'));
    return { text, blocks };
  }
  const lines = newestFirst(job.history).map((h) => historyLine(job, h));
  const chunks = packLines(lines, MAX_BLOCKS - blocks.length, (n) => `…and ${n} older version${n === 1 ? '' : 's'}`);
  blocks.push(...chunks.map(section));
  return { text, blocks };
}

function listLine(job: BlueGreenJob): string {
  const serving = job.versions[job.active];
  const parts = [
    `*${esc(truncate(job.name, 63))}*`,
    jobStatusLabel(job.status),
    releaseObject(job),
    serving ? `serving ${code(truncate(serving.image, 200))} (rev ${serving.revision})` : '_nothing serving yet_',
  ];
  const pending = pendingPhrase(job);
  if (pending) parts.push(`new ${pending}`);
  parts.push(`updated ${slackDate(job.updatedAt)}`);
  return parts.join(' · ');
}

/** `/bluegreen list [--env <env>]`: one line per job, sorted by environment then name. */
export function jobList(jobs: BlueGreenJob[], _now: Date, filter: { env?: string }): View {
  if (jobs.length === 0) {
    const text = filter.env
      ? `No blue-green jobs in ${esc(filter.env)} yet. Create one with \`${BLUEGREEN_USAGE.create.replace('<env>', esc(filter.env))}\``
      : `No blue-green jobs yet. Create one with \`${BLUEGREEN_USAGE.create}\``;
    return { text, blocks: [section(text)] };
  }
  const sorted = [...jobs].sort((a, b) => a.env.localeCompare(b.env) || a.name.localeCompare(b.name));
  const lines = sorted.slice(0, JOB_LIST_LIMIT).map((j) => listLine(j));
  const extra = jobs.length - lines.length;
  if (extra > 0) lines.push(`…and ${extra} more${filter.env ? '' : ': narrow with `/bluegreen list --env <env>`'}`);
  const title = `*Blue-green jobs* (${jobs.length}${filter.env ? ` in ${esc(filter.env)}` : ''})`;
  const chunks = packLines([title, ...lines], MAX_BLOCKS, (n) => `…and ${n + extra - (extra > 0 ? 1 : 0)} more`);
  return { text: `${jobs.length} blue-green job${jobs.length === 1 ? '' : 's'}`, blocks: chunks.map(section) };
}
