/**
 * The policy file (SWITCHYARD_CONFIG, YAML): who may operate, and per environment where cards go
 * (and which other channels hear when a release ends), who approves, how many approvals, freeze windows, webhooks and checks. Validated with zod; an error names the
 * key and what it expects. Without a file, everyone may do everything.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { unknownCheckVars } from '../domain/checks.js';
import { linkTemplateProblem } from '../domain/links.js';

const SlackRef = z
  .string()
  .regex(/^[UWS][A-Z0-9]{2,}$/, 'a Slack user ID (U… or W…) or user-group ID (S…)');

/** "start/end" in ISO 8601, e.g. 2026-12-24T00:00Z/2026-12-27T00:00Z. */
const FreezeWindow = z.string().superRefine((w, ctx) => {
  const [from, to, extra] = w.split('/');
  const start = Date.parse(from ?? '');
  const end = Date.parse(to ?? '');
  if (extra !== undefined || Number.isNaN(start) || Number.isNaN(end)) {
    ctx.addIssue({ code: 'custom', message: 'a window "start/end" in ISO 8601, e.g. "2026-12-24T00:00Z/2026-12-27T00:00Z"' });
  } else if (end <= start) {
    ctx.addIssue({ code: 'custom', message: 'a window whose end comes after its start' });
  }
});

/**
 * Where to POST when a task or job of the environment comes to rest, and the secret the body is
 * signed with (HMAC-SHA256; see the README). The secret stays in the file: it is read at delivery
 * and never stored in Redis or logged.
 */
const Webhook = z
  .object({
    url: z.url({ protocol: /^https?$/, error: 'an http:// or https:// URL' }),
    secret: z.string({ error: 'a secret of at least 16 characters' }).min(16, 'a secret of at least 16 characters'),
  })
  .strict();

const ChannelId = z.string().regex(/^[CG][A-Z0-9]{2,}$/, 'a Slack channel ID (C…)');

/** A link template (domain/links.ts): an http(s) URL with {env}, {component}, {workload}, {job} or {task} in it. */
const LinkTemplate = z.string({ error: 'a URL template in quotes' }).superRefine((t, ctx) => {
  const problem = linkTemplateProblem(t);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** Where cards and failure replies link to: a component's logs, the dashboard, a workload's page. */
const Links = z.object({ logs: LinkTemplate.optional(), dashboard: LinkTemplate.optional(), workload: LinkTemplate.optional() }).strict();

/** "30s", "5m", "500ms", "1h": a duration in ms. */
const DURATION_UNITS_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
/** "30s" in ms; NaN for what is not a duration (the regex says so). */
const durationMs = (v: string) => {
  const m = /^(\d+)(ms|s|m|h)$/.exec(v);
  return m ? Number(m[1]) * DURATION_UNITS_MS[m[2] as keyof typeof DURATION_UNITS_MS] : NaN;
};
/** A duration from `min` to `max` (checked on the text, so an error repeats what was written). */
const Duration = (min: string, max: string) =>
  z
    .string({ error: 'a duration such as 30s, 5m or 500ms' })
    .regex(/^\d+(ms|s|m|h)$/, 'a duration such as 30s, 5m or 500ms')
    .refine((v) => !(durationMs(v) < durationMs(min)) && !(durationMs(v) > durationMs(max)), `a duration from ${min} to ${max}`)
    .transform(durationMs);

/** A check's query or URL: its {placeholders} must be check variables. */
const CheckTemplate = z.string({ error: 'a string in quotes' }).superRefine((t, ctx) => {
  const unknown = unknownCheckVars(t);
  if (unknown.length) ctx.addIssue({ code: 'custom', message: `only {env}, {component}, {workload}, {slot} and {image} in it, not {${unknown.join('}, {')}}` });
});

/**
 * A check (README "Checks"): a Prometheus query judged against `below` and/or `above`, or an HTTP
 * GET that passes on 2xx; `for` how long it must hold, sampled every `interval`.
 */
const Check = z
  .object({
    name: z.string({ error: 'a check name such as error-rate' }).regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'a check name of letters, digits, ".", "_" and "-", e.g. error-rate'),
    prometheus: z.url({ protocol: /^https?$/, error: 'the Prometheus base URL, http:// or https://' }).optional(),
    query: CheckTemplate.optional(),
    below: z.number({ error: 'a number' }).optional(),
    above: z.number({ error: 'a number' }).optional(),
    http: CheckTemplate.optional(),
    for: Duration('0s', '24h').optional(),
    interval: Duration('100ms', '1h').optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (!!c.prometheus === !!c.http) {
      ctx.addIssue({ code: 'custom', path: ['name'], message: 'a check with one of prometheus (and query, below or above) or http' });
      return;
    }
    if (c.prometheus) {
      if (!c.query) ctx.addIssue({ code: 'custom', path: ['query'], message: 'a PromQL query returning one value (an instant vector)' });
      if (c.below === undefined && c.above === undefined) ctx.addIssue({ code: 'custom', path: ['below'], message: 'a threshold: below or above (or both)' });
    }
    if (c.http) {
      for (const key of ['query', 'below', 'above'] as const) {
        if (c[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: 'nothing on an http check (it passes on any 2xx answer)' });
      }
      let url: URL | undefined;
      try {
        url = new URL(c.http.replace(/\{[a-z]+\}/g, 'x'));
      } catch {
        url = undefined;
      }
      if (!url || !/^https?:$/.test(url.protocol)) ctx.addIssue({ code: 'custom', path: ['http'], message: 'an http:// or https:// URL' });
    }
  });

const Environment = z
  .object({
    channel: ChannelId.optional(),
    approvers: z.array(SlackRef).min(1, 'at least one approver (or leave approvers out)').optional(),
    approvals: z.number({ error: 'a whole number of at least 1' }).int('a whole number').min(1, 'a whole number of at least 1').optional(),
    distinctApprover: z.boolean({ error: 'true or false' }).optional(),
    freeze: z.array(FreezeWindow).optional(),
    /** Kubernetes: the namespace this environment maps to (default: the environment's name). */
    namespace: z.string().regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'a Kubernetes namespace name').optional(),
    /** Kubernetes: the kubeconfig context to use for this environment (default: the current one). */
    context: z.string().min(1).optional(),
    /** Kubernetes: how blue-green jobs run here (default native). */
    bluegreen: z.enum(['native', 'argo-rollouts'], { error: '"native" or "argo-rollouts"' }).optional(),
    /** Told of every task and job of this environment that comes to rest. */
    webhooks: z.array(Webhook).optional(),
    /** Channels besides the card's that get a one-line summary with a link to the card when a release ends. */
    notify: z.array(ChannelId).optional(),
    /** Link buttons on cards and links in failure replies (README "Links"). */
    links: Links.optional(),
    /** What a released component or blue-green version must pass (README "Checks"). */
    checks: z.array(Check).optional(),
    /** Blue-green: how long the old version is kept after Release while the checks watch the new one (default 0). */
    keepOldFor: Duration('0s', '24h').optional(),
  })
  .strict()
  .superRefine((e, ctx) => {
    (e.checks ?? []).forEach((c, i) => {
      const first = (e.checks ?? []).findIndex((o) => o.name === c.name);
      if (first < i) ctx.addIssue({ code: 'custom', path: ['checks', i, 'name'], message: `a name of its own (${c.name} is also check ${first})` });
    });
    if (e.approvals !== undefined && !e.approvers) {
      ctx.addIssue({ code: 'custom', path: ['approvals'], message: 'approvers to be listed too' });
    }
    const users = (e.approvers ?? []).filter((a) => !a.startsWith('S'));
    const onlyUsers = users.length === (e.approvers ?? []).length;
    if (e.approvals !== undefined && onlyUsers && e.approvals > users.length) {
      ctx.addIssue({ code: 'custom', path: ['approvals'], message: `at most ${users.length}, the number of approvers listed` });
    }
  });

