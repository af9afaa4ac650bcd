import type { Logger as SlackLogger, LogLevel } from '@slack/logger';
import type { Logger } from 'pino';

/** Bolt and the Web API client log through pino, so the bot has one log stream. */
export function slackLogger(log: Logger, component: string): SlackLogger {
  const child = log.child({ component });
  let level = 'info' as LogLevel;
  const line = (m: unknown[]) => m.map(String).join(' ');
  return {
    debug: (...m) => child.debug(line(m)),
    info: (...m) => child.info(line(m)),
    warn: (...m) => child.warn(line(m)),
    error: (...m) => child.error(line(m)),
    setLevel: (l) => void (level = l),
    getLevel: () => level,
    setName: () => undefined,
  };
}
