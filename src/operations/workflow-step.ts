/**
 * The Workflow Builder step "Start a release task": `/release create` then `/release start`, as the
 * person the workflow names, through the same operations (operators, plan, card, thread, audit,
 * freeze windows, approvals). The step's execution is kept on the task; when a run of it ends for
 * good, the settled fan-out completes the step (jobs/handlers/workflow-step.ts).
 */
import type { CreateRequest } from '../commands/release-command.js';
import type { TaskStore } from '../store/task-store.js';
import { Refusal } from '../store/versioned-store.js';
import type { Governance } from './governance.js';
import type { Actor } from './outcome.js';
import type { ReleaseOperations } from './release-operations.js';

export type StepStart = { ok: true; taskId: string } | { ok: false; error: string };

export class WorkflowStep {
  constructor(private readonly d: { release: ReleaseOperations; tasks: TaskStore; governance: Governance }) {}

  /**
   * Create the task and start it. Starting may wait for approval, as a typed start would: the
   * card asks, and the step stays open until the task ends. A refusal is the step's error, in
   * the words the command would have used.
   */
  async start(req: CreateRequest, actor: Actor, executionId: string): Promise<StepStart> {
    // A command's card goes to its channel; a workflow has none unless the step or the policy gives one.
    if (!actor.channel && !this.d.governance.policy.channel(req.env)) {
      return { ok: false, error: `No channel for the card of a task in ${req.env}: fill in the step's channel, or set channel for ${req.env} in the policy file.` };
    }
    const created = await this.d.release.create(req, actor, { executionId });
    if (!created.changed || !created.created) return { ok: false, error: created.text };
    const id = created.created.id;
    const started = await this.d.release.pipeline.act(id, 'start', actor);
    if (started.changed) return { ok: true, taskId: id };
    // The step ends here with the refusal: the task stays for a person, and no longer answers to the step.
    await this.d.tasks.update(id, (t) => {
      if (t.workflow?.executionId !== executionId) return new Refusal('not the step\'s');
      const { workflow: _w, ...rest } = t;
      return rest;
    });
    return { ok: false, error: `${started.text} The task \`${id}\` was created and stays To release.` };
  }
}
