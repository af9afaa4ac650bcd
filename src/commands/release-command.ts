/**
 * Typed operations that `/release` text parses into. Buttons on the status card carry the
 * same text (e.g. "start rt-7k2f9q") and go through the same parser.
 */
import type { TaskAction } from '../domain/actions.js';
import type { ComponentSpec, OperationType, TaskStatus } from '../domain/release-task.js';
import type { SCHEDULED, ScheduleWording } from '../domain/schedule.js';

export type { ParseResult } from './grammar.js';

/**
 * Components chosen without naming each one (upgrade and clone): the operations layer resolves
 * them against what runs now, so the grammar stays pure.
 */
export interface Selection {
  /** `--all`: every component of the environment the task reads from (`--env`; `--from` for clone). */
  all: boolean;
  /** Name patterns (`web-*`, `api-?`): the components of that environment whose names match. */
  globs: string[];
  /** `--tag` (upgrade): each chosen component gets its current image's repository with this tag. */
  tag?: string;
}

/** What `/release create` and `/release plan` carry: the task to create, or to plan without creating. */
export interface CreateRequest {
  name: string;
  operation: OperationType;
  env: string;
  /** Bulk Clone only. */
  sourceEnv?: string;
  /**
   * The components listed by name. With `--tag` an upgrade's have no image yet (the tag decides
   * it); with a selection the list may be empty. Listed entries win over selected ones.
   */
  components: ComponentSpec[];
  /** `--all`, name patterns, `--tag`: present only when given. */
  select?: Selection;
  bestEffort: boolean;
  parallel: number;
  description?: string;
  /** `--new-env`: the environment is new on purpose (not a typo of a known one). */
  newEnv?: true;
}

export type ReleaseCommand =
  | { kind: 'help'; topic?: string }
  | ({ kind: 'create' } & CreateRequest)
  | ({ kind: 'plan' } & CreateRequest)
  | {
      kind: 'action';
      action: TaskAction;
      taskId: string;
      /** An approver's reason to release during a freeze window (`--override "reason"`). */
      override?: string;
      /** `--force` (rollback): go ahead over components changed since the release. */
      force?: true;
    }
  | {
      kind: 'schedule';
      taskId: string;
      /** `--at` as typed: the operations resolve it in the user's time zone. */
      at: ScheduleWording;
    }
  | { kind: 'cancel'; taskId: string }
  | { kind: 'approve'; taskId: string }
  | { kind: 'reject'; taskId: string; reason?: string }
  | {
      kind: 'audit';
      /** One task, or … */
      taskId?: string;
      /** … one environment, or everything. */
      env?: string;
      /** Only entries newer than this many ms (`--since 7d`, `12h`, `30m`). */
      sinceMs?: number;
      /** Upload the result as a CSV file instead of listing it. */
      csv: boolean;
    }
  | { kind: 'show'; taskId: string; /** 1-based page of components (DETAIL_PAGE_SIZE a page). */ page?: number }
  | { kind: 'list'; status?: TaskStatus | typeof SCHEDULED; env?: string }
  | { kind: 'components'; env: string };
