/**
 * POST /slack/events: the one way Slack requests reach Bolt in HTTP mode. Everything refused
 * here never reaches a listener, and no request can take the process down:
 *   401  unsigned, bad signature, or timestamp more than 5 minutes from now (either way)
 *   413  body over 1 MB (a declared length is refused before reading a byte)
 *   415  not form-encoded (JSON only for the Events API)
 *   400  not the shape Slack sends (null, not an object, unparsable payload, no view, …)
 *   200, empty: a replay (same signature, or same event_id, within 10 minutes), not acted on
 * Then Bolt's listeners run; whatever they fail to acknowledge in 3 s is acknowledged empty.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { ReceiverMultipleAckError, type App, type Receiver } from '@slack/bolt';
import type { Logger } from 'pino';
import { withContext } from '../../last-resort.js';
import { withTimeout, type Route } from '../../http/routes.js';
import { close, listen, readBody } from '../../http/server.js';
import type { SeenRequests } from '../../store/seen-requests.js';
import {
  MAX_BODY_BYTES,
  checkDeclaredLength,
  checkSignedHeaders,
  isRefusal,
  readSlackRequest,
  signatureMatches,
  type Refusal,
  type SlackRequest,
} from './request.js';

export const SLACK_EVENTS_PATH = '/slack/events';
/** How long a request is remembered: twice the 5-minute window a signature is valid in. */
export const REPLAY_WINDOW_S = 10 * 60;
const ACK_TIMEOUT_MS = 3000;
const STORE_TIMEOUT_MS = 1000;

export interface SlackReceiverOptions {
  signingSecret: string;
  /** Probes and metrics, served beside the Slack endpoint. */
  routes: Route[];
  seen: SeenRequests;
  log: Logger;
  nowSec?: () => number;
}

export class SlackHttpReceiver implements Receiver {
  private app: App | undefined;
  private server: Server | undefined;

  constructor(private readonly o: SlackReceiverOptions) {}

  init(app: App): void {
    this.app = app;
  }

  async start(port: number): Promise<Server> {
    const events: Route = { path: SLACK_EVENTS_PATH, method: ['POST'], handler: (req, res) => this.handle(req, res) };
    this.server = await listen([...this.o.routes, events], port, this.o.log);
    return this.server;
  }

  async stop(): Promise<void> {
    if (this.server) await close(this.server);
    this.server = undefined;
  }

  private handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const request = randomBytes(4).toString('hex');
    return withContext({ request, method: req.method, path: SLACK_EVENTS_PATH }, async () => {
      const accepted = await this.accept(req);
      if (isRefusal(accepted)) return this.refuse(req, res, accepted, request);
      await this.dispatch(req, res, accepted.request, accepted.signature, request);
    });
  }

  /** Every check that needs no listener, cheapest first, reading the body only when signed. */
  private async accept(req: IncomingMessage): Promise<{ request: SlackRequest; signature: string } | Refusal> {
    const signed = checkSignedHeaders(req.headers, (this.o.nowSec ?? (() => Date.now() / 1000))());
    if (isRefusal(signed)) return signed;
    const declared = checkDeclaredLength(req.headers);
    if (declared) return declared;
    const body = await readBody(req, MAX_BODY_BYTES);
    if (body === 'too large') return { status: 413, reason: `body over ${MAX_BODY_BYTES} bytes` };
    if (!signatureMatches(this.o.signingSecret, signed, body)) return { status: 401, reason: 'signature does not match' };
    const request = readSlackRequest(req.headers['content-type'], body);
    return isRefusal(request) ? request : { request, signature: signed.signature };
  }

  private refuse(req: IncomingMessage, res: ServerResponse, r: Refusal, request: string): void {
    this.o.log.warn({ request, status: r.status, reason: r.reason, ip: req.socket.remoteAddress }, 'slack request refused');
    // Whatever was not read stays unread: the connection closes after the answer.
    const unread = !req.readableEnded;
    res.writeHead(r.status, { 'content-type': 'text/plain', ...(unread ? { connection: 'close' } : {}) });
    res.end(`${r.reason}\n`);
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse, r: SlackRequest, signature: string, request: string): Promise<void> {
    if (r.kind === 'ssl_check') return void res.writeHead(200).end();
    if (r.kind === 'url_verification') return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ challenge: r.challenge }));
    // Slack retries an event with the same event_id and a new signature: either repeat is a replay.
    const first = await withTimeout(this.o.seen.firstTime(r.kind === 'event' && r.eventId ? `event:${r.eventId}` : signature.slice(3), REPLAY_WINDOW_S), STORE_TIMEOUT_MS).catch((err: Error) => err);
    if (first instanceof Error) return this.storeDown(res, r, first, request);
    if (!first) {
      this.o.log.warn({ request, kind: r.kind, retry: req.headers['x-slack-retry-num'] }, 'replayed slack request: acknowledged, not acted on');
      return void res.writeHead(200).end();
    }
    await this.toBolt(req, res, r.body, request);
  }

  /** Without the store nothing can be done safely; a person typing a command is told so. */
  private storeDown(res: ServerResponse, r: SlackRequest, err: Error, request: string): void {
    this.o.log.error({ request, err: err.message }, 'store unreachable: slack request not acted on');
    if (r.kind !== 'command') return void res.writeHead(503).end();
    const text = 'Switchyard cannot reach its store right now, so nothing was done. Try again in a minute.';
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ response_type: 'ephemeral', text }));
  }

  private async toBolt(req: IncomingMessage, res: ServerResponse, body: Record<string, unknown>, request: string): Promise<void> {
    if (!this.app) throw new Error('receiver used before Bolt initialised it');
    let acked = false;
    const answer = (status: number, content?: unknown) => {
      acked = true;
      clearTimeout(timer);
      if (res.headersSent) return;
      if (content === undefined || content === '') res.writeHead(status).end();
      else if (typeof content === 'string') res.writeHead(status, { 'content-type': 'text/plain' }).end(content);
      else res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(content));
    };
    const timer = setTimeout(() => {
      if (acked) return;
      this.o.log.warn({ request }, 'no listener acknowledged within 3 s: acknowledged empty');
      answer(200);
    }, ACK_TIMEOUT_MS);
    const retry = Number(req.headers['x-slack-retry-num']);
    try {
      await this.app.processEvent({
        body,
        ack: async (response?: unknown) => {
          if (acked) throw new ReceiverMultipleAckError();
          answer(200, response);
        },
        ...(Number.isInteger(retry) ? { retryNum: retry, retryReason: String(req.headers['x-slack-retry-reason'] ?? '') } : {}),
      });
    } catch (err) {
      this.o.log.error({ request, err: (err as Error).message }, 'slack listener failed');
      if (!acked) answer(500);
      return;
    }
    // Nothing listens for it (an unknown control, a shortcut we do not offer): acknowledged.
    if (!acked) answer(200);
  }
}
