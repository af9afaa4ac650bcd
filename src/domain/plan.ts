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

/** What changed since the plan of the components a run is about to release, one phrase each. */
export function planDrift(task: Pick<ReleaseTask, 'components'>, now: Reading, names: readonly string[]): string[] {
  const out: string[] = [];
  for (const c of task.components) {
    if (!c.plan || !names.includes(c.name) || !now.has(c.name)) continue;
    const cur = now.get(c.name);
    const planned = c.plan.was?.image;
    if (cur?.image === planned) continue;
    const nowText = cur ? `runs ${cur.image}` : 'is gone';
    out.push(`\`${c.name}\` ${nowText} (the plan had ${planned ?? 'nothing by that name'})`);
  }
  return out;
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
    .filter((c) => c.previousImage && c.image && (c.status === 'Released' || c.status === 'Rollback failed'))
    .flatMap((c) => {
      const runs = now.get(c.name)?.image;
      // Already back where the rollback would take it (a Rollback failed that half happened): fine.
      if (runs === c.image || runs === c.previousImage) return [];
      return [{ name: c.name, put: c.image!, ...(runs ? { runs } : {}) }];
    });
}
