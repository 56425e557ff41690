import { FactorgateError } from '../../kit/errors.js';
import type { PageNotice } from '../challenge-page.js';
import { showAgain } from '../show-again.js';
import type { ChallengeRequest, Method } from '../challenge-context.js';
import type { FactorSendResult } from '../../factors/factor.js';

const NOTICE: Record<Exclude<FactorSendResult, { sent: true }>['reason'], PageNotice> = {
  RESEND_TOO_SOON: 'wait',
  CHALLENGE_SEND_LIMIT: 'limit',
  USER_SEND_LIMIT: 'limit',
  DELIVERY_FAILED: 'failed',
  NO_ADDRESS: 'failed',
};

/**
 * Sends (or re-sends) a delivered code and shows the page again. Every send is audited, a
 * refusal with its reason (a limit, or the provider's answer): the user reads one short notice
 * (for "too soon", how many seconds to wait) and sees their other methods below it, the
 * operator reads why in the audit record. A send is
 * not an attempt at the code, so it never counts towards the lockout.
 */
export async function sendCode(ctx: ChallengeRequest, method: Method): Promise<void> {
  let result: FactorSendResult;
  try {
    result = await method.factor.send!({ user: ctx.user, factorRow: method.row, locale: ctx.locale, now: ctx.now, challengeId: ctx.challenge.id });
  } catch (err) {
    // A provider is expected to answer with a result; anything thrown is still the provider's
    // failure as far as the user is concerned.
    const detail = err instanceof FactorgateError ? (err.detail ?? err.code) : 'unexpected error while sending';
    result = { sent: false, reason: 'DELIVERY_FAILED', detail };
    ctx.log.error({ err, method: method.row.kind }, 'code delivery threw');
  }
  const base = { ...ctx.auditBase, method: method.row.kind, deviceToken: method.row.id };
  if (result.sent) {
    ctx.log.info({ method: method.row.kind }, 'code sent');
    ctx.deps.metrics?.challenge.delivery(method.row.kind, 'sent', '');
    await ctx.deps.audit.record({ event: 'code-delivery', result: 'success', ...base, detail: result.detail });
    await showAgain(ctx, { notice: 'sent' });
    return;
  }
  ctx.log.warn({ method: method.row.kind, reason: result.reason, detail: result.detail }, 'code not sent');
  ctx.deps.metrics?.challenge.delivery(method.row.kind, 'failed', result.reason);
  await ctx.deps.audit.record({ event: 'code-delivery', result: 'failure', ...base, denyReason: result.reason, detail: result.detail });
  const waitMs = result.reason === 'RESEND_TOO_SOON' ? result.retryAfterMs : null;
  await showAgain(ctx, { notice: NOTICE[result.reason], ...(typeof waitMs === 'number' ? { waitSeconds: Math.max(1, Math.ceil(waitMs / 1000)) } : {}) });
}
