import type { JobAction } from '../domain/actions.js';

/**
 * Blue-green actions that take nothing but the job (and `--override`): every row of the action
 * table except those with arguments of their own, so a new row such as "pause" parses as
 * `/bluegreen pause <job>` with no change to the grammar.
 */
export type PlainJobAction = Exclude<JobAction, 'update' | 'rollback'>;

/** One member per plain action (mapped, so that narrowing on `kind` works per action). */
export type PlainJobCommand = { [K in PlainJobAction]: { kind: K; job: string; override?: string } }[PlainJobAction];

/**
 * Typed operations that `/bluegreen` text parses into. `override` is an approver's reason to go
 * ahead during a freeze window (`--override "reason"`). Card buttons carry the same text
 * (e.g. "release web") and go through the same parser.
 */
export type BlueGreenCommand =
  | { kind: 'help'; topic?: string }
  | {
      kind: 'create';
      job: string;
      env: string;
      workload: string;
      image: string;
      replicas: number;
      description?: string;
      /** `--new-env`: the environment is new on purpose (not a typo of a known one). */
      newEnv?: true;
    }
  | { kind: 'update'; job: string; image: string; override?: string }
  | PlainJobCommand
  | { kind: 'rollback'; job: string; revision: number; override?: string; force?: true }
  | { kind: 'approve'; job: string }
  | { kind: 'reject'; job: string; reason?: string }
  | { kind: 'audit'; job: string; sinceMs?: number; csv: boolean }
  | { kind: 'history'; job: string }
  | { kind: 'show'; job: string }
  | { kind: 'list'; env?: string };
