import { clearFailures } from '../lockout.js';
import { showAgain } from '../show-again.js';
import { countAttempt, denyChallenge } from './finish-challenge.js';
import type { Step } from '../challenge-context.js';

/**
 * Every attempt is counted on the challenge and audited, success or not: a wrong code here, a
 * right one by the UPDATE that decides the challenge (mark-verified.ts), or, when that UPDATE
 * finds the challenge decided or expired, just before CHALLENGE_USED. A failure stays counted
 * in the user's consecutive failures (reserved before verifying: the lockout every host sees); a
 * success clears them. A failure shows the one neutral message; the reason (MISMATCH, REPLAY, MALFORMED, …) goes only to log and audit.
 * Neither the code nor the secret is ever written anywhere.
 */
export const recordAttempt: Step = async (ctx) => {
  const { db, audit } = ctx.deps;
  const method = ctx.selected!;
  const verdict = ctx.verdict!;
  const base = { ...ctx.auditBase, method: method.row.kind, deviceToken: method.row.id };

  if (verdict.ok) {
    await clearFailures(db, ctx.user.id);
    ctx.deps.metrics?.challenge.attempt(method.row.kind, 'success', '');
    await audit.record({ event: 'second-factor', result: 'success', ...base });
    return 'next';
  }

  await countAttempt(ctx);
  // Counted when reserved (reserve-attempt.ts), before the code was looked at.
  const { failures, lockedUntil } = ctx.reservation!;
  ctx.log.warn({ reason: verdict.reason, failures, method: method.row.kind }, 'second factor refused');
  ctx.deps.metrics?.challenge.attempt(method.row.kind, 'failure', verdict.reason);
  await audit.record({
    event: 'second-factor',
    result: 'failure',
    ...base,
    denyReason: verdict.reason,
    detail: `FACTOR_FAILED; consecutive failures: ${failures}`,
  });
  if (lockedUntil !== null && lockedUntil > ctx.now) {
    ctx.deps.metrics?.challenge.lockout();
    await denyChallenge(ctx, 'LOCKED', `locked until ${new Date(lockedUntil).toISOString()} after ${failures} consecutive failures`);
    return 'done';
  }
  await showAgain(ctx, { failed: true });
  return 'done';
};
