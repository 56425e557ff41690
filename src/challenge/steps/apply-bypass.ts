import { handBack, markVerifiedInStore } from './finish-challenge.js';
import type { Step } from '../challenge-context.js';
import { preparedOn } from '../../store/prepared-query.js';

/**
 * A one-time bypass granted by the help desk (issue 18) lets exactly one sign-in skip the
 * second factor before it expires. The claim is one UPDATE that names the unused row, so two
 * challenges (two tabs, two hosts) racing for one bypass see one winner; the other is asked
 * for a factor as usual. Runs after regulation: a disabled or locked user is not let through.
 * The outcome says `multiFactor: false` (no factor was checked, and a SAML adapter asserts
 * password only); the audit record is `bypass-used` with the admin who granted it.
 */
export const applyBypass: Step = async (ctx) => {
  // loadChallenge read whether one awaits (the usual answer: none, and no statement here).
  if (!ctx.userState.bypassPending) return 'next';
  const { db } = ctx.deps;
  const grant = (
    await preparedOn<{ userId: string; now: number }, { id: string; granted_by: string; reason: string; expires_at: number }>(db, 'unused bypass of user', (q, p) =>
      q
        .selectFrom('user_bypasses')
        .select(['id', 'granted_by', 'reason', 'expires_at'])
        .where('user_id', '=', p('userId'))
        .where('used_at', 'is', null)
        .where('expires_at', '>', p('now'))
        .orderBy('expires_at', 'desc')
        .limit(1),
    ).run({ userId: ctx.user.id, now: ctx.now })
  ).rows[0];
  if (!grant) return 'next';
  const claimed = await db
    .updateTable('user_bypasses')
    .set({ used_at: ctx.now, challenge_id: ctx.challenge.id })
    .where('id', '=', grant.id)
    .where('used_at', 'is', null)
    .where('expires_at', '>', ctx.now)
    .executeTakeFirst();
  if (Number(claimed.numUpdatedRows) !== 1) return 'next';
  await markVerifiedInStore(ctx, []);
  ctx.log.info({ grantedBy: grant.granted_by }, 'challenge passed by a one-time bypass');
  await ctx.deps.audit.record({
    event: 'bypass-used',
    result: 'success',
    ...ctx.auditBase,
    method: 'bypass',
    detail: JSON.stringify({ grantedBy: grant.granted_by, reason: grant.reason, expiresAt: new Date(grant.expires_at).toISOString() }),
  });
  await handBack(ctx);
  return 'done';
};
