/**
 * The release-events port: workers say "this task or job came to rest" and whoever listens
 * (outgoing webhooks, a Workflow Builder step waiting for its task) hears it later, apart from
 * the release. Implemented by jobs/release-events.ts (it only queues a job, as the notifier does),
 * wired in bootstrap.ts.
 */
import type { EntityRef } from '../domain/entity.js';

export interface ReleaseEvents {
  /**
   * `ref` came to rest in `status` at the end of run `run`: a task run ended (Released, Release
   * failed, Suspended, Rolled back, Rollback failed) or a blue-green operation did (Healthy,
   * Paused, Degraded). Called after the status is stored; saying it twice for the same run and
   * status tells listeners once. Never rejects: a release never fails because nobody heard of it.
   */
  settled(ref: EntityRef, status: string, run: number): Promise<void>;
}
