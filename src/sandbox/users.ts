/**
 * The people you can be in the sandbox: everyone the policy file names by user ID, plus three
 * defaults, each with the roles the policy gives them; and names for the policy's channels.
 */
import type { PolicyFile } from '../policy/policy-file.js';

export interface SandboxUser {
  id: string;
  name: string;
  roles: string[];
}

const DEFAULTS: Array<[string, string]> = [
  ['U0ALICE', 'Alice'],
  ['U0BOB', 'Bob'],
  ['U0CAROL', 'Carol'],
];

export function sandboxUsers(policy: PolicyFile | undefined): SandboxUser[] {
  const ids = new Map<string, string>(DEFAULTS);
  const named = [...(policy?.operators ?? []), ...Object.values(policy?.environments ?? {}).flatMap((e) => e.approvers ?? [])];
  for (const id of named) if (!id.startsWith('S') && !ids.has(id)) ids.set(id, prettyName(id));
  return [...ids].map(([id, name]) => ({ id, name, roles: roles(id, policy) }));
}

function roles(id: string, policy: PolicyFile | undefined): string[] {
  const out: string[] = [];
  // Without operators listed, everyone is one.
  if (!policy?.operators || policy.operators.includes(id)) out.push('operator');
  for (const [env, e] of Object.entries(policy?.environments ?? {})) if (e.approvers?.includes(id)) out.push(`approver for ${env}`);
  return out;
}

/** U0DAVE -> Dave */
function prettyName(id: string): string {
  const letters = id.replace(/^[UW]0?/, '').toLowerCase();
  return letters.charAt(0).toUpperCase() + letters.slice(1);
}

/**
 * Names for the channels the policy sends cards to, which it gives by ID only: each is named
 * after its environment(s), so the page says "in #production" rather than "in #C0PROD".
 */
export function sandboxChannels(policy: PolicyFile | undefined): Record<string, string> {
  const names: Record<string, string[]> = {};
  for (const [env, e] of Object.entries(policy?.environments ?? {})) {
    if (e.channel) (names[e.channel] ??= []).push(env.replace(/\*/g, 'x'));
  }
  return Object.fromEntries(Object.entries(names).map(([id, envs]) => [id, envs.join('-')]));
}