/** What an API token may ask for: `create` and the task and blue-green actions (`approve` is never a token's). */
export const API_TOKEN_ACTIONS = ['create', 'start', 'suspend', 'resume', 'retry', 'rollback', 'update', 'release', 'terminate'] as const;
export type ApiTokenAction = (typeof API_TOKEN_ACTIONS)[number];

/** A token for the HTTP API: its name is the actor (`ci:<name>`); only its SHA-256 is written down. */
const ApiToken = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'a token name in lower case letters, digits, ".", "_" and "-", e.g. github-actions'),
    sha256: z.string().regex(/^[0-9a-f]{64}$/, 'the hex SHA-256 of the token (64 lower-case hex digits, e.g. from `printf %s "$TOKEN" | sha256sum`)'),
    environments: z.array(z.string().regex(/^[a-z0-9*]([a-z0-9*-]{0,61}[a-z0-9*])?$/, 'environment names or globs such as preview-*')).min(1, 'at least one environment'),
    actions: z.array(z.enum(API_TOKEN_ACTIONS, { error: `one of ${API_TOKEN_ACTIONS.join(', ')}` })).min(1, 'at least one action'),
    /** Requests per minute (default API_RATE_LIMIT). */
    rateLimit: z.number({ error: 'a whole number of requests per minute' }).int('a whole number').min(1, 'at least 1').optional(),
  })
  .strict();

const PolicyFileSchema = z
  .object({
    operators: z.array(SlackRef).optional(),
    apiTokens: z.array(ApiToken).optional(),
    environments: z
      .record(
        z.string().regex(/^[a-z0-9*]([a-z0-9*-]{0,61}[a-z0-9*])?$/, 'environment names in lower case letters, digits and "-", or a glob such as preview-*'),
        Environment,
      )
      .optional(),
  })
  .strict()
  .superRefine((f, ctx) => {
    const seen = new Map<string, number>();
    (f.apiTokens ?? []).forEach((t, i) => {
      if (seen.has(t.name)) ctx.addIssue({ code: 'custom', path: ['apiTokens', i, 'name'], message: `a name of its own (${t.name} is also token ${seen.get(t.name)})` });
      else seen.set(t.name, i);
      const same = (f.apiTokens ?? []).findIndex((o) => o.sha256 === t.sha256);
      if (same < i) ctx.addIssue({ code: 'custom', path: ['apiTokens', i, 'sha256'], message: `a token of its own (the same as token ${same})` });
    });
  });

