/**
 * Who calls the HTTP API: `Authorization: Bearer <token>`, matched against the SHA-256 digests
 * the policy file lists under `apiTokens` (the file never holds a token itself). A token acts as
 * `ci:<name>` in audit, cards and threads, within its environments and actions; approvals still
 * apply to what it asks for, and it never approves.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { API_ACTOR_PREFIX } from '../domain/entity.js';
import { matchesEnvironment } from '../domain/environments.js';
import type { ApiTokenAction, ApiTokenPolicy } from '../policy/policy-file.js';
import { ApiProblem } from './problem.js';

export interface Caller {
  token: ApiTokenPolicy;
  /** The actor its operations are recorded as: `ci:<name>`. */
  actor: string;
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

export class ApiTokens {
  private readonly digests: { token: ApiTokenPolicy; digest: Buffer }[];

  constructor(tokens: readonly ApiTokenPolicy[]) {
    this.digests = tokens.map((token) => ({ token, digest: Buffer.from(token.sha256, 'hex') }));
  }

  /** The caller of a request with this Authorization header, or a 401. */
  caller(authorization: string | undefined): Caller {
    const m = /^Bearer +(\S+)\s*$/i.exec(authorization ?? '');
    if (!m) throw unauthorized('Send the API token as `Authorization: Bearer <token>`.');
    const got = digest(m[1]!);
    // Compare every digest in constant time, so timing does not tell how close a guess came.
    let found: ApiTokenPolicy | undefined;
    for (const d of this.digests) if (timingSafeEqual(d.digest, got)) found = d.token;
    if (!found) throw unauthorized('The API token is not one the policy file lists under apiTokens.');
    return { token: found, actor: `${API_ACTOR_PREFIX}${found.name}` };
  }
}

const unauthorized = (detail: string) => new ApiProblem(401, detail, undefined, { 'www-authenticate': 'Bearer realm="switchyard"' });

/** Is `env` among the caller's token's environments (names and globs)? Reading is allowed wherever it may act. */
export function mayUse(caller: Caller, env: string): boolean {
  return caller.token.environments.some((e) => e === env || (e.includes('*') && matchesEnvironment(e, env)));
}

/** A 403 unless the caller's token may do `action` on `env`. */
export function allow(caller: Caller, action: ApiTokenAction | 'read', env: string): void {
  const t = caller.token;
  if (!mayUse(caller, env)) {
    throw new ApiProblem(403, `The token ${t.name} may not act on ${env}: its environments are ${t.environments.join(', ')}.`);
  }
  if (action !== 'read' && !t.actions.includes(action)) {
    throw new ApiProblem(403, `The token ${t.name} may not ${action}: its actions are ${t.actions.join(', ')}.`);
  }
}
