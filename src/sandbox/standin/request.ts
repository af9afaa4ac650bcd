/**
 * Reading a Web API request the way Slack does: form-urlencoded, JSON or multipart bodies plus the
 * query string, nested JSON fields decoded; upload bodies; the bearer token.
 */
import type { IncomingMessage } from 'node:http';
import { str, type Args } from './state.js';

/** The arguments Slack reads as JSON when they come as form fields; others (`text`!) stay strings. */
const NESTED = new Set(['blocks', 'attachments', 'view', 'metadata', 'files', 'outputs']);

/** Parses the nested fields that hold a JSON object/array (how @slack/web-api encodes them in a form). */
function decodeNested(args: Args): Args {
  const out: Args = {};
  for (const [key, value] of Object.entries(args)) {
    out[key] = value;
    if (NESTED.has(key) && typeof value === 'string' && /^\s*[[{]/.test(value)) {
      try {
        const parsed: unknown = JSON.parse(value);
        if (parsed !== null && typeof parsed === 'object') out[key] = parsed;
      } catch {
        // not JSON: keep the string
      }
    }
  }
  return out;
}

/** The whole request body. */
export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Parses a multipart/form-data body with the platform's fetch implementation. */
async function parseMultipart(contentType: string, raw: Buffer): Promise<FormData> {
  const req = new Request('http://fake.local/', { method: 'POST', headers: { 'content-type': contentType }, body: new Uint8Array(raw) });
  return req.formData();
}

/** Parses a request body (form-urlencoded, JSON or multipart) plus query string into args. */
export async function parseArgs(req: IncomingMessage, raw: Buffer, query: URLSearchParams): Promise<Args> {
  const args: Args = Object.fromEntries(query);
  const type = req.headers['content-type'] ?? '';
  if (raw.length === 0) return decodeNested(args);
  if (type.includes('application/json')) {
    Object.assign(args, JSON.parse(raw.toString('utf8')) as Args);
  } else if (type.includes('multipart/form-data')) {
    const form = await parseMultipart(type, raw);
    for (const [key, value] of form) args[key] = typeof value === 'string' ? value : Buffer.from(await value.arrayBuffer());
  } else {
    Object.assign(args, Object.fromEntries(new URLSearchParams(raw.toString('utf8'))));
  }
  return decodeNested(args);
}

/** Extracts file bytes from an upload POST (multipart from @slack/web-api, or a raw body). */
export async function uploadBytes(req: IncomingMessage, raw: Buffer): Promise<Buffer> {
  const type = req.headers['content-type'] ?? '';
  if (!type.includes('multipart/form-data')) return raw;
  const form = await parseMultipart(type, raw);
  for (const [, value] of form) if (typeof value !== 'string') return Buffer.from(await value.arrayBuffer());
  return raw;
}

/** The bearer token of the Authorization header, else the `token` argument. */
export function bearer(req: IncomingMessage, args: Args): string | undefined {
  const header = req.headers.authorization;
  const match = header ? /^Bearer\s+(.+)$/i.exec(header) : null;
  return match?.[1] ?? str(args.token);
}
