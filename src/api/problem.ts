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

/** The value at `path` in `input`, and whether it is there at all. */
function at(input: unknown, path: readonly PropertyKey[]): { present: boolean } {
  let v: unknown = input;
  for (const key of path) {
    if (v === null || typeof v !== 'object' || !Object.hasOwn(v, key as string)) return { present: false };
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return { present: v !== undefined };
}

/**
 * Every invalid field of `input`, each with its first issue (as the grammar says one thing per
 * word), in the grammar's words where the schema is the grammar's.
 */
export function invalid(error: z.ZodError, input: unknown, what = 'The request body'): ApiProblem {
  const seen = new Set<string>();
  const errors: { pointer: string; detail: string }[] = [];
  for (const i of error.issues) {
    const where = pointer(i.path);
    if (i.code !== 'unrecognized_keys' && seen.has(where)) continue;
    seen.add(where);
    const detail = i.code === 'unrecognized_keys'
      ? `unknown field${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `"${k}"`).join(', ')}`
      : i.code === 'invalid_type' && !at(input, i.path).present
        ? `${String(i.path.at(-1) ?? 'the body')} is required`
        : i.message;
    errors.push({ pointer: where, detail });
  }
  const n = errors.length;
  return new ApiProblem(422, `${what} has ${n} invalid field${n === 1 ? '' : 's'}: ${errors.map((e) => `${e.pointer.slice(2) || '(body)'}: ${e.detail}`).join('; ')}`, errors);
}
