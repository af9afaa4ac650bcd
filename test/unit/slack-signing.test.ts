import { describe, expect, it } from 'vitest';
import { blockActionsBody, signSlackRequest, slashCommandBody } from '../support/slack-signing.js';

describe('signSlackRequest', () => {
  it("matches Slack's documented example", () => {
    const secret = '8f742231b10e8888abcd99yyyzzz85a5';
    const body =
      'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
    expect(signSlackRequest(secret, body, 1531420618)).toEqual({
      'x-slack-signature': 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
      'x-slack-request-timestamp': '1531420618',
    });
  });
});

describe('request bodies', () => {
  it('slashCommandBody carries every field Slack sends', () => {
    const params = new URLSearchParams(
      slashCommandBody({ command: '/release', text: 'batch start', user_id: 'U1', channel_id: 'C1' }),
    );
    for (const key of ['token', 'team_id', 'team_domain', 'channel_id', 'channel_name', 'user_id', 'user_name',
      'command', 'text', 'api_app_id', 'response_url', 'trigger_id']) {
      expect(params.has(key), key).toBe(true);
    }
    expect(params.get('command')).toBe('/release');
    expect(params.get('text')).toBe('batch start');
  });

  it('blockActionsBody wraps a block_actions payload', () => {
    const body = blockActionsBody({ user_id: 'U1', channel_id: 'C1', message_ts: '1.2', action_id: 'approve', value: 'v' });
    const payload = JSON.parse(new URLSearchParams(body).get('payload') ?? '{}');
    expect(payload.type).toBe('block_actions');
    expect(payload.container).toMatchObject({ type: 'message', message_ts: '1.2', channel_id: 'C1' });
    expect(payload.actions[0]).toMatchObject({ action_id: 'approve', value: 'v', type: 'button' });
  });
});
