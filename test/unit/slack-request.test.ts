/** The Slack edge's pure checks: signed headers and clock skew, signatures, content types and shapes. */
import { describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES, checkDeclaredLength, checkSignedHeaders, readSlackRequest, signatureMatches } from '../../src/slack/edge/request.js';
import { signSlackRequest } from '../support/slack-signing.js';

const FORM = 'application/x-www-form-urlencoded';
const NOW = 1_700_000_000;
const form = (fields: Record<string, string>) => Buffer.from(new URLSearchParams(fields).toString());
const status = (r: object) => ('status' in r ? r.status : 'accepted');

describe('checkSignedHeaders', () => {
  const sig = `v0=${'a'.repeat(64)}`;
  it('accepts a timestamp up to 5 minutes either side of now and refuses one further off either way', () => {
    for (const skew of [-300, 0, 300]) expect(status(checkSignedHeaders({ 'x-slack-request-timestamp': String(NOW + skew), 'x-slack-signature': sig }, NOW))).toBe('accepted');
    for (const skew of [-301, 301, 600, -600]) expect(status(checkSignedHeaders({ 'x-slack-request-timestamp': String(NOW + skew), 'x-slack-signature': sig }, NOW))).toBe(401);
  });
  it('refuses missing headers, a non-numeric timestamp and a signature that is not v0=<64 hex>', () => {
    expect(status(checkSignedHeaders({}, NOW))).toBe(401);
    expect(status(checkSignedHeaders({ 'x-slack-request-timestamp': `${NOW}.5`, 'x-slack-signature': sig }, NOW))).toBe(401);
    expect(status(checkSignedHeaders({ 'x-slack-request-timestamp': String(NOW), 'x-slack-signature': 'v1=abc' }, NOW))).toBe(401);
  });
});

describe('checkDeclaredLength', () => {
  it('refuses a declared length over 1 MB and lets 1 MB through', () => {
    expect(checkDeclaredLength({ 'content-length': String(MAX_BODY_BYTES) })).toBeUndefined();
    expect(checkDeclaredLength({ 'content-length': String(MAX_BODY_BYTES + 1) })?.status).toBe(413);
  });
});

describe('signatureMatches', () => {
  it('matches the signature Slack computes and nothing else', () => {
    const body = 'token=x&command=%2Frelease&text=list';
    const h = signSlackRequest('secret', body, NOW);
    const signed = { timestamp: h['x-slack-request-timestamp'], signature: h['x-slack-signature'] };
    expect(signatureMatches('secret', signed, Buffer.from(body))).toBe(true);
    expect(signatureMatches('other', signed, Buffer.from(body))).toBe(false);
    expect(signatureMatches('secret', signed, Buffer.from(`${body}&x=1`))).toBe(false);
    expect(signatureMatches('secret', { ...signed, timestamp: String(NOW + 1) }, Buffer.from(body))).toBe(false);
  });
});

describe('readSlackRequest', () => {
  const command = { command: '/release', text: 'list', user_id: 'U1', channel_id: 'C1' };
  const click = { type: 'block_actions', user: { id: 'U1' }, actions: [{ action_id: 'release.start', type: 'button' }] };
  const submission = { type: 'view_submission', user: { id: 'U1' }, view: { callback_id: 'cb', private_metadata: '{}', state: { values: {} } } };

  it('reads slash commands, interactions, ssl_check and events by their content type', () => {
    expect(readSlackRequest(FORM, form(command))).toMatchObject({ kind: 'command', body: command });
    expect(readSlackRequest(`${FORM}; charset=utf-8`, form({ payload: JSON.stringify(click) }))).toMatchObject({ kind: 'interaction', body: click });
    expect(readSlackRequest(FORM, form({ payload: JSON.stringify(submission) }))).toMatchObject({ kind: 'interaction' });
    expect(readSlackRequest(FORM, form({ ssl_check: '1', token: 't' }))).toEqual({ kind: 'ssl_check' });
    expect(readSlackRequest('application/json', Buffer.from('{"type":"url_verification","challenge":"c"}'))).toEqual({ kind: 'url_verification', challenge: 'c' });
    expect(readSlackRequest('application/json', Buffer.from('{"type":"event_callback","event_id":"Ev1","event":{"type":"x"}}'))).toMatchObject({ kind: 'event', eventId: 'Ev1' });
  });

  it('gives 415 for commands or interactions as JSON and for other content types', () => {
    expect(status(readSlackRequest('application/json', Buffer.from(JSON.stringify(command))))).toBe(415);
    expect(status(readSlackRequest('application/json', Buffer.from(JSON.stringify({ payload: click }))))).toBe(415);
    expect(status(readSlackRequest('text/plain', form(command)))).toBe(415);
    expect(status(readSlackRequest(undefined, form(command)))).toBe(415);
  });

  it('gives 400 for every shape Slack does not send', () => {
    const bad: Array<[string, Buffer, string]> = [
      ['payload=null', form({ payload: 'null' }), FORM],
      ['payload array', form({ payload: '[]' }), FORM],
      ['payload unparsable', form({ payload: '{' }), FORM],
      ['payload twice', Buffer.from('payload=%7B%7D&payload=%7B%7D'), FORM],
      ['view_submission without view', form({ payload: JSON.stringify({ ...submission, view: undefined }) }), FORM],
      ['view_submission without state', form({ payload: JSON.stringify({ ...submission, view: { callback_id: 'cb' } }) }), FORM],
      ['block_actions without actions', form({ payload: JSON.stringify({ ...click, actions: [] }) }), FORM],
      ['block_actions without user', form({ payload: JSON.stringify({ ...click, user: null }) }), FORM],
      ['block_actions with channel null', form({ payload: JSON.stringify({ ...click, channel: null }) }), FORM],
      ['unknown interaction type', form({ payload: JSON.stringify({ ...click, type: 'surprise' }) }), FORM],
      ['command without channel', form({ ...command, channel_id: '' }), FORM],
      ['command name not a slash command', form({ ...command, command: 'release' }), FORM],
      ['text given twice', Buffer.from('command=%2Frelease&text=a&text=b&user_id=U1&channel_id=C1'), FORM],
      ['neither command nor payload', form({ hello: 'world' }), FORM],
      ['JSON null', Buffer.from('null'), 'application/json'],
      ['JSON unparsable', Buffer.from('{"type":'), 'application/json'],
      ['JSON unknown event type', Buffer.from('{"type":"surprise"}'), 'application/json'],
    ];
    for (const [what, body, type] of bad) expect({ what, status: status(readSlackRequest(type, body)) }).toEqual({ what, status: 400 });
  });
});
