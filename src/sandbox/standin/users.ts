/** users.*: user profiles. */
import { TEAM_ID, fail, ok, str, type Handlers, type StandinState } from './state.js';

/** `users.info`: the profile set with `setUser`, otherwise one derived from the ID. */
export function usersHandlers(s: StandinState): Handlers {
  return {
    'users.info': (a) => {
      const id = str(a.user);
      if (!id) return fail('user_not_found');
      const u = s.users.get(id) ?? {};
      const name = u.name ?? id.toLowerCase();
      const realName = u.real_name ?? `User ${id}`;
      return ok({
        user: { id, team_id: TEAM_ID, name, real_name: realName, is_bot: false, profile: { display_name: u.display_name ?? name, real_name: realName } },
      });
    },
  };
}
