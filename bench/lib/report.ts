/** Plain-text tables for stdout, and the machine description stored with every result. */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import type { Table } from './types.js';

export function formatTable(t: Table): string {
  const cells = [t.headers, ...t.rows.map((r) => r.map((c) => (typeof c === 'number' ? formatNumber(c) : c)))];
  const widths = t.headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  // First column left-aligned (labels), the others right-aligned (numbers).
  const line = (r: string[]) =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  const out = [t.title, line(t.headers), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)];
  for (const note of t.notes ?? []) out.push(note);
  return out.join('\n');
}

function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return '-';
  if (Number.isInteger(n)) return String(n);
  return n.toFixed(Math.abs(n) >= 100 ? 1 : 2);
}

export interface Machine {
  node: string;
  platform: string;
  arch: string;
  cpuModel: string;
  cores: number;
  totalMemMiB: number;
  date: string;
  git?: { commit: string; dirty: boolean };
}

export function machine(date: Date): Machine {
  const cpus = os.cpus();
  const m: Machine = {
    node: process.version,
    platform: os.platform(),
    arch: os.arch(),
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: typeof os.availableParallelism === 'function' ? os.availableParallelism() : cpus.length,
    totalMemMiB: Math.round(os.totalmem() / 2 ** 20),
    date: date.toISOString(),
  };
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() !== '';
    m.git = { commit, dirty };
  } catch {
    // not a git checkout (e.g. a Docker image): leave it out
  }
  return m;
}
