/** Control-flow errors that cross layers: handlers throw them, the worker host acts on them. */
export { SlackRateLimited } from './slack-rate-limited.js';
