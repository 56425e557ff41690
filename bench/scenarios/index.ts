/** The scenarios `npm run bench` runs, in order. */
import type { Scenario } from './scenario.js';
import { startupScenario } from './startup.js';

export const scenarios: Scenario[] = [startupScenario];
