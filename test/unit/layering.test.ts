/**
 * The layering check (`npm run lint`, dependency-cruiser with .dependency-cruiser.cjs) must be
 * able to fail: run against a scratch tree that breaks each kind of rule, it names every break;
 * run against src/, it finds none.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');
const BIN = join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');
const run = promisify(execFile);

async function cruise(cwd: string): Promise<{ code: number; out: string }> {
  try {
    const { stdout } = await run(process.execPath, [BIN, 'src', '--config', CONFIG, '--output-type', 'err'], { cwd });
    return { code: 0, out: stdout };
  } catch (err) {
    const e = err as { code?: number; stdout?: string };
    return { code: e.code ?? 1, out: e.stdout ?? '' };
  }
}

const scratch = mkdtempSync(join(tmpdir(), 'switchyard-layering-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function write(file: string, text: string): void {
  mkdirSync(dirname(join(scratch, file)), { recursive: true });
  writeFileSync(join(scratch, file), text);
}

describe('layering check', () => {
  it('names a cycle, an impure domain, the core importing slack/, and an import of main.ts', async () => {
    write('tsconfig.json', JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext' } }));
    write('src/main.ts', "export const cli = 1;\n");
    write('src/domain/task.ts', "import { lock } from '../store/locks.js';\nexport const task = lock;\n");
    write('src/store/locks.ts', "import { task } from '../domain/task.js';\nexport const lock = () => task;\n");
    write('src/slack/notifier.ts', 'export const notify = 1;\n');
    write('src/operations/start.ts', "import { notify } from '../slack/notifier.js';\nimport { cli } from '../main.js';\nexport const start = notify + cli;\n");
    const { code, out } = await cruise(scratch);
    expect(code).not.toBe(0);
    expect(out).toContain('no-circular');
    expect(out).toMatch(/domain-is-pure: src\/domain\/task\.ts → src\/store\/locks\.ts/);
    expect(out).toMatch(/core-below-the-edge: src\/operations\/start\.ts → src\/slack\/notifier\.ts/);
    expect(out).toMatch(/nobody-imports-the-cli: src\/operations\/start\.ts → src\/main\.ts/);
  });

  it('finds nothing wrong in src/', async () => {
    const { code, out } = await cruise(ROOT);
    expect(out).toContain('no dependency violations found');
    expect(code).toBe(0);
  });
});
