/** Messages between the benchmark and its load-generator process (bench/lib/load-process.ts). */

export interface BurstRequest {
  type: 'burst';
  id: number;
  /** Full URL of the Slack request endpoint, e.g. http://127.0.0.1:3000/slack/events. */
  url: string;
  secret: string;
  command: string;
  /** One slash command per text, all fired at once. */
  texts: string[];
  /** A response counts as ok when its status is 200 and its body contains this (if given). */
  expectBody?: string;
}

export interface BurstReply {
  type: 'burst';
  id: number;
  /** Client-side wall time per request in ms, in the order the texts were given. NaN for transport errors. */
  samples: number[];
  ok: number;
  /** Requests that had to open a TCP connection (not reused from the keep-alive pool). */
  newConnections: number;
  /** The first few failures, for the error message. */
  failures: Array<{ text: string; status: number | string; body: string }>;
  failed: number;
}

export type ToLoad = BurstRequest | { type: 'close' };
export type FromLoad = BurstReply | { type: 'ready' };
