import { denyChallenge } from './finish-challenge.js';
import type { Step } from '../challenge-context.js';

/** A challenge may be answered only until `challenge.ttlSeconds` after it began. */
export const checkExpiry: Step = async (ctx) => {
  if (ctx.challenge.expires_at > ctx.now) return 'next';
  await denyChallenge(ctx, 'EXPIRED');
  return 'done';
};
