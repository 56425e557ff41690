// The Assertion is signed; every Signature has one Reference to its parent, with only the
// algorithms and transforms we allow (the SAML core's one signature-form check).
import { checkSignatureForm } from '../signature/signature-form.js';
import { fail, need, type ResponseCheck } from './context.js';

export const checkSignatures: ResponseCheck = (ctx) => {
  const response = need(ctx.response, 'the Response');
  const assertion = need(ctx.receivedAssertion, 'the Assertion');
  const assertionSignature = need(ctx.assertionSignature, 'the Assertion signature');
  /*
   * The identity comes from the Assertion, so the Assertion itself must be signed (SAML
   * Profiles §4.1.3.5 lets a signed Response cover it instead; we do not, so that an
   * unsigned Assertion can never ride inside a signed Response). IdPs that sign only the
   * Response by default (Keycloak, Shibboleth) must be set to sign assertions.
   */
  if (assertionSignature === null) return fail('SIGNATURE_MISSING', 'the Assertion is not signed');
  const assertionForm = checkSignatureForm(assertionSignature, assertion, 'Assertion');
  if (assertionForm !== undefined) return assertionForm;
  const responseSignature = need(ctx.responseSignature, 'the Response signature');
  if (responseSignature !== null) return checkSignatureForm(responseSignature, response, 'Response');
  return undefined;
};
