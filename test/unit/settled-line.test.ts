/** The one line a notify channel gets when a task or job comes to rest. */
import { describe, expect, it } from 'vitest';
import { settledLine } from '../../src/slack/blocks/settled-line.js';

const LINK = 'https://example.slack.com/archives/C0PROD/p1700000000000100';

describe('settledLine', () => {
  it('credits who released a task and links the card', () => {
    expect(settledLine({ kind: 'task', id: 'rt-7k2f9q', name: 'web-rollout', env: 'production', status: 'Released', by: 'U0BOB' }, LINK))
      .toBe(`:white_check_mark: *web-rollout* (\`rt-7k2f9q\`) Released in production by <@U0BOB> — <${LINK}|view card>`);
  });

  it('says who started a run that failed, and goes without a link when there is no card', () => {
    expect(settledLine({ kind: 'task', id: 'rt-7k2f9q', name: 'a<b', env: 'prod', status: 'Release failed', by: 'U0BOB' }, undefined))
      .toBe(':x: *a&lt;b* (`rt-7k2f9q`) Release failed in prod, started by <@U0BOB>');
  });

  it('names a blue-green job as one, with its status emoji', () => {
    expect(settledLine({ kind: 'bluegreen', id: 'web', name: 'web', env: 'prod', status: 'Degraded', by: 'U0CAROL' }, LINK))
      .toBe(`:warning: blue-green job *web* Degraded in prod, started by <@U0CAROL> — <${LINK}|view card>`);
    expect(settledLine({ kind: 'bluegreen', id: 'web', name: 'web', env: 'prod', status: 'Healthy', by: 'ci:deploy' }, LINK))
      .toBe(`:large_green_circle: blue-green job *web* Healthy in prod by *ci:deploy* — <${LINK}|view card>`);
  });
});
