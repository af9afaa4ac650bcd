/**
 * The local sandbox: `npm start` without Slack credentials. The bot runs unchanged; this process
 * also serves a stand-in for Slack (the Web API methods the bot calls, and a page that plays the
 * Slack client) and sends the bot real signed requests, so the bot cannot tell it from Slack.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { loadConfig } from '../config.js';
import { start, type Running } from '../bootstrap.js';
import { loadPolicyFile } from '../policy/policy-file.js';
import { startRedisServer, type RedisServer } from './redis-server.js';
import { SandboxSlack } from './sandbox-slack.js';
import { sandboxChannels, sandboxUsers } from './users.js';

export interface Sandbox {
  url: string;
  bot: Running;
  stop(): Promise<void>;
}

export class SandboxError extends Error {}

/** Where the sandbox keeps its Redis data, across restarts. */
const DATA_DIR = '.switchyard/redis';

export async function startSandbox(env: Record<string, string | undefined>, log: Logger): Promise<Sandbox> {
  const port = Number(env.PORT ?? 3000);
  const redis = await sandboxRedis(env, log);
  const secret = randomBytes(16).toString('hex');
  const policy = env.SWITCHYARD_CONFIG ? loadPolicyFile(env.SWITCHYARD_CONFIG) : undefined;
  const slack = new SandboxSlack(secret, sandboxUsers(policy), sandboxChannels(policy));

  const server = createServer((req, res) => void slack.route(req, res));
  await new Promise<void>((ok, fail) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      fail(err.code === 'EADDRINUSE' ? new SandboxError(`Port ${port} is taken: set PORT to another one, e.g. PORT=3001 npm start`) : err),
    );
    // Loopback only: the page acts as any user, approvers included.
    server.listen(port, '127.0.0.1', () => ok());
  });
  const bound = (server.address() as AddressInfo).port; // PORT=0 picks a free one (tests)
  const base = `http://127.0.0.1:${bound}`;
  slack.listening(base);

  let bot: Running;
  try {
    bot = await start(
      loadConfig({
        ...env,
        SLACK_BOT_TOKEN: 'xoxb-sandbox',
        SLACK_SIGNING_SECRET: secret,
        SLACK_APP_TOKEN: undefined,
        SLACK_API_URL: `${base}/api/`,
        REDIS_URL: redis.url,
        PORT: '0',
        // Quick enough to watch a release go by, slow enough to click Suspend.
        SIM_LATENCY_MS: env.SIM_LATENCY_MS ?? '1500',
      }),
      log.child({ sandbox: true }),
    );
  } catch (err) {
    await close(server);
    await redis.stop();
    throw err;
  }
  slack.connect(`http://127.0.0.1:${bot.port}/slack/events`);
  return {
    url: `http://localhost:${bound}`,
    bot,
    async stop() {
      slack.closeStreams();
      await close(server);
      await bot.stop();
      await redis.stop();
    },
  };
}

function close(server: Server): Promise<void> {
  return new Promise((r) => {
    server.close(() => r());
    server.closeAllConnections();
  });
}

/** REDIS_URL if set; else a Redis on 127.0.0.1:6379 if one answers; else a private one. */
async function sandboxRedis(env: Record<string, string | undefined>, log: Logger): Promise<{ url: string; stop(): Promise<void> }> {
  if (env.REDIS_URL) return { url: env.REDIS_URL, stop: async () => {} };
  const local = 'redis://127.0.0.1:6379';
  if (await answers(local)) {
    log.info({ redis: local }, 'sandbox: using the Redis on 127.0.0.1:6379');
    return { url: local, stop: async () => {} };
  }
  const dir = resolve(DATA_DIR);
  mkdirSync(dir, { recursive: true });
  let server: RedisServer;
  try {
    server = await startRedisServer({ dataDir: dir });
  } catch (err) {
    if (/not found/.test((err as Error).message)) {
      throw new SandboxError(
        'The sandbox needs Redis: nothing answers on 127.0.0.1:6379 and redis-server is not installed. ' +
          'Install it (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis), ' +
          'run `docker compose up -d redis`, or set REDIS_URL.',
      );
    }
    throw err;
  }
  log.info({ redis: server.url, data: DATA_DIR }, 'sandbox: started a private redis-server');
  return server;
}

async function answers(url: string): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 500 });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}
