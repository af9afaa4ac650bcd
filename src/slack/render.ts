/**
 * Turns an operation's outcome into what Slack shows the requester: its text, or the Block Kit
 * of the view it carries. The one place listeners go from data to blocks.
 */
import type { KnownBlock } from '@slack/types';
import type { Outcome, View } from '../operations/outcome.js';
import { auditView } from './blocks/audit-view.js';
import { jobDetail, jobHistory, jobList } from './blocks/job-views.js';
import { planView } from './blocks/plan-view.js';
import { componentsView, taskDetail, taskList } from './blocks/task-views.js';

export interface Rendered {
  text: string;
  blocks?: KnownBlock[];
}

export function renderView(view: View, now: Date): Rendered {
  switch (view.kind) {
    case 'task-detail':
      return taskDetail(view.task, view.audit, now, view.page);
    case 'task-list':
      return taskList(view.tasks, now, view.filter);
    case 'components':
      return componentsView(view.env, view.components, now);
    case 'job-detail':
      return jobDetail(view.job, now);
    case 'job-history':
      return jobHistory(view.job, now);
    case 'job-list':
      return jobList(view.jobs, now, view.filter);
    case 'audit':
      return auditView(view.entries, view.title, now);
    case 'plan':
      return planView(view.request, view.components);
  }
}

export function render(outcome: Outcome, now: Date): Rendered {
  return outcome.view ? renderView(outcome.view, now) : { text: outcome.text };
}
