/**
 * The one line a `notify` channel gets when a task or job comes to rest: what, where, its status
 * and who, with a link to the card where the story is. Pure.
 */
import { JOB_STATUSES, type JobStatus } from '../../domain/bluegreen-job.js';
import { TASK_STATUSES, type TaskStatus } from '../../domain/release-task.js';
import { esc, mention } from '../../text.js';
import { JOB_STATUS_EMOJI } from './job-card.js';
import { STATUS_EMOJI } from './format.js';

export interface SettledLine {
  kind: 'task' | 'bluegreen';
  id: string;
  name: string;
  env: string;
  status: string;
  by: string;
}

/** Statuses that mean the run went wrong: the line says who *started* it rather than crediting them. */
const WENT_WRONG = new Set(['Release failed', 'Rollback failed', 'Degraded']);

function emoji(kind: SettledLine['kind'], status: string): string {
  if (kind === 'task') return (TASK_STATUSES as readonly string[]).includes(status) ? STATUS_EMOJI[status as TaskStatus] : ':grey_question:';
  return (JOB_STATUSES as readonly string[]).includes(status) ? JOB_STATUS_EMOJI[status as JobStatus] : ':grey_question:';
}

/**
 * ":white_check_mark: *web-rollout* (`rt-7k2f9q`) Released in production by <@U1> — <link|view card>";
 * a blue-green job is named "blue-green job *web*". Without a link (the card was never posted) the line ends after who.
 */
export function settledLine(s: SettledLine, permalink: string | undefined): string {
  const what = s.kind === 'task' ? `*${esc(s.name)}* (\`${s.id}\`)` : `blue-green job *${esc(s.name)}*`;
  const who = WENT_WRONG.has(s.status) ? `, started by ${mention(s.by)}` : ` by ${mention(s.by)}`;
  const link = permalink ? ` — <${permalink}|view card>` : '';
  return `${emoji(s.kind, s.status)} ${what} ${s.status} in ${esc(s.env)}${who}${link}`;
}
