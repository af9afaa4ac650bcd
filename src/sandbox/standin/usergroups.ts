/** usergroups.*: members of user groups. */
import { fail, ok, str, type Handlers, type StandinState } from './state.js';

/** `usergroups.users.list`: the members set with `setUsergroup`; an unknown group is `no_such_subteam`. */
export function usergroupsHandlers(s: StandinState): Handlers {
  return {
    'usergroups.users.list': (a) => {
      const members = s.usergroups.get(str(a.usergroup) ?? '');
      return members ? ok({ users: [...members] }) : fail('no_such_subteam');
    },
  };
}
