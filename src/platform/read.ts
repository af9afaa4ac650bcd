/**
 * Read what runs now for a list of components, read only: in one batched read where the
 * platform has one (the simulated platform: one HMGET; Kubernetes: one LIST of the bot's
 * Deployments), else a GET of each, a bounded number at a time.
 */
import type { Reading, Running } from '../domain/plan.js';
import type { ReleasePlatform } from './port.js';

const AT_ONCE = 16;

export async function readComponents(platform: Pick<ReleasePlatform, 'get' | 'getMany'>, env: string, names: readonly string[]): Promise<Reading> {
  const out = new Map<string, Running>();
  if (platform.getMany) {
    const found = names.length ? await platform.getMany(env, names) : new Map();
    for (const n of names) {
      const c = found.get(n);
      out.set(n, c ? { image: c.image, replicas: c.replicas } : undefined);
    }
    return out;
  }
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
