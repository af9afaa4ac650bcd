/**
 * Events API listeners. `app_home_opened`: a person opened the bot's Home tab. Bolt acknowledges
 * events before listeners run; this one only remembers who looked and queues their Home's
 * publish (slack.home, a worker's views.publish): no Slack call from the request.
 */
import type { App } from '@slack/bolt';
import type { ListenerDeps } from '../deps.js';

export function register(app: App, d: ListenerDeps): void {
  app.event('app_home_opened', async ({ event }) => {
    // The Messages and About tabs send this event too; only the Home tab shows our view.
    if (event.tab !== 'home') return;
    try {
      await d.notifier.homeOpened(event.user);
      d.metrics.operation('home', 'opened');
    } catch (err) {
      d.log.error({ user: event.user, err: (err as Error).message }, 'could not queue the App Home');
    }
  });
}
