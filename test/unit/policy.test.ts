import { describe, expect, it } from 'vitest';
import { parsePolicy, policyWarnings } from '../../src/policy/policy-file.js';
import { Policy } from '../../src/policy/policy.js';
import { PolicyFactory } from '../support/factories.js';

const err = (doc: unknown) => {
  try {
    parsePolicy(doc, 'policy.yaml');
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected a PolicyError');
};

describe('policy file', () => {
  it('accepts the documented example', () => {
    const doc = PolicyFactory.create();
    expect(parsePolicy(doc, 'p')).toEqual(doc);
    expect(parsePolicy(null, 'p')).toEqual({});
  });

  it.each([
    [{ operator: [] }, 'policy.yaml: (top level) unknown key "operator"'],
    [{ operators: 'U0BOB' }, 'operators expects a list (got "U0BOB")'],
    [{ operators: ['bob'] }, 'operators.0 expects a Slack user ID (U… or W…) or user-group ID (S…) (got "bob")'],
    [{ environments: { production: { approvals: 'two', approvers: ['U1AA'] } } }, 'environments.production.approvals expects a whole number of at least 1 (got "two")'],
    [{ environments: { production: { approvals: 0, approvers: ['U1AA'] } } }, 'environments.production.approvals expects a whole number of at least 1'],
    [{ environments: { production: { approvals: 3, approvers: ['U1AA', 'U2BB'] } } }, 'environments.production.approvals expects at most 2, the number of approvers listed'],
    [{ environments: { production: { approvals: 1 } } }, 'environments.production.approvals expects approvers to be listed too'],
    [{ environments: { production: { freeze: ['tomorrow'] } } }, 'environments.production.freeze.0 expects a window "start/end" in ISO 8601'],
    [{ environments: { production: { freeze: ['2026-12-27T00:00Z/2026-12-24T00:00Z'] } } }, 'expects a window whose end comes after its start'],
    [{ environments: { production: { channel: '#prod' } } }, 'environments.production.channel expects a Slack channel ID (C…) (got "#prod")'],
    [{ environments: { production: { distinctApprover: 'yes' } } }, 'environments.production.distinctApprover expects true or false (got "yes")'],
    [{ environments: { production: { approver: ['U1AA'] } } }, 'environments.production unknown key "approver"'],
    [{ environments: { Production: {} } }, 'environments.Production is not a valid environment name'],
    [{ environments: { p: { webhooks: { url: 'https://x.example' } } } }, 'environments.p.webhooks expects a list'],
    [{ environments: { p: { webhooks: [{ url: 'ftp://x.example/h', secret: 'a-long-enough-secret' }] } } }, 'environments.p.webhooks.0.url expects an http:// or https:// URL (got "ftp://x.example/h")'],
    [{ environments: { p: { webhooks: [{ url: 'not a url', secret: 'a-long-enough-secret' }] } } }, 'environments.p.webhooks.0.url expects an http:// or https:// URL'],
    [{ environments: { p: { webhooks: [{ secret: 'a-long-enough-secret' }] } } }, 'environments.p.webhooks.0.url expects an http:// or https:// URL'],
    [{ environments: { p: { webhooks: [{ url: 'https://x.example/h' }] } } }, 'environments.p.webhooks.0.secret expects a secret of at least 16 characters'],
    [{ environments: { p: { webhooks: [{ url: 'https://x.example/h', secret: 'short' }] } } }, 'environments.p.webhooks.0.secret expects a secret of at least 16 characters'],
    [{ environments: { p: { webhooks: [{ url: 'https://x.example/h', secret: 'a-long-enough-secret', headers: {} }] } } }, 'environments.p.webhooks.0 unknown key "headers": expected url, secret'],
    [{ environments: { p: { webhook: [] } } }, 'environments.p unknown key "webhook": expected operators, apiTokens, environments (and per environment channel, approvers, approvals, distinctApprover, freeze, namespace, context, bluegreen, webhooks, notify, links, checks, keepOldFor)'],
    [{ environments: { p: { notify: ['#announce'] } } }, 'environments.p.notify.0 expects a Slack channel ID (C…) (got "#announce")'],
    [{ environments: { p: { notify: 'C0ANNOUNCE' } } }, 'environments.p.notify expects a list (got "C0ANNOUNCE")'],
    [{ environments: { p: { links: { logs: 'logs.example.com/{env}' } } } }, 'environments.p.links.logs expects an http:// or https:// URL template, e.g. "https://logs.example.com/{env}/{component}"'],
    [{ environments: { p: { links: { dashboard: 'ftp://x.example/{env}' } } } }, 'environments.p.links.dashboard expects an http:// or https:// URL (not ftp:)'],
    [{ environments: { p: { links: { logs: 'https://x.example/{service}' } } } }, 'environments.p.links.logs expects placeholders among {env}, {component}, {workload}, {job}, {task} (not {service})'],
    [{ environments: { p: { links: { logs: 'https://x.example/a b' } } } }, 'environments.p.links.logs expects a URL without spaces, "<", ">" or "|"'],
    [{ environments: { p: { links: { logs: 42 } } } }, 'environments.p.links.logs expects a URL template in quotes'],
    [{ environments: { p: { links: { metrics: 'https://x.example' } } } }, 'environments.p.links unknown key "metrics": expected logs, dashboard, workload'],
  ])('names the key and what it expects: %j', (doc, message) => {
    expect(err(doc)).toContain(message);
  });

  it('never repeats a webhook secret, not even a wrong one', () => {
    const message = err({ environments: { p: { webhooks: [{ url: 'https://x.example/h', secret: 'tooshort' }, { url: 'https://y.example/h', secret: 42 }] } } });
    expect(message).toContain('webhooks.1.secret expects a secret of at least 16 characters');
    expect(message).not.toContain('tooshort');
    expect(message).not.toContain('42');
  });

  it('accepts webhooks and gives them per environment, globs included', () => {
    const hook = { url: 'https://hooks.example/switchyard', secret: 'a-long-enough-secret' };
    const policy = new Policy(parsePolicy({ environments: { production: { webhooks: [hook] }, 'preview-*': { webhooks: [hook, { ...hook, url: 'http://10.0.0.1:8080/h' }] }, staging: {} } }, 'p'));
    expect(policy.webhooks('production')).toEqual([hook]);
    expect(policy.webhooks('preview-42')).toHaveLength(2);
    expect(policy.webhooks('staging')).toEqual([]);
    expect(new Policy().webhooks('production')).toEqual([]);
  });

  it('gives the notify channels per environment, none by default', () => {
    const policy = new Policy(parsePolicy({ environments: { production: { notify: ['C0ANNOUNCE', 'G0SRE'] }, staging: {} } }, 'p'));
    expect(policy.notify('production')).toEqual(['C0ANNOUNCE', 'G0SRE']);
    expect(policy.notify('staging')).toEqual([]);
    expect(new Policy().notify('production')).toEqual([]);
  });

  it('accepts link templates and gives them per environment', () => {
    const links = { logs: 'https://logs.example.com/{env}/{component}', dashboard: 'http://grafana:3000/d/{env}?task={task}&job={job}', workload: 'https://{env}.console.example.com/w/{workload}' };
    const policy = new Policy(parsePolicy({ environments: { production: { links } } }, 'p'));
    expect(policy.links('production')).toEqual(links);
    expect(policy.links('staging')).toEqual({});
  });

  it('reports every problem at once', () => {
    expect(err({ operators: 'x', environments: { p: { approvals: 'two' } } }).split('; ').length).toBeGreaterThanOrEqual(2);
  });
});

describe('policy decisions', () => {
  const policy = new Policy({
    environments: {
      production: { approvers: ['U0ALICE'], freeze: ['2026-12-24T00:00Z/2026-12-27T00:00Z'] },
      staging: { channel: 'C0STAGING', approvers: ['U0ALICE'], approvals: 1, distinctApprover: false },
    },
  });

  it('gates start, retry and rollback of tasks and release, terminate and rollback of jobs, where approvers are set', () => {
    expect(['start', 'retry', 'rollback', 'suspend', 'resume', 'delete'].map((a) => policy.approvalsNeeded('task', a, 'production'))).toEqual([1, 1, 1, 0, 0, 0]);
    expect(['update', 'release', 'terminate', 'rollback'].map((a) => policy.approvalsNeeded('bluegreen', a, 'production'))).toEqual([0, 1, 1, 1]);
    expect(policy.approvalsNeeded('task', 'start', 'dev')).toBe(0);
  });

  it('finds the freeze window in force for releases only', () => {
    const inside = new Date('2026-12-25T12:00Z');
    expect(policy.freezeAt('task', 'start', 'production', inside)).toBe('2026-12-24T00:00Z/2026-12-27T00:00Z');
    expect(policy.freezeAt('task', 'suspend', 'production', inside)).toBeUndefined();
    expect(policy.freezeAt('bluegreen', 'terminate', 'production', inside)).toBeUndefined();
    expect(policy.freezeAt('bluegreen', 'update', 'production', inside)).toBeDefined();
    expect(policy.freezeAt('task', 'start', 'production', new Date('2026-12-27T00:00Z'))).toBeUndefined();
    expect(policy.freezeAt('task', 'start', 'production', new Date('2026-12-24T00:00Z'))).toBeDefined();
  });

  it('defaults: distinct approvers on, cards in the command channel, everyone an operator', () => {
    expect(policy.distinctApprover('production')).toBe(true);
    expect(policy.distinctApprover('staging')).toBe(false);
    expect(policy.channel('staging')).toBe('C0STAGING');
    expect(policy.channel('production')).toBeUndefined();
    expect(policy.operators).toBeUndefined();
    expect(new Policy().configured).toBe(false);
  });
});

describe('policyWarnings', () => {
  const NOW = new Date('2026-12-01T00:00Z');
  const warn = (doc: unknown) => policyWarnings(parsePolicy(doc, 'policy.yaml'), NOW);

  it('says nothing about a policy that works', () => {
    expect(warn({ operators: ['U0ALICE'], environments: { production: { approvers: ['U0CAROL', 'S0RELMGRS'], approvals: 2 }, staging: {} } })).toEqual([]);
    expect(warn({})).toEqual([]);
  });

  it('approvals that can never complete: as many as the approvers listed, no group, distinct approvers, and one of them may ask', () => {
    expect(warn({ environments: { production: { approvers: ['U0CAROL', 'U0DAVE'], approvals: 2 } } })).toEqual([
      'environments.production.approvals: 2 of 2 listed approvers with distinctApprover on, so a task or job that U0CAROL, U0DAVE created or asked for ' +
        'can never be approved (they may not approve their own). List more approvers or a user group, lower approvals, or set distinctApprover: false.',
    ]);
    // One approver, the default one approval: their own request cannot complete.
    expect(warn({ operators: ['U0CAROL'], environments: { production: { approvers: ['U0CAROL'] } } })[0]).toMatch(/^environments\.production\.approvals: 1 of 1 listed approver with/);
  });

  it('not when a group may approve, approvers may approve their own, or no approver can ask (not an operator)', () => {
    expect(warn({ environments: { production: { approvers: ['U0CAROL', 'S0RELMGRS'], approvals: 1 } } })).toEqual([]);
    expect(warn({ environments: { production: { approvers: ['U0CAROL'], distinctApprover: false } } })).toEqual([]);
    expect(warn({ operators: ['U0ALICE'], environments: { production: { approvers: ['U0CAROL', 'U0DAVE'], approvals: 2 } } })).toEqual([]);
    // An operators group may hold the approvers: the warning stands.
    expect(warn({ operators: ['S0ENGINEERS'], environments: { production: { approvers: ['U0CAROL'] } } })).toHaveLength(1);
  });

  it('an empty operators list, and freeze windows that are over', () => {
    expect(warn({ operators: [] })).toEqual([
      'operators is an empty list: nobody can create or run releases. List operators, or leave the key out to let everyone.',
    ]);
    expect(warn({ environments: { qa: { freeze: ['2026-11-01T00:00Z/2026-11-02T00:00Z', '2026-12-24T00:00Z/2026-12-27T00:00Z'] } } })).toEqual([
      'environments.qa.freeze[0] ended at 2026-11-02T00:00Z: it no longer stops anything. Remove it, or fix its dates.',
    ]);
  });
});
