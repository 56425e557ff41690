import { challengePath } from '../challenge-page.js';
import { sendCode } from './send-code.js';
import type { Step } from '../challenge-context.js';
import { seeOther } from '../../http/see-other.js';

/**
 * The `method` field names one of the user's methods (its factor id). Posted without a code it
 * only switches method, then shows the page again: choosing a method to look at it never sends
 * (issue 26 item 7); `send` asks for a (new) code for the current method, so sending is always
 * a second, deliberate click. `confirm` goes on to check an approval that arrives out of band
 * ("press #"). During enrolment the new method is the only one.
 */
export const selectMethod: Step = async (ctx) => {
  const wanted = typeof ctx.body.method === 'string' ? ctx.body.method : undefined;
  const chosen = ctx.enrolling ? undefined : ctx.methods.find((m) => m.row.id === wanted);
  // The method the page showed (the stored choice, else the default).
  const shown = ctx.selected!;
  if (chosen) ctx.selected = chosen;
  const code = typeof ctx.body.code === 'string' ? ctx.body.code.trim() : '';
  if (code !== '') return 'next';
  const selected = ctx.selected!;
  if (ctx.body.confirm === '1' && selected.factor.awaitsConfirmation?.(selected.row)) return 'next';

  if (chosen !== undefined && chosen.row.id !== ctx.challenge.selected_method) {
    await ctx.deps.db.updateTable('challenges').set({ selected_method: chosen.row.id }).where('id', '=', ctx.challenge.id).execute();
  }
  const switched = chosen !== undefined && chosen.row.id !== shown.row.id;
  if (selected.factor.send && !ctx.enrolling && !switched && ctx.body.send === '1') {
    await sendCode(ctx, selected);
    return 'done';
  }
  // An empty submission is not an attempt: nothing was guessed, nothing is counted.
  const lang = ctx.req.query?.lang;
  seeOther(ctx.res, challengePath(ctx, lang === 'en' || lang === 'fr' ? lang : undefined));
  return 'done';
};
