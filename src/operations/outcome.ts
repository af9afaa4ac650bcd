/**
 * What an operation answers with: data, not Slack blocks. `text` is the private reply; a `view`
 * is what the requester asked to see (a task, a list, the audit), which slack/render.ts turns
 * into Block Kit. Operations never import slack/.
 */
import type { AuditEntry } from '../domain/audit.js';
import type { BlueGreenJob } from '../domain/bluegreen-job.js';
import type { CreateRequest } from '../commands/release-command.js';
import type { ComponentState, ReleaseTask, TaskHead, TaskStatus } from '../domain/release-task.js';
import type { RunningComponent } from '../platform/port.js';
import type { CardPlace } from '../ports/notifier.js';

/** Something the requester asked to see. */
export type View =
  | { kind: 'task-detail'; task: ReleaseTask; audit: AuditEntry[]; page?: number }
  | { kind: 'task-list'; tasks: TaskHead[]; filter: { status?: TaskStatus; env?: string } }
  | { kind: 'components'; env: string; components: RunningComponent[] }
  | { kind: 'job-detail'; job: BlueGreenJob }
  | { kind: 'job-history'; job: BlueGreenJob }
  | { kind: 'job-list'; jobs: BlueGreenJob[]; filter: { env?: string } }
  | { kind: 'audit'; entries: AuditEntry[]; title: string }
  | { kind: 'plan'; request: CreateRequest; components: ComponentState[] };

/** What the requester sees, privately. `changed` is false when nothing was done. */
export interface Outcome {
  text: string;
  view?: View;
  changed: boolean;
  /** The ID of the task or job the operation created, if it created one. */
  created?: string;
}

/** Who asked, where, and (for a card control) the version of the card they clicked and where it is. */
export interface Actor {
  user: string;
  channel: string;
  cardVersion?: number;
  /** The message a card control was clicked on; a typed command has none. */
  card?: CardPlace;
}

export const say = (text: string, changed = false): Outcome => ({ text, changed });
export const show = (view: View): Outcome => ({ text: '', view, changed: false });
