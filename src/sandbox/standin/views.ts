/** views.*: modals and App Homes. */
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
    /**
     * `views.publish`: a user's App Home. Checked like Slack checks it (type home, at most 100
     * blocks); kept per user and told to listeners (event 'home', { user, view }).
     */
    'views.publish': (a) => {
      const user = str(a.user_id);
      if (!user) return fail('invalid_arguments');
      if (a.view === undefined || typeof a.view !== 'object') return fail('invalid_arguments');
      const refusal = viewRefusal(a.view, 'home');
      if (refusal) return { body: refusalBody(refusal, { errorsField: false }) };
      const id = s.homes.get(user)?.id ?? `V${String(s.nextSeq()).padStart(8, '0')}`;
      const view = { ...(a.view as Args), id, team_id: TEAM_ID, app_id: 'A0TEST', bot_id: BOT_ID };
      s.homes.set(user, view as Args & { id: string });
      s.events.emit('home', { user, view });
      return ok({ view });
    },
  };
}
