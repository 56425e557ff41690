import { markVerifiedInStore } from './finish-challenge.js';
import type { Step } from '../challenge-context.js';

/**
 * Single use: only the request whose UPDATE moves the challenge out of `pending` may finish
 * it; a second host, a double submit or a replayed form affects no row and is refused. The same
 * UPDATE counts the right code's attempt on the challenge (record-attempt.ts counts wrong ones).
 */
export const markVerified: Step = async (ctx) => {
  await markVerifiedInStore(ctx, [ctx.selected!.row.kind], { countAttempt: true });
  return 'next';
};
