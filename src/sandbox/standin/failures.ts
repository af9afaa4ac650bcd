/** Failures queued with `failNext`, answered instead of the method. */
import type { Reply } from './state.js';
import type { FailureSpec } from './types.js';

/** Answers a queued failure for `method`, if one is pending, and counts it off. */
export function takeFailure(failures: Map<string, FailureSpec[]>, method: string): (Reply & { applied?: boolean }) | undefined {
  const queue = failures.get(method);
  const spec = queue?.[0];
  if (!queue || !spec) return undefined;
  spec.times = (spec.times ?? 1) - 1;
  if (spec.times <= 0) queue.shift();
  const status = spec.status ?? (spec.error ? 200 : spec.retryAfterSec !== undefined ? 429 : 500);
  if (status === 429) {
    return { status, headers: { 'retry-after': String(spec.retryAfterSec ?? 1) }, body: { ok: false, error: spec.error ?? 'ratelimited' } };
  }
  return { status, body: { ok: false, error: spec.error ?? 'internal_error' }, ...(spec.applied ? { applied: true } : {}) };
}
