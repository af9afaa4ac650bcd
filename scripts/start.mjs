/**
 * `npm start`: run the production build, dist/main.js, building it first when it is missing or
 * older than the sources (scripts/build.mjs), so `npm ci && npm start` stays the one command.
 * The build runs in this process, and so does the bot: no second Node process, and signals reach
 * the bot directly.
 */
import { pathToFileURL } from 'node:url';
import { build, DIST_MAIN, stale } from './build.mjs';

if (stale()) {
  try {
    await build({ log: (m) => console.error(`npm start: ${m} (the sources changed since the last build)`) });
  } catch (err) {
    console.error(`npm start: could not build dist/: ${err.message}`);
    process.exit(1);
  }
}
// dist/main.js runs its main() only when it is the script Node was started with.
process.argv[1] = DIST_MAIN;
await import(pathToFileURL(DIST_MAIN).href);
