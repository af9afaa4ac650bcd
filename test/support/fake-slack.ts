/**
 * The fake Slack Web API of the tests: the sandbox's stand-in (src/sandbox/slack-standin.ts) on a
 * local HTTP server of its own, so tests and the sandbox share one emulation of Slack. Like Slack
 * it takes only the bot token (`xoxb-test` unless told otherwise), refuses Block Kit Slack would
 * refuse, and serves the response_urls it hands out.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSlackStandin, type SlackStandin } from '../../src/sandbox/slack-standin.js';

export type { FailureSpec, FakeMessage, FakeSlackCall, FakeUpload, FakeUser, FunctionCompletion, StandinResponse } from '../../src/sandbox/slack-standin.js';
export { blockErrors, messageRefusal, viewErrors } from '../../src/sandbox/slack-standin.js';

/** The bot token of the tests' bots (test-bot.ts); the fake takes no other unless told. */
export const TEST_BOT_TOKEN = 'xoxb-test';

export interface FakeSlack extends Omit<SlackStandin, 'handle' | 'setBase'> {
  /** Base URL ending in `/api/`; pass as `slackApiUrl`. */
  readonly url: string;
  /** Stops the server, dropping open keep-alive connections. */
  close(): Promise<void>;
  /** Throws, listing them, if Slack refused anything that was sent (see `refusals`). */
  assertNothingRefused(): void;
}

/** Starts a fake Slack Web API on 127.0.0.1 at a free port, taking calls made with `opts.token` (default `xoxb-test`). */
export async function startFakeSlack(opts: { token?: string } = {}): Promise<FakeSlack> {
  const standin = createSlackStandin({ token: opts.token ?? TEST_BOT_TOKEN });
  const server = createServer((req, res) => {
    void standin.handle(req, res).then((handled) => {
      if (!handled) res.writeHead(404).end('not found');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  standin.setBase(base);
  return Object.assign(standin, {
    url: `${base}api/`,
    assertNothingRefused() {
      const refused = standin.refusals();
      if (refused.length === 0) return;
      const lines = refused.map((c) => `${c.method}: ${c.error}${c.errors ? ` (${c.errors.join('; ')})` : ''}`);
      throw new Error(`Slack refused ${refused.length} call(s):\n${lines.join('\n')}`);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  });
}
