/**
 * Link templates: per environment, the policy file may say where a component's logs, the
 * environment's dashboard and a workload's page are, as URL templates with placeholders
 * (`https://logs.example.com/{env}/{component}`). Cards show them as link buttons, failure
 * replies as links. Pure: expansion and the check the policy loader applies.
 */

/** What a link points at, in the order cards show them. `workload`: the release object's page (seed 004 links it). */
export const LINK_KINDS = ['logs', 'dashboard', 'workload'] as const;
export type LinkKind = (typeof LINK_KINDS)[number];
export type LinkTemplates = Partial<Record<LinkKind, string>>;

/** Button and link labels. */
export const LINK_LABELS: Record<LinkKind, string> = { logs: 'Logs', dashboard: 'Dashboard', workload: 'Workload' };

/**
 * What a template may name. `{component}` and `{workload}` are the same thing (a task's component
 * is a workload; a blue-green job's workload is its one component), so one template serves both
 * kinds. `{job}` is a blue-green job's name, `{task}` a release task's ID.
 */
export const LINK_PLACEHOLDERS = ['env', 'component', 'workload', 'job', 'task'] as const;
export type LinkPlaceholder = (typeof LINK_PLACEHOLDERS)[number];
export type LinkVars = Partial<Record<LinkPlaceholder, string>>;

const PLACEHOLDER = /\{([^{}]*)\}/g;
const SAMPLE: Record<LinkPlaceholder, string> = { env: 'prod', component: 'web', workload: 'web', job: 'web', task: 'rt-7k2f9q' };

/** The placeholders a template names, known or not, each once. */
export function placeholdersOf(template: string): string[] {
  return [...new Set([...template.matchAll(PLACEHOLDER)].map((m) => m[1]!))];
}

/**
 * The template with each placeholder replaced by its URL-encoded value; undefined when it names
 * one that `vars` has no value for here (a `{component}` link on a task of many components):
 * no link is better than a broken one.
 */
export function expandLink(template: string, vars: LinkVars): string | undefined {
  let missing = false;
  const url = template.replace(PLACEHOLDER, (_, name: string) => {
    const value = Object.hasOwn(vars, name) ? vars[name as LinkPlaceholder] : undefined;
    if (value === undefined) missing = true;
    return encodeURIComponent(value ?? '');
  });
  return missing ? undefined : url;
}

/**
 * What is wrong with a template, in words for the policy loader; undefined when it is good: it
 * names only known placeholders and, expanded, is an http(s) URL that mrkdwn can carry.
 */
export function linkTemplateProblem(template: string): string | undefined {
  const unknown = placeholdersOf(template).filter((p) => !(LINK_PLACEHOLDERS as readonly string[]).includes(p));
  const known = LINK_PLACEHOLDERS.map((p) => `{${p}}`).join(', ');
  if (unknown.length) return `placeholders among ${known} (not ${unknown.map((p) => `{${p}}`).join(', ')})`;
  // Slack links are <url|label>: these would end the link early.
  if (/[\s<>|]/.test(template)) return 'a URL without spaces, "<", ">" or "|"';
  let url: URL;
  try {
    url = new URL(expandLink(template, SAMPLE)!);
  } catch {
    return `an http:// or https:// URL template, e.g. "https://logs.example.com/{env}/{component}" (placeholders ${known})`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `an http:// or https:// URL (not ${url.protocol})`;
  return undefined;
}

/** Each link of `templates` that expands with `vars`, in LINK_KINDS order. */
export function expandLinks(templates: LinkTemplates | undefined, vars: LinkVars): { kind: LinkKind; url: string }[] {
  return LINK_KINDS.flatMap((kind) => {
    const t = templates?.[kind];
    const url = t === undefined ? undefined : expandLink(t, vars);
    return url ? [{ kind, url }] : [];
  });
}
