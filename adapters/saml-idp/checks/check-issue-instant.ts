// The request was issued recently: an old one (or one from the far future) is refused.
import { SamlRejection } from '../rejection.js';
import { need, type RequestCheck } from './context.js';

export const checkIssueInstant: RequestCheck = (ctx) => {
  const instant = need(ctx.issueInstant, 'the issue instant');
  // SAML Core §3.2.1 leaves freshness to the recipient; bounding it also bounds how long a
  // request ID must stay in the replay cache.
  if (Math.abs(ctx.now - instant) > ctx.idp.requestMaxAgeMs) {
    throw new SamlRejection('STALE_REQUEST', `the request was issued at ${new Date(instant).toISOString()}, outside the accepted window`, {
      relyingParty: ctx.rp?.name,
    });
  }
};
