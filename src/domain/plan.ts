/**
 * Plans: what a release task will do to each component, decided from what runs now. A plan that
 * cannot succeed is refused with every reason at once; a component already at its target is No
 * change. The same reading tells, at start, what changed since the plan, and, at rollback, which
 * components no longer run what the task put there. Pure.
 */
import type { ComponentSpec, ComponentState, OperationType, ReleaseTask } from './release-task.js';

/** A component as the platform reports it, by name; undefined: nothing by that name. */
export type Running = { image: string; replicas: number } | undefined;
export type Reading = ReadonlyMap<string, Running>;

export interface PlanRequest {
  operation: OperationType;
  env: string;
  sourceEnv?: string;
  components: readonly ComponentSpec[];
}

export type PlanResult = { ok: true; components: ComponentState[] } | { ok: false; reasons: string[] };

const was = (r: Running) => (r ? { was: { image: r.image, replicas: r.replicas } } : {});

/** `now`: the target environment; `source`: the clone source. */
export function planComponents(req: PlanRequest, now: Reading, source: Reading = new Map()): PlanResult {
  const reasons: string[] = [];
  const components = req.components.map((spec): ComponentState => {
    const cur = now.get(spec.name);
    const state = (target: string, unchanged = false): ComponentState => ({
      ...spec,
      status: unchanged ? 'No change' : 'To release',
      plan: { ...was(cur), target, ...(unchanged ? { unchanged } : {}) },
      history: [],
    });
    switch (req.operation) {
      case 'Bulk Deploy':
        if (cur) reasons.push(`\`${spec.name}\` already exists in ${req.env} (running ${cur.image}): upgrade it instead`);
        return state(spec.image!);
      case 'Bulk Upgrade':
        if (!cur) reasons.push(`\`${spec.name}\` does not exist in ${req.env}: deploy it first`);
        return state(spec.image!, cur?.image === spec.image);
      case 'Bulk Clone': {
        const from = source.get(spec.name);
        if (!from) reasons.push(`\`${spec.name}\` does not exist in ${req.sourceEnv}: nothing to clone`);
        else if (cur && cur.image !== from.image) reasons.push(`\`${spec.name}\` already exists in ${req.env} (running ${cur.image})`);
        return state(from?.image ?? '', !!cur && cur.image === from?.image);
      }
    }
  });
  return reasons.length ? { ok: false, reasons } : { ok: true, components };
}

/** "registry/web:1.3 (2 replicas) -> registry/web:1.4", "new -> web:1.0", "web:1.4 (no change)". */
export function planLine(c: Pick<ComponentState, 'plan'>): string | undefined {
  const p = c.plan;
  if (!p) return undefined;
  const before = p.was ? `${p.was.image} (${p.was.replicas} replica${p.was.replicas === 1 ? '' : 's'})` : 'new';
  return p.unchanged ? `${p.target} (no change)` : `${before} -> ${p.target}`;
}

/** What changed since the plan, as the first run starts. */
export interface Drift {
  /** One phrase per change, for the thread. */
  lines: string[];
  /** No change components that no longer run their target: the run releases them after all. */
  release: string[];
}

/** Components a start reads again: what it will release, and what it planned to skip. */
export function driftCandidates(task: Pick<ReleaseTask, 'components'>): string[] {
  return task.components.filter((c) => c.plan && ['To release', 'Releasing', 'No change'].includes(c.status)).map((c) => c.name);
}

/**
 * Compare the plan with what runs now (`now`: the target environment; `source`: a clone's
 * source). Components missing from a reading were not read and are left alone.
 */
export function planDrift(task: Pick<ReleaseTask, 'components' | 'sourceEnv'>, now: Reading, source?: Reading): Drift {
  const drift: Drift = { lines: [], release: [] };
  for (const name of driftCandidates(task)) {
    const c = task.components.find((x) => x.name === name)!;
    const plan = c.plan!;
    if (now.has(name)) {
      const runs = now.get(name)?.image;
      if (c.status === 'No change' && runs !== plan.target) {
        drift.lines.push(`\`${name}\` runs ${runs ?? 'nothing'} now, no longer ${plan.target}: it is released after all`);
        drift.release.push(name);
      } else if (c.status !== 'No change' && runs !== plan.was?.image) {
        drift.lines.push(`\`${name}\` ${runs ? `runs ${runs}` : 'is gone'} (the plan had ${plan.was?.image ?? 'nothing by that name'})`);
      }
    }
    const from = source?.has(name) ? source.get(name)?.image : plan.target;
    if (c.status !== 'No change' && from !== plan.target) {
      drift.lines.push(`\`${name}\` in ${task.sourceEnv} ${from ? `runs ${from}` : 'is gone'} (the plan cloned ${plan.target}): the clone copies what runs there when it starts`);
    }
  }
  return drift;
}

/** A component that no longer runs what this task put there. */
export interface RollbackConflict {
  name: string;
  /** What the task put there. */
  put: string;
  /** What runs now; undefined: nothing. */
  runs?: string;
}

/**
 * Components a rollback would return to their previous image although they no longer run the
 * image this task put there (another task, a blue-green job or a change outside the bot).
 */
export function rollbackConflicts(task: Pick<ReleaseTask, 'components'>, now: Reading): RollbackConflict[] {
  return task.components
    .filter((c) => c.previousImage && c.image && (c.status === 'Released' || c.status === 'Release failed' || c.status === 'Rollback failed'))
    .flatMap((c) => {
      const runs = now.get(c.name)?.image;
      // Already back where the rollback would take it (a Rollback failed that half happened): fine.
      if (runs === c.image || runs === c.previousImage) return [];
      return [{ name: c.name, put: c.image!, ...(runs ? { runs } : {}) }];
    });
}
