/** users.*: user profiles. */
import { TEAM_ID, fail, ok, str, type Handlers, type StandinState } from './state.js';

/** Seconds east of UTC in `tz` now, as Slack's `tz_offset`; 0 for a zone this runtime does not know. */
function offsetSeconds(tz: string): number {
  try {
    const parts = Object.fromEntries(
      new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric' })
        .formatToParts(new Date())
        .map((p) => [p.type, Number(p.value)]),
    );
    const wall = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!);
    return Math.round((wall - Math.floor(Date.now() / 60_000) * 60_000) / 1000);
  } catch {
    return 0;
  }
}

/** `users.info`: the profile set with `setUser`, otherwise one derived from the ID; `tz` "UTC" unless set. */
export function usersHandlers(s: StandinState): Handlers {
  return {
    'users.info': (a) => {
      const id = str(a.user);
      if (!id) return fail('user_not_found');
      const u = s.users.get(id) ?? {};
      const name = u.name ?? id.toLowerCase();
      const realName = u.real_name ?? `User ${id}`;
      const tz = u.tz === undefined ? 'UTC' : u.tz;
      const zone = tz === null ? {} : { tz, tz_label: tz, tz_offset: offsetSeconds(tz) };
      return ok({
        user: { id, team_id: TEAM_ID, name, real_name: realName, is_bot: false, ...zone, profile: { display_name: u.display_name ?? name, real_name: realName } },
      });
    },
  };
}
