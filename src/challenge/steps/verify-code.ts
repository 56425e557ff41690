import { showAgain } from '../show-again.js';
import { releaseAttempt } from '../lockout.js';
import type { Step } from '../challenge-context.js';

/**
 * The method's own check of the typed code (for TOTP: RFC 6238 within the configured window;
 * for a delivered code: the one sent for this very challenge). An approval still awaited out
 * of band is not an attempt: the page is shown again and the reserved try is given back.
 */
export const verifyCode: Step = async (ctx) => {
  const method = ctx.selected!;
  const code = typeof ctx.body.code === 'string' ? ctx.body.code.trim() : '';
  const pin = typeof ctx.body.pin === 'string' ? ctx.body.pin : undefined;
  ctx.verdict = await method.factor.verify({ user: ctx.user, factorRow: method.row, code, now: ctx.now, challengeId: ctx.challenge.id, pin });
  if (!ctx.verdict.ok && ctx.verdict.reason === 'PENDING') {
    if (ctx.reservation) await releaseAttempt(ctx.deps.db, ctx.user.id, ctx.deps.config.challenge.lockout);
    ctx.reservation = null;
    await showAgain(ctx, { notice: 'pending' });
    return 'done';
  }
  return 'next';
};
