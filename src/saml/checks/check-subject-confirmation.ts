// A bearer SubjectConfirmation whose Recipient is our ACS URL, with a NotOnOrAfter and no NotBefore.
import type { XmlElement as Element } from '../../xml/index.js';
import { NS_SAML, children, clip, fail, instantAttribute, need, onlyChild, type ResponseCheck } from './context.js';
import { attr } from '../../xml/index.js';

const CM_BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';

export const checkSubjectConfirmation: ResponseCheck = (ctx) => {
  const signed = need(ctx.signedAssertion, 'the signed Assertion');
  const subject = onlyChild(signed, NS_SAML, 'Subject');
  if (!subject) return fail('MALFORMED', 'the Assertion has no single Subject');

  /*
   * SAML Profiles §4.1.4.2: at least one bearer SubjectConfirmation whose
   * SubjectConfirmationData has Recipient = the ACS URL and a NotOnOrAfter, and no NotBefore.
   * Other confirmations (holder-of-key, sender-vouches) say nothing to a browser SSO SP.
   */
  const bearers = children(subject, NS_SAML, 'SubjectConfirmation').filter((c) => attr(c, 'Method') === CM_BEARER);
  if (bearers.length === 0) return fail('RECIPIENT', 'no bearer SubjectConfirmation');
  const data = bearers.map((c) => onlyChild(c, NS_SAML, 'SubjectConfirmationData'));
  const matching = data.filter((d): d is Element => !!d && attr(d, 'Recipient') === ctx.expectations.acsUrl);
  if (matching.length === 0) {
    const seen = data.map((d) => (d ? clip(attr(d, 'Recipient')) : '(no data)')).join(' ');
    return fail('RECIPIENT', `bearer Recipient ${seen} is not ${clip(ctx.expectations.acsUrl)}`);
  }
  if (matching.length > 1) return fail('MALFORMED', 'several bearer confirmations name our ACS URL');
  const confirmation = matching[0] as Element;
  if (confirmation.hasAttribute('NotBefore')) return fail('MALFORMED', 'bearer SubjectConfirmationData carries NotBefore (SAML Profiles §4.1.4.2)');
  const notOnOrAfter = instantAttribute(confirmation, 'NotOnOrAfter');
  if (notOnOrAfter === null || notOnOrAfter === undefined) {
    return fail('MALFORMED', `bearer SubjectConfirmationData NotOnOrAfter ${clip(attr(confirmation, 'NotOnOrAfter'))} is missing or not a UTC instant`);
  }
  ctx.confirmationNotOnOrAfter = notOnOrAfter;
  ctx.confirmationInResponseTo = attr(confirmation, 'InResponseTo');
  return undefined;
};
