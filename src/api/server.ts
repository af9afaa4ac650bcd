/**
 * Serves the API's route table (api/handlers.ts) on the bot's HTTP server, in this order:
 *   401  no token, or one the policy file does not list (problem+json, WWW-Authenticate)
 *   429  past the token's requests per minute (Retry-After)
 *   404  a path parameter that cannot name anything (a task ID that is not one)
 *   413, 415, 400  a body over 1 MB, not JSON, or JSON that does not parse
 *   422  a body or query that does not validate: every invalid field named
 *   Idempotency-Key (POST): the first answer to a key again, for 24 h (409 while the first is
 *        still running; 422 for the same key on another request)
 * then the handler; a handler's ApiProblem is its answer, anything else a 500 that says nothing
 * was promised. GET /api/v1/openapi.json needs no token.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { Route } from '../http/routes.js';
import { readBody } from '../http/server.js';
import type { IdempotencyKeys } from '../store/idempotency.js';
import type { RateLimiter } from '../store/rate-limit.js';
import { ApiTokens, type Caller } from './auth.js';
import type { Answer, ApiRoute } from './handlers.js';
import { ApiProblem, invalid } from './problem.js';

export const MAX_API_BODY_BYTES = 1024 * 1024;
export const OPENAPI_PATH = '/api/v1/openapi.json';

export interface ApiServerDeps {
  tokens: ApiTokens;
  rates: RateLimiter;
  /** Requests per minute of a token that sets no `rateLimit`. */
  defaultRateLimit: number;
  idempotency: IdempotencyKeys;
  log: Logger;
  /** Each answered request, by route and status. */
  count(route: string, status: number): void;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return void res.end();
  const problem = status >= 400;
  res.writeHead(status, { 'content-type': problem ? 'application/problem+json' : 'application/json', 'cache-control': 'no-store', ...headers });
  res.end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_API_BODY_BYTES) throw new ApiProblem(413, `The body is ${declared} bytes: at most ${MAX_API_BODY_BYTES}.`);
  const raw = await readBody(req, MAX_API_BODY_BYTES);
  if (raw === 'too large') throw new ApiProblem(413, `The body is over ${MAX_API_BODY_BYTES} bytes.`);
  const text = raw.toString('utf8');
  if (text.trim() === '') return {};
  const type = String(req.headers['content-type'] ?? '');
  if (!/^application\/([\w.+-]*\+)?json\b/i.test(type)) throw new ApiProblem(415, `Send the body as JSON (Content-Type: application/json), not ${type || 'without a content type'}.`);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ApiProblem(400, `The body is not valid JSON: ${(err as Error).message}`);
  }
}

function parse<T>(schema: z.ZodType<T> | undefined, value: unknown, what: string): T {
  if (!schema) return value as T;
  const r = schema.safeParse(value);
  if (!r.success) throw invalid(r.error, value, what);
  return r.data;
}

/** The HTTP server's routes for the API table. */
export function serveApi(table: ApiRoute[], d: ApiServerDeps): Route[] {
  return table.map((route) => ({
    path: route.path,
    method: [route.method],
    handler: async (req: IncomingMessage, res: ServerResponse) => {
      const answer = await answerFor(route, req, d).catch((err: unknown) => {
        if (err instanceof ApiProblem) return { status: err.status, body: err.body, headers: err.headers };
        d.log.error({ err: (err as Error)?.message ?? String(err), path: route.path }, 'api request failed');
        return { status: 500, body: new ApiProblem(500, 'Something went wrong on our side; the request may or may not have been carried out. GET the task to see.').body, headers: {} };
      });
      d.count(`${route.method} ${route.path}`, answer.status);
      send(res, answer.status, answer.body, answer.headers);
    },
  }));
}

async function answerFor(route: ApiRoute, req: IncomingMessage, d: ApiServerDeps): Promise<Answer & { headers?: Record<string, string> }> {
  const caller: Caller = d.tokens.caller(req.headers.authorization);
  const rate = await d.rates.take(caller.token.name, caller.token.rateLimit ?? d.defaultRateLimit);
  if (!rate.ok) {
    throw new ApiProblem(429, `The token ${caller.token.name} is past its ${caller.token.rateLimit ?? d.defaultRateLimit} requests a minute: try again in ${rate.retryAfterS} s.`, undefined, { 'retry-after': String(rate.retryAfterS) });
  }
  const raw = (req as IncomingMessage & { params?: Record<string, string> }).params ?? {};
  const params: Record<string, string> = {};
  for (const [name, schema] of Object.entries(route.params ?? {})) {
    const r = schema.safeParse(raw[name]);
    if (!r.success) throw new ApiProblem(404, `${JSON.stringify(raw[name])} is not ${r.error.issues[0]?.message ?? `a ${name}`}.`);
    params[name] = r.data;
  }
  const url = new URL(req.url ?? '/', 'http://localhost');
  const query = parse(route.query, Object.fromEntries(url.searchParams), 'The query');
  const rawBody = route.method === 'POST' ? await readJson(req) : undefined;
  const body = parse(route.body, rawBody, 'The request body');
  const run = () => route.handle({ caller, params, body, query });

  const key = route.method === 'POST' ? req.headers['idempotency-key'] : undefined;
  if (typeof key !== 'string') return run();
  if (key.length < 1 || key.length > 255) throw new ApiProblem(400, 'The Idempotency-Key header is 1 to 255 characters.');
  const fingerprint = `${route.method} ${url.pathname} ${JSON.stringify(rawBody)}`;
  const claim = await d.idempotency.claim(caller.token.name, key, fingerprint);
  if (claim.kind === 'answered') return { ...claim.answer, headers: { ...claim.answer.headers, 'idempotent-replayed': 'true' } };
  if (claim.kind === 'in-progress') throw new ApiProblem(409, `A request with Idempotency-Key ${JSON.stringify(key)} is still being carried out: try again in a moment.`);
  if (claim.kind === 'mismatch') throw new ApiProblem(422, `The Idempotency-Key ${JSON.stringify(key)} was used for another request: use a new key for a new request.`);
  try {
    const answer = await run();
    await d.idempotency.answer(caller.token.name, key, fingerprint, answer);
    return answer;
  } catch (err) {
    // A refusal is an answer too, and the same request gets it again; our failure frees the key for a retry.
    if (err instanceof ApiProblem) {
      await d.idempotency.answer(caller.token.name, key, fingerprint, { status: err.status, body: err.body, headers: err.headers });
    } else {
      await d.idempotency.release(caller.token.name, key).catch(() => undefined);
    }
    throw err;
  }
}
