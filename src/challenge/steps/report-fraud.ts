import { handBack } from './finish-challenge.js';
import type { Step } from '../challenge-context.js';

/**
 * "I didn't try to sign in" on the challenge page (field `fraud=1`, CSRF checked before): the
 * report ends this challenge (denied FRAUD_REPORTED, handed back to the adapter), is audited
 * `fraud-report`, mailed to the admins, and under mode block stops the user's second factor.
 */
export const reportFraud: Step = async (ctx) => {
  const fraud = ctx.deps.fraud;
  if (!fraud || ctx.body.fraud !== '1') return 'next';
  await fraud.report({
    user: ctx.user,
    challengeId: ctx.challenge.id,
    method: await methodKind(ctx),
    channel: 'page',
    adapter: ctx.challenge.adapter,
    relyingParty: ctx.challenge.relying_party ?? undefined,
    clientIp: ctx.req.ip,
    now: ctx.now,
  });
  ctx.challenge = { ...ctx.challenge, status: 'denied', deny_reason: 'FRAUD_REPORTED', finished_at: ctx.now };
  ctx.deps.metrics?.challenge.denied('FRAUD_REPORTED');
  await handBack(ctx);
  return 'done';
};

/** The method the page was asking for: the one chosen, else the user's default. */
async function methodKind(ctx: Parameters<Step>[0]): Promise<string | null> {
  const q = ctx.deps.db.selectFrom('factors').select('kind').where('user_id', '=', ctx.user.id).where('confirmed', '=', 1);
  const row = ctx.challenge.selected_method
    ? await q.where('id', '=', ctx.challenge.selected_method).executeTakeFirst()
    : await q.orderBy('is_default', 'desc').orderBy('created_at').executeTakeFirst();
  return row?.kind ?? null;
}
