import type { Logger } from 'pino';
import type { Metrics } from '../../http/metrics.js';
import type { AuditQueries } from '../../operations/audit-queries.js';
import type { BlueGreenOperations } from '../../operations/bluegreen-operations.js';
import type { ReleaseOperations } from '../../operations/release-operations.js';
import type { WorkflowStep } from '../../operations/workflow-step.js';
import type { Notifier } from '../../ports/notifier.js';

/** What listeners may use: operations to call, the notifier for private replies, metrics. */
export interface ListenerDeps {
  release: ReleaseOperations;
  /** Workflow Builder's "Start a release task". */
  workflow: WorkflowStep;
  bluegreen: BlueGreenOperations;
  audit: AuditQueries;
  notifier: Notifier;
  metrics: Metrics;
  log: Logger;
}
