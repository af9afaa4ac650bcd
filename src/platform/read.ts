/**
 * Read what runs now for a list of components, read only (the simulated platform from Redis,
 * Kubernetes with a GET of each Deployment), a bounded number at a time.
 */
import type { Reading, Running } from '../domain/plan.js';
import type { ReleasePlatform } from './port.js';

const AT_ONCE = 16;

export async function readComponents(platform: Pick<ReleasePlatform, 'get'>, env: string, names: readonly string[]): Promise<Reading> {
  const out = new Map<string, Running>();
  for (let i = 0; i < names.length; i += AT_ONCE) {
    const batch = names.slice(i, i + AT_ONCE);
    const found = await Promise.all(batch.map((n) => platform.get(env, n)));
    batch.forEach((n, j) => {
      const c = found[j];
      out.set(n, c ? { image: c.image, replicas: c.replicas } : undefined);
    });
  }
  return out;
}
