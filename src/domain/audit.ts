/** One line of the audit stream: who did what to which task, from which status to which, when. */
export interface AuditEntry {
  /** Stream entry ID (Redis), unique and time-ordered. */
  id?: string;
  at: string;
  /** Slack user ID, or "system" for worker-driven transitions. */
  actor: string;
  action: string;
  /** Task or job ID. */
  target: string;
  env: string;
  from?: string;
  to?: string;
  detail?: string;
}
