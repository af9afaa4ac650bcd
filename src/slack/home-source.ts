/**
 * A person's App Home as it is now: the Home queries (operations/home.ts), a link to each card
 * listed (chat.getPermalink, remembered by Permalinks), rendered by blocks/home-view.ts.
 */
import type { HomeView } from '@slack/types';
import type { HomeQueries } from '../operations/home.js';
import { homeView, linkKey } from './blocks/home-view.js';
import type { Permalinks } from './permalinks.js';

export interface HomeSource {
  view(user: string): Promise<HomeView>;
}

export function homeSource(d: { queries: Pick<HomeQueries, 'forUser'>; permalinks: Pick<Permalinks, 'get'>; clock: () => Date }): HomeSource {
  return {
    async view(user) {
      const model = await d.queries.forUser(user);
      const items = [...model.approvals, ...model.mine, ...model.releasing.flatMap((e) => e.items), ...model.failures];
      const refs = new Map(items.map((it) => [linkKey(it.ref), it.ref]));
      const links = new Map<string, string>();
      // Each card's link is asked once per process; a card not posted yet is listed without one.
      await Promise.all(
        [...refs].map(async ([key, ref]) => {
          const link = await d.permalinks.get(ref);
          if (link) links.set(key, link);
        }),
      );
      return homeView({ model, links, now: d.clock() });
    },
  };
}
