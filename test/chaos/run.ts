/**
 * `npm run chaos`: the chaos suite. Runs each scenario in order against real bot processes, a
 * private redis-server and a fake Slack on 127.0.0.1, prints one line of figures per scenario,
 * and exits 1 if any figure is wrong (listing which) or a scenario could not finish.
 *
 *   npm run chaos                       every scenario
 *   npm run chaos -- fuzz bad-requests  only these
 *   CHAOS_SEED=1234 npm run chaos       replay the random choices of a run (its seed is printed on failure)
 *   CHAOS_VERBOSE=1 npm run chaos       progress on stderr
 *
 * Every scenario has a time budget, and the suite one of 290 s (a scenario gets what is left if
 * that is less): together they stay under 5 minutes on a 2-core machine. Child processes and
 * temp dirs are removed however the suite ends.
 */
import { badRequests } from './bad-requests.js';
import { fuzz } from './fuzz.js';
import { installExitHooks, killAllChildren, type ScenarioContext, type ScenarioResult } from './harness.js';
import { killStorm } from './kill-storm.js';
import { redisRestart } from './redis-restart.js';
import { slackFaults } from './slack-faults.js';

interface Scenario {
  name: string;
  budgetMs: number;
  run(ctx: ScenarioContext): Promise<ScenarioResult>;
}

const SCENARIOS: Scenario[] = [
  { name: 'kill-storm', budgetMs: 130_000, run: killStorm },
  { name: 'redis-restart', budgetMs: 70_000, run: redisRestart },
  { name: 'slack-faults', budgetMs: 60_000, run: slackFaults },
  { name: 'fuzz', budgetMs: 90_000, run: fuzz },
  { name: 'bad-requests', budgetMs: 40_000, run: badRequests },
];

/** The whole suite stops here: a scenario gets what is left of it if that is less than its own budget. */
const SUITE_BUDGET_MS = 290_000;

const verbose = process.env.CHAOS_VERBOSE === '1';

async function runOne(s: Scenario, seed: number, budgetMs: number): Promise<ScenarioResult> {
  const stop = new AbortController();
  const cleanups: Array<() => Promise<void> | void> = [];
  const ctx: ScenarioContext = {
    signal: stop.signal,
    seed,
    defer: (fn) => void cleanups.push(fn),
    log: (msg) => {
      if (verbose) console.error(`  [${new Date().toISOString().slice(11, 23)}] ${msg}`);
    },
  };
  let timer: NodeJS.Timeout | undefined;
  const budget = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      stop.abort();
      reject(new Error(`did not finish within its budget of ${Math.round(budgetMs / 1000)} s`));
    }, budgetMs);
  });
  try {
    return await Promise.race([s.run(ctx), budget]);
  } catch (err) {
    return { line: `${s.name}: could not finish: ${(err as Error).message.split('\n')[0]}`, wrong: [(err as Error).message], notes: [`seed ${seed}`] };
  } finally {
    clearTimeout(timer);
    stop.abort();
    for (const fn of cleanups.reverse()) {
      await Promise.race([Promise.resolve().then(fn), new Promise((r) => setTimeout(r, 10_000))]).catch(() => undefined);
    }
  }
}

/** Control characters from fuzz input, escaped so the report stays text. */
function printable(s: string): string {
  return s.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

async function main(): Promise<void> {
  installExitHooks();
  const only = process.argv.slice(2);
  const unknown = only.filter((n) => !SCENARIOS.some((s) => s.name === n));
  if (unknown.length) {
    console.error(`unknown scenario(s): ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(', ')}`);
    process.exit(2);
  }
  const seed = Number(process.env.CHAOS_SEED ?? Date.now() % 1_000_000_007);
  const t0 = Date.now();
  const failed: string[] = [];
  const took: string[] = [];
  for (const s of SCENARIOS.filter((x) => only.length === 0 || only.includes(x.name))) {
    const started = Date.now();
    const left = t0 + SUITE_BUDGET_MS - started;
    const r =
      left < 10_000
        ? { line: `${s.name}: not run: the suite is out of time`, wrong: [`the suite's ${SUITE_BUDGET_MS / 1000} s were used up`], notes: [] }
        : await runOne(s, seed, Math.min(s.budgetMs, left));
    console.log(r.line);
    took.push(`${s.name} ${Math.round((Date.now() - started) / 1000)} s`);
    if (r.wrong.length) {
      failed.push(s.name);
      for (const w of r.wrong) console.log(`  wrong: ${printable(w)}`);
      for (const n of r.notes) console.log(`    ${printable(n)}`);
    }
  }
  const secs = ((Date.now() - t0) / 1000).toFixed(0);
  if (failed.length) console.log(`chaos: FAILED ${failed.join(', ')} (${secs} s: ${took.join(', ')}; seed ${seed})`);
  else console.log(`chaos: all figures right (${secs} s: ${took.join(', ')})`);
  killAllChildren();
  process.exit(failed.length ? 1 : 0);
}

void main();
