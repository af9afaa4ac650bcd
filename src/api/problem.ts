/**
 * Errors as RFC 9457 problem details (`application/problem+json`): a status, a title, a detail in
 * plain words and, for an invalid body, every invalid field as a JSON Pointer with its message.
 */
import type { z } from 'zod';
import type { Problem } from './schemas.js';

const TITLES: Record<number, string> = {
  400: 'Bad request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not found',
  409: 'Conflict',
  413: 'Content too large',
  415: 'Unsupported media type',
  422: 'Unprocessable content',
  429: 'Too many requests',
  500: 'Internal server error',
};

/** A refusal a handler throws; the server answers it as problem+json. */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly errors?: Problem['errors'],
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
  }

  get body(): Problem {
    return {
      type: 'about:blank',
      title: TITLES[this.status] ?? 'Error',
      status: this.status,
      detail: this.detail,
      ...(this.errors?.length ? { errors: this.errors } : {}),
    };
  }
}

/** `#/components/2/image` for a zod issue's path. */
export const pointer = (path: readonly PropertyKey[]) => `#/${path.map((p) => String(p).replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`;

/** Every issue of a failed parse, each at its field, in the grammar's words where the schema is the grammar's. */
export function invalid(error: z.ZodError, what = 'The request body'): ApiProblem {
  const errors = error.issues.map((i) => {
    const at = pointer(i.path);
    if (i.code === 'unrecognized_keys') return { pointer: at, detail: `unknown field${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `"${k}"`).join(', ')}` };
    if (i.code === 'invalid_type' && i.input === undefined) return { pointer: at, detail: `${String(i.path.at(-1) ?? 'the body')} is required` };
    return { pointer: at, detail: i.message };
  });
  const n = errors.length;
  return new ApiProblem(422, `${what} has ${n} invalid field${n === 1 ? '' : 's'}: ${errors.map((e) => `${e.pointer.slice(2) || '(body)'}: ${e.detail}`).join('; ')}`, errors);
}
