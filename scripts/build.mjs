/**
 * `npm run build`: the production build, `dist/`, which the image runs as `node dist/main.js`.
 *
 * One esbuild bundle of src/main.ts with its dependencies inlined, split (ESM, `splitting`) along
 * the dynamic imports of main.ts and bootstrap.ts, so what a role does not use stays in chunks it
 * never loads (the sandbox, the Kubernetes client, the worker side, Bolt and the operations).
 * Inlining the dependencies is what makes the start fast: Node then reads a few large files
 * instead of resolving and loading some two thousand small ones (`npm run bench -- --only startup`;
 * README). Only `msgpackr-extract` (bullmq's optional native decoder, found by path at run time)
 * stays external, which is why the image still installs the production dependencies.
 * The sandbox page (src/sandbox/ui/) is copied to dist/ui/, where the sandbox chunk looks for it.
 *
 * `stale()` says whether dist/ is older than what it is built from (scripts/start.mjs uses it).
 * esbuild is a devDependency and imported only when building, so a fresh dist/ runs without it.
 */
import { cpSync, existsSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const DIST = join(ROOT, 'dist');
export const DIST_MAIN = join(DIST, 'main.js');
/** Written last by a build, with the build's start time as its mtime. */
const STAMP = join(DIST, '.built');
/** What dist/ is made of: a change to any of these (or a file added or removed) makes it stale. */
const INPUTS = ['src', 'package.json', 'package-lock.json', 'tsconfig.json', 'scripts/build.mjs', 'scripts/cjs-paths.mjs'];

// Bundled CommonJS code may use require(), __filename and __dirname, which ESM output lacks.
// `require` comes from the banner (the usual createRequire shim), the other two from an injected
// module so esbuild binds them only where they are used.
const BANNER = "import { createRequire as __switchyardCreateRequire } from 'node:module';\nconst require = __switchyardCreateRequire(import.meta.url);";
const CJS_PATHS = fileURLToPath(new URL('./cjs-paths.mjs', import.meta.url));

/** Builds dist/ from scratch. */
export async function build({ log = (m) => console.error(m) } = {}) {
  const started = Date.now();
  let esbuild;
  try {
    esbuild = await import('esbuild');
  } catch {
    throw new Error('Building dist/ needs esbuild, a devDependency: run `npm ci` (not `npm ci --omit=dev`) first.');
  }
  rmSync(DIST, { recursive: true, force: true });
  await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: ['src/main.ts'],
    outdir: 'dist',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: ['msgpackr-extract'],
    banner: { js: BANNER },
    inject: [CJS_PATHS],
    // Libraries compare class and error names (bullmq: err.name === 'DelayedError'); keep them
    // even where the bundle has to rename a class.
    keepNames: true,
    sourcemap: 'linked',
    sourcesContent: false,
    logLevel: 'warning',
  });
  cpSync(join(ROOT, 'src/sandbox/ui'), join(DIST, 'ui'), { recursive: true });
  writeFileSync(STAMP, '');
  const t = new Date(started);
  utimesSync(STAMP, t, t);
  log(`built dist/ in ${Date.now() - started} ms`);
}

/** True when dist/ is missing or older than anything it is built from. */
export function stale() {
  if (!existsSync(DIST_MAIN) || !existsSync(STAMP)) return true;
  const built = statSync(STAMP).mtimeMs;
  return INPUTS.some((p) => newerThan(join(ROOT, p), built));
}

/** A file or directory (a directory's own mtime changes when an entry is added or removed). */
function newerThan(path, ms) {
  let st;
  try {
    st = statSync(path);
  } catch {
    return false;
  }
  if (st.mtimeMs > ms) return true;
  if (!st.isDirectory()) return false;
  return readdirSync(path).some((name) => newerThan(join(path, name), ms));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  build().catch((err) => {
    console.error(err.message);
    process.exit(1);
  });
}
