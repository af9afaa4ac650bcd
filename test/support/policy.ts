/**
 * Policy files for tests: written to the OS temp directory under a unique name, handed to the
 * bot as SWITCHYARD_CONFIG. Freeze windows are built around the current time.
 */
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const written: string[] = [];

/** Writes `yamlText` to a new temp file and returns its path. */
export function writePolicy(yamlText: string): string {
  const path = join(tmpdir(), `switchyard-policy-${process.pid}-${randomBytes(6).toString('hex')}.yaml`);
  writeFileSync(path, yamlText, 'utf8');
  written.push(path);
  return path;
}

/** Deletes every file `writePolicy` wrote in this process. */
export function removePolicies(): void {
  for (const path of written.splice(0)) rmSync(path, { force: true });
}

/** "2026-11-24T07:00Z": ISO 8601 to the minute, UTC. */
export function isoMinute(at: Date): string {
  return `${at.toISOString().slice(0, 16)}Z`;
}

/**
 * A freeze window around now, to the minute: by default from one hour before to one hour after,
 * e.g. "2026-11-24T07:00Z/2026-11-24T09:00Z".
 */
export function freezeAroundNow(beforeMs = 3_600_000, afterMs = 3_600_000, now: Date = new Date()): string {
  return `${isoMinute(new Date(now.getTime() - beforeMs))}/${isoMinute(new Date(now.getTime() + afterMs))}`;
}
