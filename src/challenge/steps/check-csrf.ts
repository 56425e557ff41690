import type { Step } from '../challenge-context.js';

/** The posted form came from our own page in this browser (signed double-submit token). */
export const checkCsrf: Step = async (ctx) => {
  ctx.deps.csrf.check(ctx.req);
  return 'next';
};
