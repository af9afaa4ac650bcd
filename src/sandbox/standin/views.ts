/** views.*: modals. */
import { refusalBody, viewRefusal } from './block-kit.js';
import { BOT_ID, TEAM_ID, fail, ok, str, type Args, type Handlers, type StandinState } from './state.js';

/**
 * `views.open`: tells listeners about the modal (event 'modal') and answers the view with an ID.
 * A view Slack would refuse (./block-kit.ts) is `invalid_arguments`, the problems in
 * `response_metadata.messages` as Slack lists them.
 */
export function viewsHandlers(s: StandinState): Handlers {
  return {
    'views.open': (a) => {
      if (!str(a.trigger_id)) return fail('invalid_trigger_id');
      if (a.view === undefined || typeof a.view !== 'object') return fail('invalid_arguments');
      const refusal = viewRefusal(a.view);
      if (refusal) return { body: refusalBody(refusal, { errorsField: false }) };
      const id = `V${String(s.nextSeq()).padStart(8, '0')}`;
      s.events.emit('modal', { trigger_id: str(a.trigger_id), view_id: id, view: a.view });
      return ok({ view: { ...(a.view as Args), id, team_id: TEAM_ID, app_id: 'A0TEST', bot_id: BOT_ID } });
    },
  };
}
