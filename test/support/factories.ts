/**
 * Fixtures for unit tests, built the way immich's `test/factories/` are: each factory gives a valid
 * default entity, and a test overrides only what it cares about (`TaskFactory.create({ status })`).
 * A test file whose fixtures differ from the defaults everywhere says so once, with `extend`.
 */
import type { ApprovalRequest } from '../../src/domain/approval.js';
import type { AuditEntry } from '../../src/domain/audit.js';
import type { BlueGreenJob, HistoricalVersion } from '../../src/domain/bluegreen-job.js';
import type { ComponentState, ReleaseTask } from '../../src/domain/release-task.js';
import type { PolicyFile } from '../../src/policy/policy-file.js';

/** Builds entities of one kind from defaults. */
export interface Factory<T> {
  /** A new entity: fresh defaults with `over` on top (a key set to `undefined` stays, as `undefined`). */
  create(over?: Partial<T>): T;
  /**
   * A factory with other defaults: these ones with `over` on top. Pass a function when `over` holds
   * arrays or objects, so that no two entities share them.
   */
  extend(over: Partial<T> | (() => Partial<T>)): Factory<T>;
}

/** A factory whose defaults come from `defaults`, called once per entity. */
export function factory<T extends object>(defaults: () => T): Factory<T> {
  return {
    create: (over = {}) => ({ ...defaults(), ...over }),
    extend: (over) => factory(() => ({ ...defaults(), ...(typeof over === 'function' ? over() : over) })),
  };
}

/** The "now" that the relative times of the fixtures (`daysAgo`) count from: 2025-03-10 12:00 UTC. */
export const FIXTURE_NOW = new Date('2025-03-10T12:00:00Z');

/** ISO time `n` days (fractions allowed) before `now`. */
export function daysAgo(n: number, now: Date = FIXTURE_NOW): string {
  return new Date(now.getTime() - n * 86_400_000).toISOString();
}

// ---------------------------------------------------------------- release tasks

/** A component of a release task: image `registry/<name>:1.4`, To release, no history. */
export function component(name: string, over: Partial<ComponentState> = {}): ComponentState {
  return { name, image: `registry/${name}:1.4`, status: 'To release', history: [], ...over };
}

/**
 * Release task rt-7k2f9q "web-rollout": a Bulk Deploy to prod of `web` and `api` (3 replicas),
 * To release, created 2025-03-10 10:00 UTC by U111 in C123, best effort, parallel 4, version 41,
 * state version 7.
 */
export const TaskFactory: Factory<ReleaseTask> = factory(() => ({
  id: 'rt-7k2f9q',
  name: 'web-rollout',
  status: 'To release',
  operation: 'Bulk Deploy',
  bestEffort: true,
  parallel: 4,
  env: 'prod',
  components: [component('web'), component('api', { replicas: 3 })],
  createdAt: '2025-03-10T10:00:00Z',
  createdBy: 'U111',
  channel: 'C123',
  run: 0,
  version: 41,
  stateVersion: 7,
}));

// ---------------------------------------------------------------- blue-green jobs

/** A released version in a blue-green job's history, by U0ALICE. */
export function releasedVersion(revision: number, image: string, at: string, over: Partial<HistoricalVersion> = {}): HistoricalVersion {
  return { revision, image, at, by: 'U0ALICE', outcome: 'released', ...over };
}

/**
 * Healthy blue-green job web in prod/web (times relative to FIXTURE_NOW): rev 1 web:1.0 and rev 2
 * web:1.1 released, rev 3 web:2.0 terminated, rev 4 web:1.2 released and serving from green;
 * 3 replicas, version 17, card in C123.
 */
export const JobFactory: Factory<BlueGreenJob> = factory(() => ({
  id: 'web',
  name: 'web',
  status: 'Healthy',
  releaseType: 'Blue-Green',
  env: 'prod',
  workload: 'web',
  description: 'Storefront',
  replicas: 3,
  versions: { green: { slot: 'green', revision: 4, image: 'web:1.2', replicas: 3, createdAt: daysAgo(1) } },
  active: 'green',
  stable: 'green',
  history: [
    releasedVersion(1, 'web:1.0', daysAgo(9)),
    releasedVersion(2, 'web:1.1', daysAgo(5)),
    { revision: 3, image: 'web:2.0', at: daysAgo(3), by: 'U0BOB', outcome: 'terminated' },
    releasedVersion(4, 'web:1.2', daysAgo(1)),
  ],
  nextRevision: 5,
  createdAt: daysAgo(10),
  createdBy: 'U0ALICE',
  updatedAt: daysAgo(1),
  run: 4,
  version: 17,
  channel: 'C123',
}));

// ---------------------------------------------------------------- approvals and audit

/** A request by U0ALICE at 2025-03-10 11:00 UTC to start, needing 2 approvals, none given yet. */
export const ApprovalFactory: Factory<ApprovalRequest> = factory(() => ({
  action: 'start',
  requestedBy: 'U0ALICE',
  requestedAt: '2025-03-10T11:00:00Z',
  needed: 2,
  approvals: [],
}));

/** U0ALICE started rt-7k2f9q in prod at 2025-03-10 11:55 UTC. */
export const AuditEntryFactory: Factory<AuditEntry> = factory(() => ({
  at: '2025-03-10T11:55:00Z',
  actor: 'U0ALICE',
  action: 'start',
  target: 'rt-7k2f9q',
  env: 'prod',
}));

// ---------------------------------------------------------------- policy

/**
 * The policy file example of the README: U0BOB and the S0ENGINEERS group operate; staging cards go to
 * C0STAGING; production cards go to C0PROD and need one approval from U0ALICE or S0RELMGRS, by
 * someone else than the requester, and production is frozen over 2026-12-24..27.
 * (Policy files for the bot itself: test/support/policy.ts.)
 */
export const PolicyFactory: Factory<PolicyFile> = factory(() => ({
  operators: ['U0BOB', 'S0ENGINEERS'],
  environments: {
    staging: { channel: 'C0STAGING' },
    production: { channel: 'C0PROD', approvers: ['U0ALICE', 'S0RELMGRS'], approvals: 1, distinctApprover: true, freeze: ['2026-12-24T00:00Z/2026-12-27T00:00Z'] },
  },
}));
