/**
 * `npm run bench [-- --only <name>[,<name>…]] [--rounds N]`
 *
 * Runs the scenarios of bench/scenarios.ts in sequence against one Redis (REDIS_URL, or a private
 * redis-server started here and stopped at the end), each under a REDIS_PREFIX of its own that is
 * deleted afterwards. Prints one plain table per scenario on stdout (progress goes to stderr) and
 * writes bench/results/<scenario>-<timestamp>.json per scenario plus bench/results/latest.json
 * with every scenario of this run and a description of the machine.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { benchRedis, deletePrefix, uniquePrefix, type BenchRedis } from './lib/redis.js';
import { formatTable, machine } from './lib/report.js';
import type { BenchContext, ScenarioResult } from './lib/types.js';
import { scenarios } from './scenarios.js';

const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));
const USAGE = `usage: npm run bench -- [--only <name>[,<name>…]] [--rounds N]\nscenarios: ${scenarios.map((s) => s.name).join(', ')}`;

interface Options {
  only: string[] | undefined;
  rounds: number | undefined;
}

function options(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: { only: { type: 'string', multiple: true }, rounds: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const only = values.only?.flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
  const unknown = only?.filter((n) => !scenarios.some((s) => s.name === n)) ?? [];
  if (unknown.length > 0) throw new UsageError(`unknown scenario ${unknown.join(', ')}`);
  let rounds: number | undefined;
  if (values.rounds !== undefined) {
    rounds = Number(values.rounds);
    if (!Number.isInteger(rounds) || rounds < 1) throw new UsageError(`--rounds expects a whole number >= 1 (got "${values.rounds}")`);
  }
  return { only, rounds };
}

class UsageError extends Error {}

/** ISO time usable in a file name on any OS: 2025-01-31T12-00-00.000Z. */
const fileStamp = (d: Date) => d.toISOString().replace(/:/g, '-');
const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);

async function main(): Promise<number> {
  let opts: Options;
  try {
    opts = options(process.argv.slice(2));
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const selected = scenarios.filter((s) => !opts.only || opts.only.includes(s.name));
  const startedAt = new Date();
  const host = machine(startedAt);
  log(`node ${host.node}, ${host.cpuModel}, ${host.cores} cores`);

  let redis: BenchRedis | undefined;
  let currentPrefix: string | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    log(`${signal}: stopping`);
    const r = redis;
    if (!r || r.owned || !currentPrefix) {
      r?.kill();
      process.exit(130);
    }
    // A shared Redis (REDIS_URL) outlives us: try to take this scenario's keys with us.
    const quit = setTimeout(() => process.exit(130), 3_000);
    void deletePrefix(r.url, currentPrefix).finally(() => {
      clearTimeout(quit);
      process.exit(130);
    });
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const done: Record<string, { description: string; durationMs: number; file: string } & ScenarioResult> = {};
  let failed = false;
  try {
    redis = await benchRedis();
    log(redis.owned ? `private redis-server at ${redis.url}` : 'using REDIS_URL');
    await mkdir(RESULTS_DIR, { recursive: true });

    for (const scenario of selected) {
      const prefix = uniquePrefix(scenario.name);
      currentPrefix = prefix;
      const ctx: BenchContext = { redisUrl: redis.url, prefix, rounds: opts.rounds, log: (m) => log(`${scenario.name}: ${m}`) };
      log(`${scenario.name}: ${scenario.description}`);
      const t0 = performance.now();
      try {
        const result = await scenario.run(ctx);
        const durationMs = Math.round(performance.now() - t0);
        const at = new Date();
        const file = `${scenario.name}-${fileStamp(at)}.json`;
        const record = { scenario: scenario.name, description: scenario.description, machine: { ...host, date: at.toISOString() }, durationMs, ...result };
        await writeFile(join(RESULTS_DIR, file), `${JSON.stringify(record, null, 2)}\n`);
        done[scenario.name] = { description: scenario.description, durationMs, file: `bench/results/${file}`, ...result };
        console.log(`${[result.table].flat().map(formatTable).join('\n\n')}\n`);
        log(`${scenario.name}: done in ${(durationMs / 1000).toFixed(1)} s, wrote bench/results/${file}`);
      } catch (err) {
        failed = true;
        log(`${scenario.name}: FAILED: ${(err as Error).stack ?? String(err)}`);
      } finally {
        const deleted = await deletePrefix(redis.url, prefix).catch((err: Error) => {
          log(`${scenario.name}: could not delete ${prefix}*: ${err.message}`);
          return 0;
        });
        log(`${scenario.name}: deleted ${deleted} Redis keys under ${prefix}`);
      }
    }

    if (Object.keys(done).length > 0) {
      const latest = { ...host, date: startedAt.toISOString(), scenarios: done };
      await writeFile(join(RESULTS_DIR, 'latest.json'), `${JSON.stringify(latest, null, 2)}\n`);
      log('wrote bench/results/latest.json');
    }
  } catch (err) {
    failed = true;
    log(`FAILED: ${(err as Error).message}`);
  } finally {
    await redis?.stop();
  }
  return failed ? 1 : 0;
}

process.exitCode = await main();
// Everything is closed by now, so the process ends by itself. If something was left open, say what
// and end anyway rather than hang a CI job.
setTimeout(() => {
  log(`still running 10 s after the end; open handles: ${process.getActiveResourcesInfo().join(', ')}`);
  process.exit(process.exitCode === 0 ? 1 : (process.exitCode ?? 1));
}, 10_000).unref();
