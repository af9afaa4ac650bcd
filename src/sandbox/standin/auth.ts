/** auth.*: who the token belongs to. */
import { BOT_ID, BOT_USER, TEAM_ID, ok, type Handlers } from './state.js';

/** `auth.test`: the bot user of the test workspace. */
export function authHandlers(): Handlers {
  return {
    'auth.test': () =>
      ok({ url: 'https://switchyard-test.slack.com/', team: 'Switchyard Test (local stand-in)', user: 'switchyard', team_id: TEAM_ID, user_id: BOT_USER, bot_id: BOT_ID }),
  };
}
