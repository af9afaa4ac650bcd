/**
 * The Bolt app: HTTP mode (POST /slack/events through slack/edge/receiver.ts, which refuses what
 * Slack would not send) or Socket Mode when SLACK_APP_TOKEN is set. Listeners are registered per kind.
 */
import { App, SocketModeReceiver } from '@slack/bolt';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Route } from '../http/routes.js';
import type { SeenRequests } from '../store/seen-requests.js';
import { SlackHttpReceiver } from './edge/receiver.js';
import type { ListenerDeps } from './listeners/deps.js';
import * as actions from './listeners/actions/index.js';
import * as commands from './listeners/commands/index.js';
import * as events from './listeners/events/index.js';
import * as functions from './listeners/functions/index.js';
import { slackLogger } from './logger.js';

export interface SlackIdentity {
  botId: string;
  botUserId: string;
}

export function createSlackApp(config: Config, identity: SlackIdentity, routes: Route[], seen: SeenRequests, deps: ListenerDeps, log: Logger) {
  const logger = slackLogger(log, 'bolt');
  const receiver = config.SLACK_APP_TOKEN
    ? new SocketModeReceiver({ appToken: config.SLACK_APP_TOKEN, customRoutes: routes, installerOptions: { port: config.PORT }, logger })
    : new SlackHttpReceiver({ signingSecret: config.SLACK_SIGNING_SECRET!, routes, seen, log });
  const app = new App({
    token: config.SLACK_BOT_TOKEN,
    receiver,
    // We ran auth.test ourselves at start; without these Bolt would call it on every request.
    botId: identity.botId,
    botUserId: identity.botUserId,
    tokenVerificationEnabled: false,
    clientOptions: { slackApiUrl: config.SLACK_API_URL },
    // Workflow steps are completed by workers with the bot token (slack/delivery.ts), not from a
    // listener with the event's token: no client per function_executed event.
    attachFunctionToken: false,
    logger,
  });
  commands.register(app, deps);
  actions.register(app, deps, seen);
  functions.register(app, deps);
  events.register(app, deps);
  app.error(async (err) => log.error({ err: err.message }, 'slack listener error'));
  return { app, receiver };
}
