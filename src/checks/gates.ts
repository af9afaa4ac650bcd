/**
 * The gates of an environment for the workers: which checks apply (from the policy file), and one
 * round of sampling the checks that are due. Every sample is counted in switchyard_checks_total.
 */
import { dueChecks, recordSamples, settleChecks, type CheckRun, type CheckSpec, type CheckVars } from '../domain/checks.js';
import type { CheckMetrics } from '../ports/metrics.js';
import type { CheckProbe } from './probe.js';

export interface Gates {
  /** The checks of `env` (none: nothing gates it). */
  specs(env: string): CheckSpec[];
  /** Blue-green: how long the old version is kept after Release (ms). */
  keepOldForMs(env: string): number;
  /** Sample what is due now and return the run with the samples recorded and its state worked out. */
  sample(specs: readonly CheckSpec[], run: CheckRun, vars: CheckVars, now: () => Date): Promise<CheckRun>;
}

export class CheckGates implements Gates {
  constructor(
    private readonly policy: { checks(env: string): CheckSpec[]; keepOldForMs(env: string): number },
    private readonly probe: CheckProbe,
    private readonly metrics: CheckMetrics,
  ) {}

  specs(env: string): CheckSpec[] {
    return this.policy.checks(env);
  }

  keepOldForMs(env: string): number {
    return this.policy.keepOldForMs(env);
  }

  async sample(specs: readonly CheckSpec[], run: CheckRun, vars: CheckVars, now: () => Date): Promise<CheckRun> {
    const due = dueChecks(specs, run, now());
    if (due.length === 0) return settleChecks(specs, run, now());
    const samples = await Promise.all(due.map(async (spec) => ({ spec, sample: await this.probe.sample(spec, vars) })));
    for (const { spec, sample } of samples) this.metrics.check(spec.name, sample.ok ? 'pass' : sample.measured ? 'fail' : 'error');
    return recordSamples(specs, run, samples, now());
  }
}
