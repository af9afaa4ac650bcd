/**
 * The floor of the startup benchmark (bench/startup.ts): a bare Bolt app in HTTP mode with one
 * slash-command listener, plain JavaScript run by `node` as the built bot is. It answers GET
 * /healthz (a Bolt custom route) so it is polled exactly as the bot is. PORT and
 * SLACK_SIGNING_SECRET come from the environment.
 */
import { App, HTTPReceiver, LogLevel } from '@slack/bolt';

const signingSecret = process.env.SLACK_SIGNING_SECRET ?? 'bench-signing-secret';
const healthz = { path: '/healthz', method: ['GET'], handler: (_req, res) => res.writeHead(200).end('ok') };
const app = new App({
  token: 'xoxb-x',
  botId: 'B',
  botUserId: 'U',
  tokenVerificationEnabled: false,
  logLevel: LogLevel.ERROR,
  receiver: new HTTPReceiver({ signingSecret, endpoints: '/slack/events', customRoutes: [healthz], logLevel: LogLevel.ERROR }),
});
app.command('/release', async ({ ack }) => ack());
await app.start(Number(process.env.PORT ?? 3000));
process.once('SIGTERM', () => void app.stop().then(() => process.exit(0)));
