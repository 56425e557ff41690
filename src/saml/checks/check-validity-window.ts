// Now (within the allowed skew) lies inside every time window the Assertion states.
import { NS_SAML, clip, fail, instantAttribute, need, onlyChild, type ResponseCheck } from './context.js';
import { attr } from '../../xml/index.js';

export const checkValidityWindow: ResponseCheck = (ctx) => {
  const signed = need(ctx.signedAssertion, 'the signed Assertion');
  const confirmationEnd = need(ctx.confirmationNotOnOrAfter, 'the bearer NotOnOrAfter');
  const { now, skewMs } = ctx;
  const iso = (ms: number): string => new Date(ms).toISOString();

  // SAML Core §2.3.3: IssueInstant is required; one from the future means clocks disagree
  // beyond the skew (or a forged time), and the window below cannot be trusted.
  const issued = instantAttribute(signed, 'IssueInstant');
  if (issued === null || issued === undefined) return fail('MALFORMED', `Assertion IssueInstant ${clip(attr(signed, 'IssueInstant'))} is not a UTC instant`);
  if (issued > now + skewMs) return fail('NOT_YET_VALID', `issued at ${iso(issued)}, after now ${iso(now)} + skew`);

  // SAML Core §2.5.1.2: valid when NotBefore <= now < NotOnOrAfter; both optional.
  const conditions = need(onlyChild(signed, NS_SAML, 'Conditions') ?? undefined, 'Conditions');
  const notBefore = instantAttribute(conditions, 'NotBefore');
  const conditionsEnd = instantAttribute(conditions, 'NotOnOrAfter');
  if (notBefore === undefined || conditionsEnd === undefined) return fail('MALFORMED', 'a Conditions time is not a UTC instant');
  if (notBefore !== null && now + skewMs < notBefore) return fail('NOT_YET_VALID', `NotBefore ${iso(notBefore)} is after now ${iso(now)} + skew`);
  if (conditionsEnd !== null && now - skewMs >= conditionsEnd) return fail('EXPIRED', `Conditions NotOnOrAfter ${iso(conditionsEnd)} has passed (now ${iso(now)})`);
  // SAML Profiles §4.1.4.2: the bearer NotOnOrAfter "limits the window during which the
  // assertion can be delivered".
  if (now - skewMs >= confirmationEnd) return fail('EXPIRED', `bearer NotOnOrAfter ${iso(confirmationEnd)} has passed (now ${iso(now)})`);

  ctx.notOnOrAfter = conditionsEnd === null ? confirmationEnd : Math.min(conditionsEnd, confirmationEnd);
  return undefined;
};
