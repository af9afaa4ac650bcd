/** Renders each kind of status card from the entity's current state in Redis. */
import type { EntityKind } from '../domain/entity.js';
import type { CardSource } from './delivery.js';
import type { TaskStore } from '../store/task-store.js';
import type { JobStore } from '../store/versioned-store.js';
import type { Policy } from '../policy/policy.js';
import { jobCard } from './blocks/job-card.js';
import { taskLinkBlocks } from './blocks/links.js';
import { taskCard } from './blocks/task-card.js';

/** `policy`: the environments' link templates (logs, dashboard, workload) for the cards' link buttons. */
export function cardSources(d: { tasks: TaskStore; jobs: JobStore; clock: () => Date; policy?: Policy }): Record<EntityKind, CardSource> {
  return {
    task: {
      async load(id) {
        const t = await d.tasks.get(id);
        return t && { version: t.version, channel: t.channel, ...taskCard(t, d.clock(), taskLinkBlocks(d.policy?.links(t.env), t)) };
      },
    },
    bluegreen: {
      async load(id) {
        const j = await d.jobs.get(id);
        return j && { version: j.version, channel: j.channel, ...jobCard(j, d.clock(), d.policy?.links(j.env)) };
      },
    },
  };
}
