/** Kubernetes `Status` objects for failures, as the real API server returns them. */
import { type KindInfo, qualifiedKindOf, resourceOf } from './types.js';

export interface StatusCause {
  reason: string;
  message: string;
  field: string;
}

export interface StatusObject {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message?: string;
  reason?: string;
  details?: { name?: string; group?: string; kind?: string; uid?: string; causes?: StatusCause[] };
  code: number;
}

/** Thrown anywhere in the fake; the HTTP layer turns it into the response. */
export class KubeError extends Error {
  constructor(readonly status: StatusObject) {
    super(status.message);
  }
  get code() {
    return this.status.code;
  }
}

export function failure(code: number, reason: string, message: string, details?: StatusObject['details']): KubeError {
  return new KubeError({
    kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason,
    ...(details ? { details } : {}), code,
  });
}

const details = (k: KindInfo, name: string) => ({ name, ...(k.group ? { group: k.group } : {}), kind: k.plural });

export const notFound = (k: KindInfo, name: string) =>
  failure(404, 'NotFound', `${resourceOf(k)} "${name}" not found`, details(k, name));

export const alreadyExists = (k: KindInfo, name: string) =>
  failure(409, 'AlreadyExists', `${resourceOf(k)} "${name}" already exists`, details(k, name));

export const conflict = (k: KindInfo, name: string, why = 'the object has been modified; please apply your changes to the latest version and try again') =>
  failure(409, 'Conflict', `Operation cannot be fulfilled on ${resourceOf(k)} "${name}": ${why}`, details(k, name));

export const forbidden = (k: KindInfo, name: string, why: string) =>
  failure(403, 'Forbidden', `${resourceOf(k)} "${name}" is forbidden: ${why}`, details(k, name));

export const badRequest = (message: string) => failure(400, 'BadRequest', message);

export const unsupportedMediaType = (message: string) => failure(415, 'UnsupportedMediaType', message);

export const methodNotAllowed = (message: string) => failure(405, 'MethodNotAllowed', message);

export const pathNotFound = () => failure(404, 'NotFound', 'the server could not find the requested resource', {});

/** 422 Invalid with field causes: `Deployment.apps "web" is invalid: spec.x: Required value`. */
export function invalid(k: KindInfo, name: string, causes: StatusCause[]): KubeError {
  const parts = causes.map((c) => `${c.field}: ${c.message}`);
  const what = parts.length === 1 ? parts[0] : `[${parts.join(', ')}]`;
  return failure(422, 'Invalid', `${qualifiedKindOf(k)} "${name}" is invalid: ${what}`, {
    name, ...(k.group ? { group: k.group } : {}), kind: k.kind, causes,
  });
}

export const required = (field: string): StatusCause => ({ reason: 'FieldValueRequired', message: 'Required value', field });
export const invalidValue = (field: string, value: unknown, why: string): StatusCause => ({
  reason: 'FieldValueInvalid',
  message: `Invalid value: ${typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value) ?? 'null'}: ${why}`,
  field,
});
export const duplicate = (field: string, value: unknown): StatusCause => ({
  reason: 'FieldValueDuplicate', message: `Duplicate value: ${JSON.stringify(value)}`, field,
});
