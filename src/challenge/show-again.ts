import { renderChallengePage, type PageOptions } from './challenge-page.js';
import type { ChallengeRequest } from './challenge-context.js';

/**
 * The challenge goes on (a refused code, a code sent, an approval still awaited): the browser
 * gets the page again; a headless channel gets the prompt of the method, to ask for the code
 * in its own way (RADIUS: an Access-Challenge whose Reply-Message is this prompt).
 */
export async function showAgain(ctx: ChallengeRequest, opts: PageOptions = {}): Promise<void> {
  if (!ctx.headless) {
    await renderChallengePage(ctx, opts);
    return;
  }
  const method = ctx.selected ?? ctx.methods[0];
  if (!method) throw new Error('showAgain needs a method to ask for');
  ctx.answer = {
    status: 'code-needed',
    challengeId: ctx.challenge.id,
    method: method.row.kind,
    prompt: method.factor.prompt(ctx.locale, method.row),
    sent: opts.notice === 'sent',
    failed: opts.failed === true,
    notice: opts.notice,
  };
}
