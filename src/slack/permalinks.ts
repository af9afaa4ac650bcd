/**
 * A card's permalink (chat.getPermalink), for the HTTP API's answers: asked once per card and
 * remembered in this process. Before the worker has posted the card there is none yet.
 */
import type { WebClient } from '@slack/web-api';
import type { EntityRef } from '../domain/entity.js';
import type { Notifier } from '../ports/notifier.js';

const REMEMBERED = 5000;

export class Permalinks {
  private readonly known = new Map<string, string>();

  constructor(
    private readonly client: Pick<WebClient, 'chat'>,
    private readonly notifier: Pick<Notifier, 'cardAt'>,
  ) {}

  /** The card's permalink; waits up to `waitMs` for the card to be posted, then null. */
  async get(ref: EntityRef, waitMs = 0): Promise<string | null> {
    const id = `${ref.kind}:${ref.id}`;
    const known = this.known.get(id);
    if (known) return known;
    const until = Date.now() + waitMs;
    let place = await this.notifier.cardAt(ref);
    while (!place && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 100));
      place = await this.notifier.cardAt(ref);
    }
    if (!place) return null;
    try {
      const res = await this.client.chat.getPermalink({ channel: place.channel, message_ts: place.ts });
      if (!res.permalink) return null;
      if (this.known.size >= REMEMBERED) this.known.delete(this.known.keys().next().value!);
      this.known.set(id, res.permalink);
      return res.permalink;
    } catch {
      // Slack unreachable: the answer goes without the link; the next GET asks again.
      return null;
    }
  }
}
