/** Renders each kind of status card from the entity's current state in Redis, with the policy's freeze windows and links. */
import type { EntityKind } from '../domain/entity.js';
import type { Policy } from '../policy/policy.js';
import type { CardSource } from './delivery.js';
import type { TaskStore } from '../store/task-store.js';
import type { JobStore } from '../store/versioned-store.js';
import { jobCard } from './blocks/job-card.js';
import { taskLinkBlocks } from './blocks/links.js';
import { taskCard } from './blocks/task-card.js';

/**
 * The freeze window a card shows (and its release control asks a reason for): the one in force
 * now for its kind's release action (a task's start, a job's Release) on `env`.
 */
function freezeOf(policy: Policy | undefined, kind: EntityKind, env: string, now: Date): string | undefined {
  return policy?.freezeAt(kind, kind === 'task' ? 'start' : 'release', env, now);
}

/** `policy`: the freeze windows and the link templates (logs, dashboard, workload) the cards show. */
export function cardSources(d: { tasks: TaskStore; jobs: JobStore; clock: () => Date; policy?: Policy }): Record<EntityKind, CardSource> {
  return {
    task: {
      async load(id) {
        const t = await d.tasks.get(id);
        const now = d.clock();
        return t && { version: t.version, channel: t.channel, ...taskCard(t, now, { links: taskLinkBlocks(d.policy?.links(t.env), t), freeze: freezeOf(d.policy, 'task', t.env, now) }) };
      },
    },
    bluegreen: {
      async load(id) {
        const j = await d.jobs.get(id);
        const now = d.clock();
        return j && { version: j.version, channel: j.channel, ...jobCard(j, now, { links: d.policy?.links(j.env), freeze: freezeOf(d.policy, 'bluegreen', j.env, now) }) };
      },
    },
  };
}
