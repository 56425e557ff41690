import { reserveAttempt as reserveInStore } from '../lockout.js';
import { denyChallenge } from './finish-challenge.js';
import type { Step } from '../challenge-context.js';

/**
 * An attempt is taken from the user's lockout budget before the code is looked at, in one
 * conditional UPDATE every host shares: parallel guesses cannot all slip past `checkLockout`
 * and be judged. With no try left the challenge is denied LOCKED, the code never examined.
 */
export const reserveAttempt: Step = async (ctx) => {
  const reservation = await reserveInStore(ctx.deps.db, ctx.user.id, ctx.now, ctx.deps.config.challenge.lockout);
  if (reservation.reserved) {
    ctx.reservation = reservation;
    return 'next';
  }
  const until = reservation.lockedUntil;
  await denyChallenge(ctx, 'LOCKED', until === null ? 'no attempt left' : `locked until ${new Date(until).toISOString()}`);
  return 'done';
};
