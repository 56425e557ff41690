import type { Method, Step } from '../challenge-context.js';
import { denyChallenge } from './finish-challenge.js';

/**
 * Without a page a channel can only ask for a typed code: methods answered in the browser
 * (WebAuthn), by an out-of-band approval ("press #") or with a PIN field are left out, and so
 * are kinds the client's policy does not allow. The method chosen when the challenge began is
 * kept for its answer (the code was sent for it); none left → denied NO_FACTOR.
 */
export function canAskHeadless(m: Method, allowed: readonly string[] | undefined): boolean {
  if (allowed && !allowed.includes(m.row.kind)) return false;
  return m.factor.renderField === undefined && m.factor.awaitsConfirmation?.(m.row) !== true && m.factor.pinRequired?.(m.row) !== true;
}

export const pickHeadlessMethod: Step = async (ctx) => {
  const io = ctx.headless;
  if (!io) throw new Error('pickHeadlessMethod belongs to the headless step tables');
  const usable = ctx.enrolling ? [] : ctx.methods.filter((m) => canAskHeadless(m, io.methods));
  const chosen = usable.find((m) => m.row.id === ctx.challenge.selected_method) ?? usable[0];
  if (!chosen) {
    await denyChallenge(ctx, 'NO_FACTOR', `no method the ${io.channel} channel can ask for`);
    return 'done';
  }
  ctx.methods = usable;
  ctx.selected = chosen;
  if (ctx.challenge.selected_method !== chosen.row.id) {
    await ctx.deps.db.updateTable('challenges').set({ selected_method: chosen.row.id }).where('id', '=', ctx.challenge.id).execute();
    ctx.challenge = { ...ctx.challenge, selected_method: chosen.row.id };
  }
  return 'next';
};
