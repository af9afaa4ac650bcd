import { describe, expect, it } from 'vitest';
import { Environments } from '../../src/operations/environments.js';
import { Policy } from '../../src/policy/policy.js';
import type { KnownEnvironments } from '../../src/store/known-environments.js';

/** Environments over counting stand-ins: the known set holds `named`, the platform has components in `withComponents`. */
function environments(named: string[], withComponents: string[] = []) {
  const calls = { knownReads: 0, platformReads: 0, added: [] as string[][] };
  const known = {
    all: async () => (calls.knownReads++, [...named]),
    add: async (envs: readonly string[]) => void (calls.added.push([...envs]), named.push(...envs)),
  } as unknown as KnownEnvironments;
  const platform = { environments: async () => (calls.platformReads++, withComponents) };
  const envs = new Environments({ policy: new Policy(undefined), tasks: {} as never, jobs: {} as never, platform: platform as never, known });
  return { envs, calls };
}

describe('environment check', () => {
  it('reads what is known once; a name seen named passes from then on without a read', async () => {
    const { envs, calls } = environments(['staging', 'prod']);
    expect(await envs.check(['staging'], false, '`--new-env`')).toEqual({ ok: true });
    expect(calls).toMatchObject({ knownReads: 1, platformReads: 1 });
    expect(await envs.check(['staging', 'prod'], false, '`--new-env`')).toEqual({ ok: true });
    expect(calls).toMatchObject({ knownReads: 1, platformReads: 1 });
    // A typo is not known: read again, and refused with the closest name.
    expect(await envs.check(['stagng'], false, '`--new-env`')).toMatchObject({ ok: false, reason: expect.stringContaining('(did you mean `staging`?)') });
    expect(calls).toMatchObject({ knownReads: 2, platformReads: 2 });
  });

  it('remembers a name once per process; an environment with components only is still read each time', async () => {
    const { envs, calls } = environments(['staging'], ['sim-only']);
    await envs.remember(['qa']);
    await envs.remember(['qa']);
    expect(calls.added).toEqual([['qa']]);
    expect(await envs.check(['qa'], false, '`--new-env`')).toEqual({ ok: true });
    expect(calls.knownReads).toBe(0);
    expect(await envs.check(['sim-only'], false, '`--new-env`')).toEqual({ ok: true });
    expect(await envs.check(['sim-only'], false, '`--new-env`')).toEqual({ ok: true });
    expect(calls.knownReads).toBe(2);
    await envs.check(['x'], false, '`--new-env`');
    await envs.remember(['staging']); // read from the set above: nothing to add
    expect(calls.added).toEqual([['qa']]);
  });
});
