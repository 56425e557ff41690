// Our entity id is in every AudienceRestriction; no condition we do not understand.
import { NS_SAML, childElements, clip, fail, need, onlyChild, simpleText, type ResponseCheck } from './context.js';

export const checkConditions: ResponseCheck = (ctx) => {
  const signed = need(ctx.signedAssertion, 'the signed Assertion');
  const audience = ctx.expectations.audience;
  // SAML Profiles §4.1.4.2: a bearer assertion MUST carry an AudienceRestriction naming the SP.
  const conditions = onlyChild(signed, NS_SAML, 'Conditions');
  if (!conditions) return fail('AUDIENCE', conditions === null ? 'several Conditions' : 'no Conditions, so no AudienceRestriction');

  let restrictions = 0;
  for (const condition of childElements(conditions)) {
    const name = condition.namespaceURI === NS_SAML ? condition.localName : `{${condition.namespaceURI ?? ''}}${condition.localName ?? ''}`;
    switch (name) {
      case 'AudienceRestriction': {
        // SAML Core §2.5.1.4: each AudienceRestriction must include us; several must all do.
        restrictions++;
        const audiences = childElements(condition).map((a) => (a.namespaceURI === NS_SAML && a.localName === 'Audience' ? simpleText(a) : undefined));
        if (!audiences.includes(audience)) {
          return fail('AUDIENCE', `AudienceRestriction ${clip(audiences.join(' '), 200)} does not include ${clip(audience)}`);
        }
        break;
      }
      case 'OneTimeUse':
        // SAML Core §2.5.1.5: satisfied by the replay cache, which every assertion goes through.
        break;
      case 'ProxyRestriction':
        /*
         * SAML Core §2.5.1.6: limits assertions issued "on the basis of" this one. The bridge
         * does exactly that for its relying parties and cannot prove their audiences here, so
         * the restriction cannot be honoured and is refused.
         */
        return fail('CONDITION', 'ProxyRestriction forbids the bridge from asserting on the basis of this assertion');
      default:
        // SAML Core §2.5.1: a condition that is not understood makes the assertion Indeterminate.
        return fail('CONDITION', `unknown condition ${clip(name)}`);
    }
  }
  if (restrictions === 0) return fail('AUDIENCE', 'no AudienceRestriction');
  return undefined;
};
