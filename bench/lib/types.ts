/**
 * The contract between `bench/run.ts` and a scenario. A scenario is a `{ name, run(ctx) }` object
 * listed in `bench/scenarios.ts`; the runner gives it a Redis and a key prefix of its own, prints
 * the table it returns and writes its results as JSON.
 */

export interface BenchContext {
  /** Redis to use: REDIS_URL, or the runner's private redis-server. */
  redisUrl: string;
  /** REDIS_PREFIX unique to this scenario run; the runner deletes `<prefix>*` afterwards. */
  prefix: string;
  /** `--rounds N` if given; each scenario picks its own default otherwise. */
  rounds: number | undefined;
  /** Progress line on stderr (stdout is kept for the result tables). */
  log(message: string): void;
}

export interface Table {
  title: string;
  headers: string[];
  rows: Array<Array<string | number>>;
  /** Lines printed under the table. */
  notes?: string[];
}

export interface ScenarioResult {
  /** What was run (counts, concurrency, settings), for the JSON. */
  params: Record<string, unknown>;
  /** The measurements, for the JSON. */
  results: Record<string, unknown>;
  /** What is printed on stdout: one table, or several printed one after another. */
  table: Table | Table[];
}

export interface Scenario {
  /** Used by `--only` and in file names: lower-case words joined by "-". */
  name: string;
  description: string;
  run(ctx: BenchContext): Promise<ScenarioResult>;
}
