import { FactorgateError } from '../../kit/errors.js';
import { isSameBrowser } from '../browser-binding.js';
import type { Step } from '../challenge-context.js';

/** Only the browser that began the challenge may see or answer it: a leaked id is useless elsewhere. */
export const checkBrowser: Step = async (ctx) => {
  if (isSameBrowser(ctx.deps.cookies, ctx.req, ctx.challenge.browser_hash)) return 'next';
  ctx.log.warn({ reason: 'WRONG_BROWSER' }, 'challenge reached from a browser that did not begin it');
  await ctx.deps.audit.record({ event: 'second-factor', result: 'failure', ...ctx.auditBase, denyReason: 'WRONG_BROWSER' });
  throw new FactorgateError('CHALLENGE_WRONG_BROWSER', { detail: 'browser binding cookie missing or different' });
};
