import { handBack } from './finish-challenge.js';
import type { Step } from '../challenge-context.js';

/** Regenerates the session and calls the adapter's `resume`, once. */
export const handBackToAdapter: Step = async (ctx) => {
  await handBack(ctx);
  return 'done';
};
