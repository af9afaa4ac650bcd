/**
 * GET /api/v1/openapi.json: the OpenAPI 3.1 document of the route table, generated from the zod
 * schemas that validate the requests (zod's JSON Schema output), never written by hand.
 */
import { z } from 'zod';
import type { Route } from '../http/routes.js';
import type { ApiRoute } from './handlers.js';
import { Problem } from './schemas.js';
import { OPENAPI_PATH } from './server.js';

const schema = (s: z.ZodType, io: 'input' | 'output') => {
  const { $schema: _, ...rest } = z.toJSONSchema(s, { io, target: 'draft-2020-12', unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
};

const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } });

export function openApiDocument(table: ApiRoute[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of table) {
    const path = r.path.replace(/:(\w+)/g, '{$1}');
    const parameters = [
      ...Object.entries(r.params ?? {}).map(([name, s]) => ({ name, in: 'path', required: true, schema: schema(s, 'input') })),
      ...(r.query ? Object.entries((schema(r.query, 'input').properties ?? {}) as Record<string, unknown>).map(([name, s]) => ({ name, in: 'query', required: false, schema: s })) : []),
      ...(r.method === 'POST' ? [{ name: 'Idempotency-Key', in: 'header', required: false, description: 'The same key within 24 h returns the first answer and does nothing again', schema: { type: 'string', maxLength: 255 } }] : []),
    ];
    const responses: Record<string, unknown> = {};
    for (const [status, res] of Object.entries(r.responses)) {
      responses[status] = Number(status) >= 400
        ? problem(res.description)
        : { description: res.description, ...(res.schema ? { content: { 'application/json': { schema: schema(res.schema, 'output') } } } : {}) };
    }
    responses['401'] ??= problem('No token, or one the policy file does not list');
    responses['403'] ??= problem("Outside the token's environments or actions");
    responses['429'] ??= problem('Past the token’s requests per minute; see Retry-After');
    if (r.body || r.query) responses['422'] ??= problem('Invalid request: every invalid field named');
    (paths[path] ??= {})[r.method.toLowerCase()] = {
      operationId: `${r.method.toLowerCase()}${path.replace(/\/api\/v1/, '').replace(/\{(\w+)\}/g, 'By$1').replace(/[^A-Za-z0-9]+(\w)/g, (_, c: string) => c.toUpperCase())}`,
      summary: r.summary,
      ...(parameters.length ? { parameters } : {}),
      ...(r.body ? { requestBody: { required: r.method === 'POST' && r.path === '/api/v1/tasks', content: { 'application/json': { schema: schema(r.body, 'input') } } } } : {}),
      responses,
    };
  }
  paths[OPENAPI_PATH] = {
    get: { operationId: 'getOpenApiDocument', summary: 'This document', security: [], responses: { 200: { description: 'The OpenAPI 3.1 document', content: { 'application/json': { schema: { type: 'object' } } } } } },
  };
  return {
    openapi: '3.1.0',
    info: {
      title: 'Switchyard API',
      version,
      description: 'Create, start and watch release tasks and blue-green jobs from CI; approvals, cards and threads stay in Slack. Tokens are listed in the policy file under apiTokens.',
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: { Problem: schema(Problem, 'output') },
    },
    paths,
  };
}

/** The document's own route: no token needed, it holds nothing secret. */
export function openApiRoute(table: ApiRoute[], version: string): Route {
  // Built on the first request, not at start: generating every schema costs start-up time.
  let body: string | undefined;
  return {
    path: OPENAPI_PATH,
    method: ['GET'],
    handler: (_req, res) => {
      body ??= JSON.stringify(openApiDocument(table, version));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(body);
    },
  };
}
