/** What every operation answers the requester with, privately, and how its worker run is queued. */
import type { KnownBlock } from '@slack/types';

/** What the requester sees, privately. `changed` is false when nothing was done. */
export interface Reply {
  text: string;
  blocks?: KnownBlock[];
  changed: boolean;
}

/** Who asked, where, and (for a card control) the version of the card they clicked. */
export interface Actor {
  user: string;
  channel: string;
  cardVersion?: number;
}

export const say = (text: string, changed = false): Reply => ({ text, changed });

/** A run is resumable, so an unexpected error (a Redis blip) is simply tried again. */
export const RUN_ATTEMPTS = { attempts: 5, backoff: { type: 'fixed', delay: 2000 } } as const;
