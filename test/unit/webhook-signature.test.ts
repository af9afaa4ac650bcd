/**
 * The signature outgoing webhooks carry, checked against a known answer and against the few lines
 * of Node the README gives receivers.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { webhookHeaders, webhookSignature } from '../../src/jobs/handlers/deliver-webhook.js';

const SECRET = 'whsec-0123456789abcdef';
const BODY = '{"event":"task.settled"}';

/** What the README tells a receiver to do with the raw body and the two headers. */
function verify(secret: string, headers: Record<string, string>, rawBody: string, nowSec: number): boolean {
  const ts = headers['x-switchyard-timestamp']!;
  if (Math.abs(nowSec - Number(ts)) > 300) return false;
  const expected = Buffer.from(`v1=${createHmac('sha256', secret).update(`${ts}.${rawBody}`).digest('hex')}`);
  const given = Buffer.from(headers['x-switchyard-signature'] ?? '');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

describe('webhook signature', () => {
  it('is v1=hex(HMAC-SHA256(secret, "<timestamp>.<body>")): a known answer', () => {
    expect(webhookSignature(SECRET, 1700000000, BODY)).toBe('v1=eeacd11dae123ca30ee12f36783b10d75ac599178656dc0e9a21fe8837ad80a7');
    expect(webhookSignature(SECRET, '1700000000', BODY)).toBe(webhookSignature(SECRET, 1700000000, BODY));
  });

  it('changes with the secret, the timestamp and every byte of the body', () => {
    const base = webhookSignature(SECRET, 1700000000, BODY);
    expect(webhookSignature(`${SECRET}x`, 1700000000, BODY)).not.toBe(base);
    expect(webhookSignature(SECRET, 1700000001, BODY)).not.toBe(base);
    expect(webhookSignature(SECRET, 1700000000, `${BODY} `)).not.toBe(base);
  });

  it('headers: JSON, a user agent, timestamp, signature and the delivery ID; the README check accepts them', () => {
    const h = webhookHeaders(SECRET, 1700000000, BODY, 'settled-task-rt-abc123-1-released-hook-0');
    expect(h).toEqual({
      'content-type': 'application/json',
      'user-agent': 'switchyard',
      'x-switchyard-timestamp': '1700000000',
      'x-switchyard-signature': webhookSignature(SECRET, 1700000000, BODY),
      'x-switchyard-delivery': 'settled-task-rt-abc123-1-released-hook-0',
    });
    expect(verify(SECRET, h, BODY, 1700000010)).toBe(true);
    expect(verify('another-secret-of-16', h, BODY, 1700000010)).toBe(false);
    expect(verify(SECRET, h, BODY.replace('task', 'bluegreen'), 1700000010)).toBe(false);
    expect(verify(SECRET, h, BODY, 1700000000 + 3600)).toBe(false); // too old: a replay
    expect(Object.values(h).join(' ')).not.toContain(SECRET);
  });
});
