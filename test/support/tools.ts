/**
 * Tests that need a tool the machine may lack (chromium, kubectl). Locally they skip and print
 * why; in CI (CI=true, set by .ci/run) they fail instead, so a green CI run never hides a suite
 * that did not run.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { describe, it } from 'vitest';

const inCi = () => ['true', '1'].includes((process.env.CI ?? '').toLowerCase());

/** `describe(name, fn)` where `missing` is undefined; otherwise a skip (locally) or a failing test (CI) saying what is missing. */
export function describeNeeding(tool: string, missing: string | undefined, name: string, fn: () => void): void {
  if (!missing) {
    describe(name, fn);
  } else if (inCi()) {
    describe(name, () => it(`needs ${tool}`, () => {
      throw new Error(`${tool}: ${missing}`);
    }));
  } else {
    console.warn(`skipped "${name}": ${tool}: ${missing} (with CI=true this fails)`);
    describe.skip(name, fn);
  }
}

/** Where `bin` is on PATH, if anywhere. */
export function onPath(bin: string): string | undefined {
  return (process.env.PATH ?? '').split(delimiter).map((p) => join(p, bin)).find((p) => p && existsSync(p));
}

/** Why kubectl cannot render the manifests here (missing, or its kustomize older than v5), or undefined if it can. */
export function kubectlUnusable(): string | undefined {
  if (!onPath('kubectl')) return 'not on PATH (apt-get install kubernetes-client, or a kubectl 1.27+)';
  let version = '';
  try {
    version = execFileSync('kubectl', ['version', '--client'], { encoding: 'utf8', timeout: 10_000 });
  } catch (err) {
    return `kubectl version failed: ${(err as Error).message}`;
  }
  const kustomize = /Kustomize Version: v(\d+)/.exec(version)?.[1];
  if (!kustomize || Number(kustomize) < 5) return `its kustomize is older than v5 (${version.trim().split('\n')[0]}); the manifests need kubectl 1.27+`;
  return undefined;
}
