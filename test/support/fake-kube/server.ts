/**
 * The HTTP face of the fake: Kubernetes REST paths to store verbs, JSON in and out, `Status`
 * objects for errors, and a record of every request.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { KubeError, badRequest, failure, methodNotAllowed, pathNotFound } from './errors.js';
import { type DeleteOptions, type FakeStore, PATCH_TYPES } from './store.js';
import { KINDS, type KindInfo, apiVersionOf, isPlainObject } from './types.js';

export interface RecordedRequest {
  method: string;
  /** The URL path, without the query string. */
  path: string;
  query: Record<string, string>;
  /** The Content-Type header without parameters (PATCH flavours are told apart by it). */
  contentType: string | undefined;
  /** Parsed JSON (or YAML for apply patches); the raw text when it parses as neither; undefined when empty. */
  body: unknown;
}

export interface InjectedError {
  remaining: number;
  code: number;
  reason: string;
  message: string;
  method?: string;
  path?: string | RegExp;
}

export interface HandlerContext {
  store: FakeStore;
  requests: RecordedRequest[];
  injected: InjectedError[];
  token?: string;
}

function send(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-cache, private' });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function recordBody(raw: string, contentType: string | undefined): unknown {
  if (!raw) return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    if (contentType === PATCH_TYPES.apply) {
      try {
        return parseYaml(raw);
      } catch {
        /* fall through */
      }
    }
    return raw;
  }
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch (err) {
    throw badRequest(`error decoding request body: ${(err as Error).message}`);
  }
}

const findKind = (group: string, version: string, plural: string): KindInfo | undefined =>
  KINDS.find((k) => k.group === group && k.version === version && k.plural === plural);

function discovery(group: string, version: string): unknown {
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: group ? `${group}/${version}` : version,
    resources: KINDS.filter((k) => k.group === group && k.version === version).flatMap((k) => {
      const verbs = k.readOnly ? ['get', 'list'] : ['create', 'delete', 'get', 'list', 'patch', 'update'];
      const main = { name: k.plural, singularName: k.kind.toLowerCase(), namespaced: k.namespaced, kind: k.kind, verbs };
      return k.statusSubresource ? [main, { name: `${k.plural}/status`, singularName: '', namespaced: k.namespaced, kind: k.kind, verbs: ['get', 'patch', 'update'] }] : [main];
    }),
  };
}

/** Answer one request (never throws: errors become Status responses). */
export async function handle(ctx: HandlerContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://fake');
  const method = (req.method ?? 'GET').toUpperCase();
  const query = Object.fromEntries(url.searchParams.entries());
  const contentType = req.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
  let raw = '';
  try {
    raw = await readBody(req);
  } catch {
    /* a broken upload is answered below as an empty body */
  }
  ctx.requests.push({ method, path: url.pathname, query, contentType, body: recordBody(raw, contentType) });
  try {
    if (ctx.token !== undefined && req.headers.authorization !== `Bearer ${ctx.token}`) {
      throw failure(401, 'Unauthorized', 'Unauthorized');
    }
    const injected = ctx.injected.find(
      (e) => e.remaining > 0 && (!e.method || e.method.toUpperCase() === method)
        && (!e.path || (typeof e.path === 'string' ? url.pathname.includes(e.path) : e.path.test(url.pathname))),
    );
    if (injected) {
      injected.remaining--;
      throw failure(injected.code, injected.reason, injected.message);
    }
    const { code, body } = route(ctx.store, method, url.pathname, query, contentType, raw);
    send(res, code, body);
  } catch (err) {
    if (err instanceof KubeError) send(res, err.code, err.status);
    else send(res, 500, failure(500, 'InternalError', `fake-kube: ${(err as Error)?.stack ?? String(err)}`).status);
  }
}

