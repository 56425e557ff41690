import { sendCode } from './send-code.js';
import type { Step } from '../challenge-context.js';

/**
 * Issue 26 item 7: a delivered method sends only when asked, except when it is the user's only
 * method — there is nothing to choose, so the first sight of the page sends, once per
 * challenge: a reload, a second tab or a failed delivery never sends again by itself (any send
 * already recorded for the challenge stops it; the send limits still apply). The page is bound
 * to the browser that began the sign-in, so no one else's GET can make it send.
 */
export const sendToOnlyMethod: Step = async (ctx) => {
  const only = ctx.methods.length === 1 && !ctx.enrolling ? ctx.methods[0]! : null;
  if (!only?.factor.send) return 'next';
  const earlier = await ctx.deps.db.selectFrom('delivery_sends').select('id').where('challenge_id', '=', ctx.challenge.id).executeTakeFirst();
  if (earlier) return 'next';
  await sendCode(ctx, only);
  return 'done';
};
