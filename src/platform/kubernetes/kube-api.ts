/**
 * The Kubernetes API as the adapter uses it: one set of typed clients per kubeconfig context
 * (cached), where an environment lives (namespace, context, blue-green engine, from the policy),
 * and the few error shapes it tells apart (404, 409, 403 quota).
 */
import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import type { Policy } from '../../policy/policy.js';

export interface KubeApis {
  apps: AppsV1Api;
  core: CoreV1Api;
  custom: CustomObjectsApi;
}

/** Where an environment's objects live. */
export interface EnvTarget {
  env: string;
  namespace: string;
  context: string;
  bluegreen: 'native' | 'argo-rollouts';
  api: KubeApis;
}

/** Labels and annotations Switchyard owns. */
export const LABEL = {
  name: 'app.kubernetes.io/name',
  managedBy: 'app.kubernetes.io/managed-by',
  slot: 'switchyard.io/slot',
} as const;
export const ANNOTATION = {
  opId: 'switchyard.io/op-id',
  /** What the op did (deploy, upgrade, clone, slot): a failed deploy leaves a takeover-able husk. */
  op: 'switchyard.io/op',
  previousImage: 'switchyard.io/previous-image',
  /** Set, in the same write that undid it, when the op recorded in op-id failed. */
  opError: 'switchyard.io/op-error',
} as const;
export const MANAGER = 'switchyard';

/** Content types for PATCH: client-node 1.x defaults to JSON Patch; the header middleware overrides it. */
export const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export class KubeClients {
  private readonly cache = new Map<string, KubeApis>();

  constructor(
    private readonly kc: KubeConfig,
    private readonly policy: Policy,
  ) {}

  target(env: string): EnvTarget {
    const p = this.policy.env(env);
    const context = p.context ?? this.kc.getCurrentContext();
    return { env, namespace: p.namespace ?? env, context, bluegreen: p.bluegreen ?? 'native', api: this.apis(context) };
  }

  private apis(context: string): KubeApis {
    let apis = this.cache.get(context);
    if (apis) return apis;
    if (!this.kc.getContextObject(context)) throw new Error(`the kubeconfig has no context "${context}"`);
    // A KubeConfig per context: the clients read the current context when they are made.
    const kc = new KubeConfig();
    kc.loadFromOptions({ clusters: this.kc.clusters, users: this.kc.users, contexts: this.kc.contexts, currentContext: context });
    apis = { apps: kc.makeApiClient(AppsV1Api), core: kc.makeApiClient(CoreV1Api), custom: kc.makeApiClient(CustomObjectsApi) };
    this.cache.set(context, apis);
    return apis;
  }
}

interface StatusBody {
  message?: string;
  reason?: string;
}

export function statusCode(err: unknown): number | undefined {
  return err instanceof ApiException ? err.code : undefined;
}

/** The Status object an API error carries (the body arrives as text in client-node 1.x). */
export function statusBody(err: unknown): StatusBody {
  if (!(err instanceof ApiException)) return {};
  const body: unknown = err.body;
  if (body && typeof body === 'object') return body as StatusBody;
  try {
    return JSON.parse(String(body ?? '')) as StatusBody;
  } catch {
    return { message: typeof body === 'string' && body ? body.slice(0, 300) : err.message.split('\n')[0] };
  }
}

export const isNotFound = (err: unknown) => statusCode(err) === 404;
export const isConflict = (err: unknown) => statusCode(err) === 409;

/** Read an object, or undefined when it does not exist. */
export async function readOrUndefined<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/**
 * Run a read–modify–write, again on 409 Conflict (someone wrote in between; our resourceVersion
 * is stale) with a short doubling backoff. The callback re-reads, so it decides on fresh state.
 */
export async function retryOnConflict<T>(sleep: (ms: number) => Promise<void>, attempt: () => Promise<T>, tries = 5): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (err) {
      if (!isConflict(err) || statusBody(err).reason === 'AlreadyExists' || i >= tries) throw err;
      await sleep(50 * 2 ** (i - 1));
    }
  }
}

/**
 * A write Kubernetes refused, in plain words for the Slack thread; undefined for errors that are
 * not the request's fault (server down, 5xx), which the caller rethrows.
 */
export function refusal(err: unknown, t: EnvTarget): string | undefined {
  const code = statusCode(err);
  const { message = '', reason } = statusBody(err);
  if (code === 403 && /exceeded quota/i.test(message)) return `${t.env} quota exceeded: ${message}`;
  if (code === 403) return `switchyard may not do this in namespace ${t.namespace} (Forbidden: ${message})`;
  if (code === 404 && /namespaces? "?[^"]*"? not found/i.test(message)) {
    return `namespace ${t.namespace} (environment ${t.env}) does not exist`;
  }
  if (code === 422 || code === 400) return `Kubernetes rejected the change (${reason ?? 'Invalid'}: ${message})`;
  return undefined;
}

/** An error to throw for anything `refusal` does not cover, without client-node's header dump. */
export function apiError(err: unknown, what: string): Error {
  if (!(err instanceof ApiException)) return err as Error;
  const { message, reason } = statusBody(err);
  return new Error(`Kubernetes API ${what}: HTTP ${err.code}${reason ? ` ${reason}` : ''}${message ? `: ${message}` : ''}`);
}
