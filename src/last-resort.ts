/**
 * What the process does with an error nobody caught. Each Slack request and each job runs inside
 * `withContext`, so the log line names the request or job it came from.
 * - An unhandled rejection is logged and the process keeps serving: one bad request must not end
 *   the bot (or, with ROLE=all, its workers).
 * - An uncaught exception leaves the process in a state nobody can vouch for: it is logged, the
 *   runs this process holds are handed back to the queue for another worker, and the process
 *   exits 1 for its supervisor to restart. Never a silent exit.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from 'pino';

export type Context = Record<string, string | number | undefined>;

const context = new AsyncLocalStorage<Context>();

/** Runs `fn` with `ctx` as what a last-resort log line will name. */
export function withContext<T>(ctx: Context, fn: () => T): T {
  return context.run(ctx, fn);
}

export interface LastResortHooks {
  /** Give back what this process holds (active runs) before it exits; given at most 3 s. */
  handBack?: () => Promise<void>;
}

function describe(reason: unknown): { err: string; stack?: string } {
  if (reason instanceof Error) return { err: reason.message, ...(reason.stack ? { stack: reason.stack } : {}) };
  return { err: String(reason) };
}

/** Installs the handlers on the process. */
export function installLastResort(log: Logger, hooks: LastResortHooks = {}): void {
  const onRejection = (reason: unknown) => {
    log.error({ ...describe(reason), during: context.getStore() ?? 'no request or job' }, 'unhandled rejection: logged, still serving');
  };
  let exiting = false;
  const onException = (err: Error) => {
    log.fatal({ ...describe(err), during: context.getStore() ?? 'no request or job' }, 'uncaught exception: handing back runs and exiting');
    if (exiting) return;
    exiting = true;
    const deadline = new Promise<void>((r) => setTimeout(r, 3000).unref());
    void Promise.race([(hooks.handBack?.() ?? Promise.resolve()).catch((e: Error) => log.error({ err: e.message }, 'hand back failed')), deadline]).then(() => process.exit(1));
  };
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
}
