/**
 * The HTTP API's pure parts: path matching, token lookup and scope, problem details from zod
 * issues, and the policy file's apiTokens errors.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ApiTokens, allow } from '../../src/api/auth.js';
import { ApiProblem, invalid, pointer } from '../../src/api/problem.js';
import { CreateTaskBody } from '../../src/api/schemas.js';
import { isApiActor } from '../../src/domain/entity.js';
import { matchPath } from '../../src/http/server.js';
import { PolicyError, parsePolicy, type ApiTokenPolicy } from '../../src/policy/policy-file.js';
import { mention } from '../../src/text.js';

const sha = (t: string) => createHash('sha256').update(t).digest('hex');
const token = (over: Record<string, unknown> = {}) => ({ name: 'gha', sha256: sha('secret-1'), environments: ['staging', 'preview-*'], actions: ['create', 'start'], ...over }) as ApiTokenPolicy;

function problemOf(f: () => unknown): ApiProblem {
  try {
    f();
  } catch (err) {
    if (err instanceof ApiProblem) return err;
    throw err;
  }
  throw new Error('no problem raised');
}

describe('matchPath', () => {
  it('matches exact paths and :name segments, decoded', () => {
    expect(matchPath('/healthz', '/healthz')).toEqual({});
    expect(matchPath('/api/v1/tasks/:id', '/api/v1/tasks/rt-abc')).toEqual({ id: 'rt-abc' });
    expect(matchPath('/api/v1/tasks/:id/start', '/api/v1/tasks/rt%2Dx/start')).toEqual({ id: 'rt-x' });
  });
  it('does not match other lengths, other words, empty or undecodable segments', () => {
    expect(matchPath('/api/v1/tasks/:id', '/api/v1/tasks')).toBeUndefined();
    expect(matchPath('/api/v1/tasks/:id', '/api/v1/tasks/')).toBeUndefined();
    expect(matchPath('/api/v1/tasks/:id/start', '/api/v1/tasks/rt-a/stop')).toBeUndefined();
    expect(matchPath('/api/v1/tasks/:id', '/api/v1/tasks/%E0%A4%A')).toBeUndefined();
    expect(matchPath('/healthz', '/healthz/')).toBeUndefined();
  });
});

describe('API tokens', () => {
  const tokens = new ApiTokens([token(), token({ name: 'other', sha256: sha('secret-2') })]);
  it('finds the token by its SHA-256 and acts as ci:<name>', () => {
    expect(tokens.caller('Bearer secret-1').actor).toBe('ci:gha');
    expect(tokens.caller('bearer secret-2').token.name).toBe('other');
    expect(isApiActor('ci:gha')).toBe(true);
    expect(isApiActor('U0ALICE')).toBe(false);
  });
  it('answers 401 for a missing, malformed or unknown token', () => {
    for (const header of [undefined, '', 'secret-1', 'Basic c2VjcmV0', 'Bearer', 'Bearer nope']) {
      const p = problemOf(() => tokens.caller(header));
      expect(p.status).toBe(401);
      expect(p.headers['www-authenticate']).toContain('Bearer');
    }
  });
  it('allows its environments (globs too) and actions, and reads anywhere it may act', () => {
    const caller = tokens.caller('Bearer secret-1');
    expect(() => allow(caller, 'start', 'staging')).not.toThrow();
    expect(() => allow(caller, 'create', 'preview-42')).not.toThrow();
    expect(() => allow(caller, 'read', 'preview-42')).not.toThrow();
    expect(problemOf(() => allow(caller, 'start', 'production')).detail).toBe('The token gha may not act on production: its environments are staging, preview-*.');
    expect(problemOf(() => allow(caller, 'rollback', 'staging')).detail).toBe('The token gha may not rollback: its actions are create, start.');
  });
  it('is named in messages in bold, never as a broken mention', () => {
    expect(mention('ci:gha')).toBe('*ci:gha*');
    expect(mention('U0ALICE')).toBe('<@U0ALICE>');
    expect(mention('system')).toBe('system');
  });
});

describe('problem details', () => {
  it('names every invalid field with a JSON Pointer', () => {
    const r = CreateTaskBody.safeParse({ name: '', operation: 'ship', env: 'prod', components: [{ name: 'a/b', image: 'x' }], bestEffort: 'yes' });
    expect(r.success).toBe(false);
    const p = invalid(r.error!, { bestEffort: 'yes' });
    expect(p.status).toBe(422);
    expect(p.body.errors!.map((e) => e.pointer).sort()).toEqual(['#/bestEffort', '#/components/0/image', '#/components/0/name', '#/name', '#/operation']);
    const detail = (at: string) => p.body.errors!.find((e) => e.pointer === at)!.detail;
    expect(detail('#/operation')).toBe('the operation is deploy, upgrade or clone');
    expect(detail('#/name')).toBe('the task name is empty'); // the first issue of a field only
    expect(detail('#/bestEffort')).toBe('bestEffort is true or false');
    expect(p.body).toMatchObject({ type: 'about:blank', title: 'Unprocessable content', status: 422 });
  });
  it('says a missing field is required', () => {
    const r = CreateTaskBody.safeParse({ operation: 'deploy' });
    expect(invalid(r.error!, { operation: 'deploy' }).body.errors).toEqual([
      { pointer: '#/name', detail: 'name is required' },
      { pointer: '#/env', detail: 'env is required' },
    ]);
  });
  it('escapes ~ and / in pointers (RFC 6901)', () => {
    expect(pointer(['a/b', 'c~d', 0])).toBe('#/a~1b/c~0d/0');
  });
});

describe('apiTokens in the policy file', () => {
  const load = (apiTokens: unknown) => () => parsePolicy({ apiTokens }, 'policy.yaml');
  it('accepts tokens by digest with environments and actions', () => {
    expect(parsePolicy({ apiTokens: [token()] }, 'p').apiTokens).toHaveLength(1);
  });
  it('names the key and what it expects', () => {
    expect(load([token({ sha256: 'abc' })])).toThrow(/apiTokens\.0\.sha256 expects the hex SHA-256 of the token/);
    expect(load([token({ actions: ['approve'] })])).toThrow(/apiTokens\.0\.actions\.0 expects one of create, start/);
    expect(load([token({ environments: [] })])).toThrow(/apiTokens\.0\.environments expects at least one environment/);
    expect(load([token({ token: 'plain' })])).toThrow(PolicyError);
    expect(load([token(), token()])).toThrow(/apiTokens\.1\.name expects a name of its own \(gha is also token 0\)/);
    expect(load([token(), token({ name: 'b' })])).toThrow(/apiTokens\.1\.sha256 expects a token of its own \(the same as token 0\)/);
  });
});
