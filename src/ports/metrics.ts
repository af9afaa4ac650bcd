/**
 * The metrics port: what operations and workers count. Implemented by http/metrics.ts, which
 * serves the counts at /metrics.
 */
export interface OperationMetrics {
  /** An operation (start, suspend, bluegreen.release …) and how it ended (accepted, refused, a status). */
  operation(type: string, outcome: string): void;
}
