/**
 * The fake Slack Web API of the tests: the sandbox's stand-in (src/sandbox/slack-standin.ts) on a
 * local HTTP server of its own, so tests and the sandbox share one emulation of Slack.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSlackStandin, type SlackStandin } from '../../src/sandbox/slack-standin.js';

export type { FailureSpec, FakeMessage, FakeSlackCall, FakeUpload, FakeUser } from '../../src/sandbox/slack-standin.js';

export interface FakeSlack extends Omit<SlackStandin, 'handle' | 'setBase'> {
  /** Base URL ending in `/api/`; pass as `slackApiUrl`. */
  readonly url: string;
  /** Stops the server, dropping open keep-alive connections. */
  close(): Promise<void>;
}

/** Starts a fake Slack Web API on 127.0.0.1 at a free port. */
export async function startFakeSlack(): Promise<FakeSlack> {
  const standin = createSlackStandin();
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
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  });
}
