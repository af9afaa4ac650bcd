/**
 * Workflow Builder custom steps (Bolt's `app.function`, declared under `functions` in
 * manifests/slack-app.yaml). "Start a release task" creates a release task and starts it as the
 * person the workflow names, exactly as `/release create …` then `/release start …` would.
 *
 * Bolt acknowledges the function_executed event before this listener runs (autoAcknowledge), so
 * Slack never waits on it; the listener neither holds the request for the release nor calls
 * Slack itself: a refusal completes the step through the slack queue (retried like any Slack
 * call), and a started task completes it when it ends (jobs/handlers/workflow-step.ts).
 */
import type { App } from '@slack/bolt';
import { parseReleaseCommand } from '../../../commands/release-grammar.js';
import type { ListenerDeps } from '../deps.js';

export const START_RELEASE_TASK = 'start_release_task';

/** The inputs the step reads, as declared in the manifest. */
export const START_RELEASE_TASK_INPUTS = ['name', 'environment', 'components', 'operation', 'requested_by', 'channel'] as const;

/**
 * Without an operation the step upgrades: a workflow typically follows a build, moving components
 * that already run to new images, and an upgrade's plan refuses a component that does not exist
 * where a deploy would create it from a typo.
 */
export const DEFAULT_STEP_OPERATION = 'upgrade';

const text = (v: unknown): string => (typeof v === 'string' ? v.trim() : '');

/** A word for the grammar, quoted when it holds spaces (the grammar then says what is wrong with it). */
function word(v: string): string {
  if (v !== '' && !/[\s"'“”‘’]/u.test(v)) return v;
  return v.includes('"') ? `'${v}'` : `"${v}"`;
}

/** The `/release create` text the step's inputs stand for: the components are the command's own words. */
export function stepCommandText(inputs: Record<string, unknown>): string {
  const operation = text(inputs.operation) || DEFAULT_STEP_OPERATION;
  return `create ${word(text(inputs.name))} ${word(operation)} --env ${word(text(inputs.environment))} ${text(inputs.components)}`.trim();
}

export function register(app: App, d: ListenerDeps): void {
  app.function(START_RELEASE_TASK, async ({ inputs, event }) => {
    const executionId = event.function_execution_id;
    const refuse = (error: string) => d.notifier.workflowStepDone(executionId, { error });
    try {
      const user = text(inputs.requested_by);
      if (!/^[UW][A-Z0-9]{2,}$/.test(user)) {
        d.metrics.operation('workflow-step', 'invalid');
        return await refuse('requested_by must be a person (a Slack user ID): set it to "Person who used this workflow".');
      }
      const parsed = parseReleaseCommand(stepCommandText(inputs));
      if (!parsed.ok || parsed.command.kind !== 'create') {
        d.metrics.operation('workflow-step', 'invalid');
        return await refuse(parsed.ok ? 'name, environment and components must describe one release task.' : parsed.error);
      }
      const started = await d.workflow.start(parsed.command, { user, channel: text(inputs.channel) }, executionId);
      d.metrics.operation('workflow-step', started.ok ? 'accepted' : 'refused');
      if (!started.ok) await refuse(started.error);
      else d.log.info({ execution: executionId, task: started.taskId, user }, 'workflow step started a release task');
    } catch (err) {
      d.log.error({ execution: executionId, err: (err as Error).message }, 'workflow step failed');
      await refuse(`Something went wrong on our side and nothing may have been done: ${(err as Error).message}`).catch(() => undefined);
    }
  });
}
