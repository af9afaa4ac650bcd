/**
 * `/release audit …` and `/bluegreen audit …`: who did what, newest first, as a private list or a
 * CSV file shared in the channel. Read-only, open to everyone.
 */
import type { BlueGreenCommand } from '../commands/bluegreen-command.js';
import type { ReleaseCommand } from '../commands/release-command.js';
import type { AuditEntry } from '../domain/audit.js';
import { auditCsv } from '../domain/audit-csv.js';
import type { Notifier } from '../ports/notifier.js';
import type { AuditLog } from '../store/audit-log.js';
import type { TaskStore } from '../store/task-store.js';
import type { JobStore } from '../store/versioned-store.js';
import { say, show, type Actor, type Outcome } from './outcome.js';

export interface AuditQueriesDeps {
  audit: AuditLog;
  tasks: TaskStore;
  jobs: JobStore;
  notifier: Notifier;
  clock: () => Date;
}

/** How far back a query reads at most; a CSV takes up to this many entries. */
const SCAN = 20_000;

export class AuditQueries {
  constructor(private readonly d: AuditQueriesDeps) {}

  async release(cmd: Extract<ReleaseCommand, { kind: 'audit' }>, actor: Actor): Promise<Outcome> {
    if (cmd.taskId && !(await this.d.tasks.get(cmd.taskId)) && (await this.entries({ target: cmd.taskId }, 1)).length === 0) {
      return say(`No release task ${cmd.taskId}, and nothing in the audit about it.`);
    }
    const scope = cmd.taskId ? cmd.taskId : cmd.env ? `environment ${cmd.env}` : 'all release tasks and jobs';
    return this.answer({ ...(cmd.taskId ? { target: cmd.taskId } : {}), ...(cmd.env ? { env: cmd.env } : {}) }, cmd, scope, actor);
  }

  async bluegreen(cmd: Extract<BlueGreenCommand, { kind: 'audit' }>, actor: Actor): Promise<Outcome> {
    if (!(await this.d.jobs.get(cmd.job)) && (await this.entries({ target: cmd.job }, 1)).length === 0) {
      return say(`No blue-green job ${cmd.job}, and nothing in the audit about it.`);
    }
    return this.answer({ target: cmd.job }, cmd, `blue-green job ${cmd.job}`, actor);
  }

  private async answer(filter: { target?: string; env?: string }, cmd: { sinceMs?: number; csv: boolean }, scope: string, actor: Actor): Promise<Outcome> {
    const since = cmd.sinceMs ? new Date(this.d.clock().getTime() - cmd.sinceMs) : undefined;
    const entries = await this.entries({ ...filter, ...(since ? { since } : {}) }, cmd.csv ? SCAN : 200);
    const title = `Audit: ${scope}${since ? ` since ${since.toISOString().slice(0, 16).replace('T', ' ')} UTC` : ''}`;
    if (!cmd.csv) return show({ kind: 'audit', entries, title });
    const stamp = this.d.clock().toISOString().slice(0, 19).replace(/[:T]/g, '-');
    await this.d.notifier.upload({ channel: actor.channel, user: actor.user, filename: `switchyard-audit-${stamp}.csv`, title, content: auditCsv(entries) });
    return say(`Exporting ${entries.length} audit entries as CSV; the file will appear in this channel.`);
  }

  private entries(filter: { target?: string; env?: string; since?: Date }, limit: number): Promise<AuditEntry[]> {
    return this.d.audit.recent({ ...filter, limit, scan: SCAN });
  }
}
