/**
 * Typed operations that `/bluegreen` text parses into. `override` is an approver's reason to go
 * ahead during a freeze window (`--override "reason"`). Card buttons carry the same text
 * (e.g. "release web") and go through the same parser.
 */
export type BlueGreenCommand =
  | { kind: 'help' }
  | {
      kind: 'create';
      job: string;
      env: string;
      workload: string;
      image: string;
      replicas: number;
      description?: string;
    }
  | { kind: 'update'; job: string; image: string; override?: string }
  | { kind: 'release'; job: string; override?: string }
  | { kind: 'terminate'; job: string; override?: string }
  | { kind: 'rollback'; job: string; revision: number; override?: string }
  | { kind: 'approve'; job: string }
  | { kind: 'reject'; job: string; reason?: string }
  | { kind: 'audit'; job: string; sinceMs?: number; csv: boolean }
  | { kind: 'history'; job: string }
  | { kind: 'show'; job: string }
  | { kind: 'list'; env?: string };
