/**
 * The HTTP face of the fake: Kubernetes REST paths to store verbs, JSON in and out, `Status`
 * objects for errors, and a record of every request.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { KubeError, badRequest, failure, methodNotAllowed, pathNotFound } from './errors.js';
import { ADMIN, type Authorizer, type RequestAttributes, type UserInfo, forbiddenFor } from './rbac.js';
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
  /** The HTTP status of the answer (set once answered). */
  status?: number;
  /** Who asked (the authenticated user's name). */
  user?: string;
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
  /** Who a bearer token is; undefined: no authentication (everyone is an administrator). */
  authenticate?: (token: string | undefined) => UserInfo | undefined;
  /** RBAC; undefined: everything is allowed. */
  authorizer?: Authorizer;
  /** Every request RBAC refused (never cleared by the tests' `requests.length = 0`). */
  forbidden?: RecordedRequest[];
  /** A client wrote an object (the controllers react to it). */
  onWrite?: (info: KindInfo, namespace: string | undefined, name: string) => void;
  /** A client's read was answered (the controllers' pending reactions land now). */
  afterRead?: () => void;
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

/** What a path asks for, as kube-apiserver's request-info resolver sees it (plus the kind it names). */
interface ParsedRequest {
  attrs: RequestAttributes;
  /** Resource requests: the kind, the namespace ('' for cluster scope) and the object's name (undefined for a collection). */
  info?: KindInfo;
  namespace?: string;
  name?: string;
  status?: boolean;
  /** /api/v1/deployments style: across all namespaces. */
  allNamespaces?: boolean;
}

function parseRequest(method: string, pathname: string, query: Record<string, string>): ParsedRequest {
  const seg = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  const nonResource: ParsedRequest = {
    attrs: { resourceRequest: false, verb: method.toLowerCase(), path: pathname, group: '', resource: '', subresource: '', namespace: '', name: '' },
  };
  let group: string;
  let version: string;
  let rest: string[];
  if (seg[0] === 'api' && seg.length >= 3) [group, version, rest] = ['', seg[1]!, seg.slice(2)];
  else if (seg[0] === 'apis' && seg.length >= 4) [group, version, rest] = [seg[1]!, seg[2]!, seg.slice(3)];
  else return nonResource;

  let namespace = '';
  let parts = rest;
  if (parts[0] === 'namespaces' && parts.length > 1) {
    namespace = parts[1]!;
    // /namespaces/{ns}/status and /finalize are the Namespace's own subresources.
    if (parts.length > 2 && parts[2] !== 'status' && parts[2] !== 'finalize') parts = parts.slice(2);
  }
  const [resource = '', name = '', subresource = '', ...more] = parts;
  const collection = !name;
  const watch = query.watch === 'true' || query.watch === '1';
  const verb =
    method === 'GET' ? (watch ? 'watch' : collection ? 'list' : 'get')
      : method === 'POST' ? 'create'
        : method === 'PUT' ? 'update'
          : method === 'PATCH' ? 'patch'
            : method === 'DELETE' ? (collection ? 'deletecollection' : 'delete')
              : method.toLowerCase();
  const attrs: RequestAttributes = { resourceRequest: true, verb, path: pathname, group, resource, subresource, namespace, name };
  if (more.length) return { attrs };
  const info = KINDS.find((k) => k.group === group && k.version === version && k.plural === resource);
  if (!info) return { attrs };
  if (info.kind === 'Namespace') {
    // /api/v1/namespaces[/{name}[/status]]
    if (subresource && subresource !== 'status') return { attrs };
    return { attrs, info, ...(name ? { name } : {}), status: subresource === 'status' };
  }
  if (!info.namespaced || (subresource && subresource !== 'status')) return { attrs };
  if (!namespace) return collection ? { attrs, info, allNamespaces: true } : { attrs };
  return { attrs, info, namespace, ...(name ? { name } : {}), status: subresource === 'status' };
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
  const recorded: RecordedRequest = { method, path: url.pathname, query, contentType, body: recordBody(raw, contentType) };
  ctx.requests.push(recorded);
  const answer = (code: number, body: unknown) => {
    recorded.status = code;
    send(res, code, body);
  };
  const parsed = parseRequest(method, url.pathname, query);
  try {
    const bearer = req.headers.authorization?.match(/^Bearer (.+)$/)?.[1];
    const user = ctx.authenticate ? ctx.authenticate(bearer) : ADMIN;
    if (!user) throw failure(401, 'Unauthorized', 'Unauthorized');
    recorded.user = user.name;
    if (ctx.authorizer && !ctx.authorizer.allows(user, parsed.attrs)) {
      ctx.forbidden?.push(recorded);
      throw forbiddenFor(user, parsed.attrs);
    }
    const injected = ctx.injected.find(
      (e) => e.remaining > 0 && (!e.method || e.method.toUpperCase() === method)
        && (!e.path || (typeof e.path === 'string' ? url.pathname.includes(e.path) : e.path.test(url.pathname))),
    );
    if (injected) {
      injected.remaining--;
      throw failure(injected.code, injected.reason, injected.message);
    }
    const { code, body } = route(ctx.store, method, url.pathname, parsed, query, contentType, raw);
    answer(code, body);
    if (method !== 'GET' && parsed.info && code < 300) {
      const name = parsed.name ?? (isPlainObject(body) && isPlainObject(body.metadata) ? body.metadata.name as string | undefined : undefined);
      if (name) ctx.onWrite?.(parsed.info, parsed.namespace, name);
    }
  } catch (err) {
    if (err instanceof KubeError) answer(err.code, err.status);
    else answer(500, failure(500, 'InternalError', `fake-kube: ${(err as Error)?.stack ?? String(err)}`).status);
  }
  if (method === 'GET') ctx.afterRead?.();
}

function route(
  store: FakeStore, method: string, pathname: string, p: ParsedRequest, query: Record<string, string>, contentType: string | undefined, raw: string,
): { code: number; body: unknown } {
  const seg = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  if (!p.attrs.resourceRequest) {
    if (method !== 'GET') throw pathNotFound();
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
    throw pathNotFound();
  }
  if (!p.info) throw pathNotFound();
  if (p.attrs.verb === 'watch') {
    throw methodNotAllowed('the fake Kubernetes API server does not support watch; poll with list/get instead');
  }
  if (p.allNamespaces) {
    // /apis/apps/v1/deployments: across all namespaces (list only).
    if (method !== 'GET') throw methodNotAllowed(`${method} is not supported on ${pathname}`);
    return { code: 200, body: store.list(p.info, undefined, { labelSelector: query.labelSelector, fieldSelector: query.fieldSelector }) };
  }
  const ns = p.info.kind === 'Namespace' ? undefined : p.namespace;
  return verb(store, p.info, ns, p.name, p.status ?? false, method, query, contentType, raw);
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
