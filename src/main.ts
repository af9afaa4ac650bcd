/**
 * The CLI: `npm start`. Read the config and start the bot (src/bootstrap.ts), or, without Slack
 * credentials, the sandbox (src/sandbox/), which starts the bot itself. Nothing imports this file.
 */
import { pathToFileURL } from 'node:url';
import { pino } from 'pino';
import { start, type Running } from './bootstrap.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { installLastResort } from './last-resort.js';
import { PolicyError } from './policy/policy-file.js';

async function main(): Promise<void> {
  // No Slack credentials: run the local sandbox instead of failing, so the first `npm start`
  // shows the whole bot working.
  if (!process.env.SLACK_BOT_TOKEN && !process.env.SLACK_APP_TOKEN) return sandbox();
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    console.error((err as Error).message);
    process.exit(1);
  }
  const log = pino({ level: config.LOG_LEVEL });
  let running: Running | undefined;
  installLastResort(log, { handBack: async () => running?.workers?.handBack() });
  try {
    running = await start(config, log);
  } catch (err) {
    // A bad policy file or token is the operator's to fix: one plain line saying what.
    if (err instanceof PolicyError || err instanceof ConfigError) console.error((err as Error).message);
    else log.fatal({ err: (err as Error).message }, 'could not start');
    process.exit(1);
  }
  const shutdown = (signal: string) => {
    log.info({ signal }, 'shutting down');
    running.stop().then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

async function sandbox(): Promise<void> {
  const log = pino({ level: process.env.LOG_LEVEL ?? 'info' });
  const { SandboxError, startSandbox } = await import('./sandbox/sandbox.js');
  let box: Awaited<ReturnType<typeof startSandbox>> | undefined;
  installLastResort(log, { handBack: async () => box?.bot.workers?.handBack() });
  try {
    box = await startSandbox(process.env, log);
  } catch (err) {
    const known = err instanceof SandboxError || err instanceof PolicyError || err instanceof ConfigError;
    if (known) console.error((err as Error).message);
    else log.fatal({ err: (err as Error).message }, 'could not start the sandbox');
    process.exit(1);
  }
  log.info({ url: box.url }, 'SANDBOX: no Slack credentials, so Slack is played locally (set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET for a real workspace)');
  console.log(`\n  Switchyard sandbox is running. Open ${box.url}\n`);
  const shutdown = () => box.stop().then(() => process.exit(0), () => process.exit(1));
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) void main();
