import { denyChallenge } from './finish-challenge.js';
import type { Step } from '../challenge-context.js';

/**
 * A fraud report under mode block stops the user's second factor: every challenge is denied
 * FRAUD_BLOCKED (no code sent, nothing to approve) until an admin runs `users enable`.
 */
export const checkFraudBlock: Step = async (ctx) => {
  // Read with the user by loadChallenge, earlier in this request.
  const since = ctx.userState.fraudBlockedAt;
  if (since === null) return 'next';
  await denyChallenge(ctx, 'FRAUD_BLOCKED', `blocked by a fraud report at ${new Date(since).toISOString()}`);
  return 'done';
};
