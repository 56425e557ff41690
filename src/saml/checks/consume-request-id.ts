// InResponseTo names an AuthnRequest we sent and have not seen answered yet; it is used up.
import { clip, fail, need, type ResponseCheck } from './context.js';

/*
 * SAML Profiles §4.1.4.3: the InResponseTo must match an outstanding request. Consuming it
 * makes each request answerable once, so a second Response to the same request (even a
 * genuine, freshly signed one) is refused.
 */
export const consumeRequestId: ResponseCheck = async (ctx) => {
  const result = need(ctx.result, 'the read assertion');
  if (!(await ctx.expectations.consumeRequestId(result.inResponseTo))) {
    return fail('IN_RESPONSE_TO', `InResponseTo ${clip(result.inResponseTo)} is not an outstanding request of ours (unknown or already answered)`);
  }
  return undefined;
};
