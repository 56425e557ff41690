import { lockState } from '../lockout.js';
import { denyChallenge } from './finish-challenge.js';
import type { Step } from '../challenge-context.js';

/**
 * Regulation first (Authelia's order): a disabled or locked user is denied before any code is
 * looked at, so a locked account gives an attacker no oracle. The adapter shows the lock page
 * (`pages.denied`: until when, and the help desk), reached only after a right password; a
 * disabled user gets the neutral page. The reason goes to the log and the audit record.
 */
export const checkLockout: Step = async (ctx) => {
  if (ctx.user.disabled) {
    await denyChallenge(ctx, 'USER_DISABLED');
    return 'done';
  }
  const lock = await lockState(ctx.deps.db, ctx.user.id, ctx.userState.lockedUntil, ctx.now);
  if (!lock.locked) return 'next';
  await denyChallenge(ctx, 'LOCKED', `locked until ${new Date(lock.until).toISOString()}`);
  return 'done';
};