function route(
  store: FakeStore, method: string, pathname: string, query: Record<string, string>, contentType: string | undefined, raw: string,
): { code: number; body: unknown } {
  const seg = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  if (method === 'GET') {
    if (['healthz', 'livez', 'readyz'].includes(seg[0] ?? '') && seg.length === 1) return { code: 200, body: 'ok' };
    if (seg.length === 1 && seg[0] === 'version') {
      return { code: 200, body: { major: '1', minor: '31', gitVersion: 'v1.31.0-fake', platform: 'linux/amd64' } };
    }
    if (seg.length === 1 && seg[0] === 'api') return { code: 200, body: { kind: 'APIVersions', versions: ['v1'] } };
    if (seg.length === 1 && seg[0] === 'apis') {
      const groups = [...new Set(KINDS.filter((k) => k.group).map((k) => `${k.group}/${k.version}`))].map((gv) => {
        const [name, version] = gv.split('/') as [string, string];
        return { name, versions: [{ groupVersion: gv, version }], preferredVersion: { groupVersion: gv, version } };
      });
      return { code: 200, body: { kind: 'APIGroupList', apiVersion: 'v1', groups } };
    }
    if (seg.length === 2 && seg[0] === 'api') return { code: 200, body: discovery('', seg[1]!) };
    if (seg.length === 3 && seg[0] === 'apis') return { code: 200, body: discovery(seg[1]!, seg[2]!) };
  }

  let group: string;
  let version: string;
  let rest: string[];
  if (seg[0] === 'api' && seg.length >= 3) [group, version, rest] = ['', seg[1]!, seg.slice(2)];
  else if (seg[0] === 'apis' && seg.length >= 4) [group, version, rest] = [seg[1]!, seg[2]!, seg.slice(3)];
  else throw pathNotFound();

  if (query.watch === 'true' || query.watch === '1') {
    throw methodNotAllowed('the fake Kubernetes API server does not support watch; poll with list/get instead');
  }

  // /api/v1/namespaces[/{name}] — the Namespace resource itself.
  if (group === '' && rest[0] === 'namespaces' && rest.length <= 3 && (rest.length < 3 || rest[2] === 'status')) {
    const info = findKind('', version, 'namespaces');
    if (!info) throw pathNotFound();
    return verb(store, info, undefined, rest[1], rest[2] === 'status', method, query, contentType, raw);
  }
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    const info = findKind(group, version, rest[2]!);
    if (!info || !info.namespaced) throw pathNotFound();
    if (rest.length > 5 || (rest.length === 5 && rest[4] !== 'status')) throw pathNotFound();
    return verb(store, info, rest[1]!, rest[3], rest.length === 5, method, query, contentType, raw);
  }
  // /apis/apps/v1/deployments: across all namespaces (list only).
  if (rest.length === 1) {
    const info = findKind(group, version, rest[0]!);
    if (!info) throw pathNotFound();
    if (method !== 'GET') throw methodNotAllowed(`${method} is not supported on ${pathname}`);
    return { code: 200, body: store.list(info, undefined, { labelSelector: query.labelSelector, fieldSelector: query.fieldSelector }) };
  }
  throw pathNotFound();
}

function verb(
  store: FakeStore, info: KindInfo, ns: string | undefined, name: string | undefined, status: boolean,
  method: string, query: Record<string, string>, contentType: string | undefined, raw: string,
): { code: number; body: unknown } {
  const dryRun = query.dryRun === 'All';
  const opts = { dryRun, fieldManager: query.fieldManager, ...(status ? { subresource: 'status' as const } : {}) };
  if (name === undefined) {
    if (method === 'GET') return { code: 200, body: store.list(info, ns, { labelSelector: query.labelSelector, fieldSelector: query.fieldSelector }) };
    if (method === 'POST') return { code: 201, body: store.create(info, ns, parseJson(raw), opts) };
    throw methodNotAllowed(`${method} is not supported on a collection of ${info.plural} by the fake API server`);
  }
  switch (method) {
    case 'GET':
      return { code: 200, body: store.get(info, ns, name) };
    case 'PUT':
      return { code: 200, body: store.replace(info, ns, name, parseJson(raw), opts) };
    case 'PATCH': {
      const { object, created } = store.patch(info, ns, name, contentType ?? '', raw, opts);
      return { code: created ? 201 : 200, body: object };
    }
    case 'DELETE': {
      if (status) throw methodNotAllowed('DELETE is not supported on a status subresource');
      const body = raw ? parseJson(raw) : {};
      const o = isPlainObject(body) ? body : {};
      const del: DeleteOptions = {
        dryRun: dryRun || (Array.isArray(o.dryRun) && o.dryRun.includes('All')),
        propagationPolicy: query.propagationPolicy ?? o.propagationPolicy,
        preconditions: isPlainObject(o.preconditions) ? o.preconditions : undefined,
      };
      return { code: 200, body: store.delete(info, ns, name, del) };
    }
    default:
      throw methodNotAllowed(`${method} is not supported by the fake API server (${apiVersionOf(info)} ${info.plural})`);
  }
}
