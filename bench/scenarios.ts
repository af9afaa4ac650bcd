/**
 * Every benchmark scenario, in the order `npm run bench` runs them. To add one, write a module
 * exporting a `Scenario` (`{ name, description, run(ctx) }`, see lib/types.ts) and list it here.
 */
import { ackLatency } from './ack-latency.js';
import { batchScale } from './batch-scale.js';
import { bluegreen } from './bluegreen.js';
import type { Scenario } from './lib/types.js';
import { startup } from './startup.js';

export const scenarios: readonly Scenario[] = [ackLatency, bluegreen, batchScale, startup];
