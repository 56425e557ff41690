import type { Step } from '../challenge-context.js';

/** The method's own check of the typed code (for TOTP: RFC 6238 within the configured window). */
export const verifyCode: Step = async (ctx) => {
  const method = ctx.selected!;
  const code = typeof ctx.body.code === 'string' ? ctx.body.code.trim() : '';
  ctx.verdict = await method.factor.verify({ user: ctx.user, factorRow: method.row, code, now: ctx.now });
  return 'next';
};
