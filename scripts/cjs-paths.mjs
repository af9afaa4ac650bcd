// Injected into the bundle by scripts/build.mjs: __filename and __dirname for bundled CommonJS
// code, pointing into dist/ (the bundle's own files), as ESM output has neither.
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const __filename = fileURLToPath(import.meta.url);
const __dirname = dirname(__filename);
export { __dirname, __filename };
