/**
 * Link buttons: the policy's link templates (domain/links.ts) expanded for a task or a job and
 * shown as Block Kit url buttons. Slack sends a block_actions for a url button too, so each has
 * an action_id under `link.` that the action listener acknowledges and otherwise ignores.
 * Pure Block Kit builders.
 */
import type { ActionsBlock, Button } from '@slack/types';
import type { BlueGreenJob } from '../../domain/bluegreen-job.js';
import { LINK_LABELS, expandLink, expandLinks, type LinkTemplates, type LinkVars } from '../../domain/links.js';
import type { ReleaseTask } from '../../domain/release-task.js';
import { FAILED_COMPONENT_STATUSES, esc, truncate } from './format.js';

/** Prefix of every link button's action_id; the listener acks these and does nothing else. */
export const LINK_ACTION_PREFIX = 'link.';
/** Per-component Logs buttons on a task card, for its failed components. */
export const FAILED_LOG_LINKS = 3;
/** Slack's limit on a button's url. */
const URL_MAX = 3000;


function linkButton(actionId: string, label: string, url: string): Button {
  return { type: 'button', action_id: truncate(actionId, 255), text: { type: 'plain_text', text: truncate(label, 75), emoji: true }, url };
}

/** Buttons for each template that expands with `vars` (and fits Slack's url limit). */
export function linkButtons(templates: LinkTemplates | undefined, vars: LinkVars): Button[] {
  return expandLinks(templates, vars)
    .filter((l) => l.url.length <= URL_MAX)
    .map((l) => linkButton(`${LINK_ACTION_PREFIX}${l.kind}`, LINK_LABELS[l.kind], l.url));
}

/** What a task's links may name: a `{component}` only when the task has just one. */
export function taskLinkVars(task: Pick<ReleaseTask, 'id' | 'env' | 'components'>): LinkVars {
  const only = task.components.length === 1 ? task.components[0]!.name : undefined;
  return { env: task.env, task: task.id, ...(only ? { component: only, workload: only } : {}) };
}

/** What a job's links may name: its workload is its one component. */
export function jobLinkVars(job: Pick<BlueGreenJob, 'name' | 'env' | 'workload'>): LinkVars {
  return { env: job.env, job: job.name, workload: job.workload, component: job.workload };
}

/**
 * The task card's link row: the environment's links, then "Logs · c7" for up to three failed
 * components (what people open first when a release fails). Empty without templates.
 */
export function taskLinkBlocks(templates: LinkTemplates | undefined, task: ReleaseTask): ActionsBlock[] {
  const vars = taskLinkVars(task);
  const buttons = linkButtons(templates, vars);
  const logs = templates?.logs;
  if (logs && task.components.length > 1) {
    const failed = task.components.filter((c) => FAILED_COMPONENT_STATUSES.includes(c.status)).slice(0, FAILED_LOG_LINKS);
    failed.forEach((c, i) => {
      const url = expandLink(logs, { ...vars, component: c.name, workload: c.name });
      if (url && url.length <= URL_MAX) buttons.push(linkButton(`${LINK_ACTION_PREFIX}logs.${i}`, `Logs · ${c.name}`, url));
    });
  }
  return buttons.length ? [{ type: 'actions', block_id: truncate(`links:${task.id}`, 255), elements: buttons }] : [];
}

/** The job card's link buttons (Logs, Dashboard, Workload), for its actions row. */
export function jobLinkButtons(templates: LinkTemplates | undefined, job: BlueGreenJob): Button[] {
  return linkButtons(templates, jobLinkVars(job));
}

/**
 * The release object as mrkdwn, a link to the workload's page when the policy says where that
 * is (else to the dashboard), as seed 004's release object links to it: "<url|prod/web>".
 */
export function releaseObjectText(templates: LinkTemplates | undefined, job: Pick<BlueGreenJob, 'name' | 'env' | 'workload'>): string {
  const text = `${esc(job.env)}/${esc(job.workload)}`;
  const vars = jobLinkVars(job);
  const url = [templates?.workload, templates?.dashboard].map((t) => (t ? expandLink(t, vars) : undefined)).find((u) => u !== undefined);
  return url && url.length <= URL_MAX ? `<${url}|${text}>` : text;
}
