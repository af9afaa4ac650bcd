/** functions.*: finishing a Workflow Builder step's execution. */
import { fail, ok, str, type Handlers, type StandinState } from './state.js';

/** What Slack's execution IDs look like: `Fx` and upper-case letters and digits. */
const EXECUTION_ID = /^Fx[A-Z0-9]{6,}$/;

/**
 * `functions.completeSuccess` and `functions.completeError`, as Slack checks them: a well-formed
 * execution ID, completed once (a second completion is `execution_not_in_running_state`); outputs
 * an object of parameter values (`parameter_validation_failed` otherwise), an error a non-empty
 * string. Accepted completions are kept in `s.completions` and told as event 'function-complete'.
 */
export function functionsHandlers(s: StandinState): Handlers {
  const complete = (id: unknown, result: { outputs: Record<string, unknown> } | { error: string }) => {
    const executionId = str(id);
    if (!executionId) return fail('invalid_arguments');
    if (!EXECUTION_ID.test(executionId)) return fail('function_execution_not_found');
    if (s.completions.some((c) => c.executionId === executionId)) return fail('execution_not_in_running_state');
    const done = { executionId, ...result, at: Date.now() };
    s.completions.push(done);
    s.events.emit('function-complete', done);
    return ok({});
  };
  return {
    'functions.completeSuccess': (a) => {
      const outputs = a.outputs;
      if (outputs === null || typeof outputs !== 'object' || Array.isArray(outputs)) return fail('parameter_validation_failed');
      const values = Object.values(outputs as Record<string, unknown>);
      if (values.some((v) => v === null || (typeof v === 'object' && !Array.isArray(v)))) return fail('parameter_validation_failed');
      return complete(a.function_execution_id, { outputs: outputs as Record<string, unknown> });
    },
    'functions.completeError': (a) => {
      const error = str(a.error);
      if (!error) return fail('invalid_arguments');
      return complete(a.function_execution_id, { error });
    },
  };
}