export type ApiTokenPolicy = z.infer<typeof ApiToken>;
export type PolicyFile = z.infer<typeof PolicyFileSchema>;
export type EnvironmentPolicy = z.infer<typeof Environment>;
export type WebhookPolicy = z.infer<typeof Webhook>;
export type LinksPolicy = z.infer<typeof Links>;

export class PolicyError extends Error {}

/** Validate a parsed document; `source` names the file in errors. */
export function parsePolicy(doc: unknown, source: string): PolicyFile {
  const parsed = PolicyFileSchema.safeParse(doc ?? {}, { reportInput: true });
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((i) => {
    const key = i.path.length ? i.path.join('.') : '(top level)';
    // A webhook's secret is never repeated, not even a wrong one: this line goes to the logs.
    const secret = i.path.at(-1) === 'secret';
    const got = !secret && 'input' in i && i.input !== undefined && typeof i.input !== 'object' ? ` (got ${JSON.stringify(i.input)})` : '';
    // An environment's own lists: environments.<env>.<key>… (an environment may be called "checks").
    const within = i.path[0] === 'environments' ? i.path[2] : undefined;
    const expected = within === 'webhooks'
      ? 'url, secret'
      : within === 'checks'
      ? 'name, prometheus, query, below, above, http, for, interval'
      : within === 'links'
      ? 'logs, dashboard, workload'
      : i.path[0] === 'apiTokens'
        ? 'name, sha256, environments, actions, rateLimit'
        : 'operators, apiTokens, environments (and per environment channel, approvers, approvals, distinctApprover, freeze, namespace, context, bluegreen, webhooks, notify, links, checks, keepOldFor)';
    const message =
      i.code === 'invalid_key'
        ? `is not a valid environment name: expects ${(i.issues[0]?.message ?? 'a lower-case name')}`
        : i.code === 'unrecognized_keys'
        ? `unknown key${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `"${k}"`).join(', ')}: expected ${expected}`
        : i.code === 'invalid_type'
          ? `expects ${i.expected === 'array' ? 'a list' : i.expected === 'record' || i.expected === 'object' ? 'a mapping' : i.message}`
          : `expects ${i.message}`;
    return `${key} ${message}${got}`;
  });
  throw new PolicyError(`${source}: ${lines.join('; ')}`);
}

/**
 * What a valid policy file may still get wrong: configurations in which an approval can never
 * complete or nobody can act, and freeze windows that are over. Not errors (the bot runs, and a policy may be mid-change), but
 * each is logged at start as a warning naming the key, why, and how to fix it.
 */
export function policyWarnings(file: PolicyFile, now: Date): string[] {
  const warnings: string[] = [];
  if (file.operators && file.operators.length === 0) {
    warnings.push('operators is an empty list: nobody can create or run releases. List operators, or leave the key out to let everyone.');
  }
  // Operators listed without groups say exactly who can create and ask: an approver who is none
  // of them never creates or asks, so never stands in the way of their own approval.
  const operators = file.operators && !file.operators.some((o) => o.startsWith('S')) ? new Set(file.operators) : undefined;
  for (const [env, e] of Object.entries(file.environments ?? {})) {
    (e.freeze ?? []).forEach((w, i) => {
      if (Date.parse(w.split('/')[1]!) <= now.getTime()) {
        warnings.push(`environments.${env}.freeze[${i}] ended at ${w.split('/')[1]}: it no longer stops anything. Remove it, or fix its dates.`);
      }
    });
    if (!e.approvers) continue;
    const users = e.approvers.filter((a) => !a.startsWith('S'));
    const needed = e.approvals ?? 1;
    const groups = users.length < e.approvers.length;
    const asking = users.filter((u) => !operators || operators.has(u));
    if ((e.distinctApprover ?? true) && !groups && needed >= users.length && asking.length > 0) {
      warnings.push(
        `environments.${env}.approvals: ${needed} of ${users.length} listed approver${users.length === 1 ? '' : 's'} with distinctApprover on, ` +
          `so a task or job that ${asking.join(', ')} created or asked for can never be approved (they may not approve their own). ` +
          'List more approvers or a user group, lower approvals, or set distinctApprover: false.',
      );
    }
  }
  return warnings;
}

/** Read and validate the policy file at `path`. */
export function loadPolicyFile(path: string): PolicyFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new PolicyError(`SWITCHYARD_CONFIG ${path} cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new PolicyError(`SWITCHYARD_CONFIG ${path} is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  return parsePolicy(doc, `SWITCHYARD_CONFIG ${path}`);
}
