// The signatures verify with a pinned key, and the Assertion is re-read from the signed bytes.
import { readSignedElement, verifyWithPinnedKeys } from '../signature/verify-enveloped.js';
import { NS_SAML, fail, need, type ResponseCheck } from './context.js';
import { attr } from '../../xml/index.js';

export const verifySignatures: ResponseCheck = (ctx) => {
  const xml = need(ctx.xml, 'the decoded XML');
  const assertion = need(ctx.receivedAssertion, 'the Assertion');
  const assertionSignature = need(ctx.assertionSignature, 'the Assertion signature');
  const responseSignature = need(ctx.responseSignature, 'the Response signature');
  if (assertionSignature === null) return fail('SIGNATURE_MISSING', 'the Assertion is not signed');

  const verified = verifyWithPinnedKeys(xml, assertionSignature, ctx.publicKeys);
  if (!verified.ok) return fail(verified.reason, `Assertion: ${verified.detail}`);

  // The Assertion is re-read from the canonical bytes the signature covers, never from the received document.
  const signed = readSignedElement(verified.signedXml, NS_SAML, 'Assertion', attr(assertion, 'ID'));
  if (!signed.ok) return signed;

  /*
   * An optional Response signature must verify too: a broken one means the envelope
   * (Destination, InResponseTo, Status) was changed after signing.
   */
  if (responseSignature !== null) {
    const envelope = verifyWithPinnedKeys(xml, responseSignature, ctx.publicKeys);
    if (!envelope.ok) return fail(envelope.reason, `Response: ${envelope.detail}`);
  }

  ctx.signedAssertion = signed.element;
  ctx.pinnedCertificateIndex = verified.keyIndex;
  return undefined;
};
