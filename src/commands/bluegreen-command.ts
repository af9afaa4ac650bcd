/**
 * Typed operations that `/bluegreen` text parses into. Card buttons carry the same text
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
  | { kind: 'update'; job: string; image: string }
  | { kind: 'release'; job: string }
  | { kind: 'terminate'; job: string }
  | { kind: 'rollback'; job: string; revision: number }
  | { kind: 'history'; job: string }
  | { kind: 'show'; job: string }
  | { kind: 'list'; env?: string };
