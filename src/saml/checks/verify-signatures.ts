// The signatures verify with a pinned key, and the Assertion is re-read from the signed bytes.
import type { Element } from '@xmldom/xmldom';
import type { KeyObject } from 'node:crypto';
import { SignedXml } from 'xml-crypto';
import { parseXmlSafely } from '../../tokens/parse-xml-safely.js';
import { ALG_ENVELOPED, CANONICALIZATIONS, DIGEST_METHODS, SIGNATURE_METHODS } from './check-signature-form.js';
import { NS_SAML, clip, fail, need, type ResponseCheck } from './context.js';

type Verified = { ok: true; signedXml: string; keyIndex: number } | { ok: false; detail: string };

/** Keeps only the entries of one of xml-crypto's algorithm tables that we accept. */
function only<T>(table: Record<string, T>, allowed: ReadonlySet<string>): Record<string, T> {
  return Object.fromEntries(Object.entries(table).filter(([uri]) => allowed.has(uri)));
}

/*
 * One xml-crypto verification per pinned key. The key is the pinned certificate's, and
 * `getCertFromKeyInfo` answers null, so a certificate carried in KeyInfo (a stranger's, in the
 * "certificate faked through KeyInfo" attack) is never used (SAML Metadata §2.4.1.1: keys come
 * from metadata). xml-crypto's own algorithm tables are cut down to ours as a second barrier
 * behind check-signature-form.
 */
function verifyWithPinnedKeys(xml: string, signature: Element, keys: readonly KeyObject[]): Verified {
  let detail = 'no pinned certificate';
  for (const [keyIndex, key] of keys.entries()) {
    const verifier = new SignedXml({ publicCert: key, getCertFromKeyInfo: () => null });
    verifier.SignatureAlgorithms = only(verifier.SignatureAlgorithms, SIGNATURE_METHODS);
    verifier.HashAlgorithms = only(verifier.HashAlgorithms, DIGEST_METHODS);
    verifier.CanonicalizationAlgorithms = only(verifier.CanonicalizationAlgorithms, new Set([...CANONICALIZATIONS, ALG_ENVELOPED]));
    try {
      verifier.loadSignature(signature as unknown as Parameters<SignedXml['loadSignature']>[0]);
      // false: a Reference digest does not match (the content changed); a throw: the
      // SignatureValue does not verify with this key.
      if (!verifier.checkSignature(xml)) {
        return { ok: false, detail: 'the digest does not match the signed content' };
      }
    } catch (err) {
      detail = (err instanceof Error ? err.message : String(err)).replace(/signature value \S+/, 'signature value');
      continue;
    }
    const references = verifier.getSignedReferences();
    if (references.length !== 1) return { ok: false, detail: `${references.length} signed references` };
    return { ok: true, signedXml: references[0] as string, keyIndex };
  }
  return { ok: false, detail: `no pinned certificate verifies the signature (${clip(detail, 160)})` };
}

export const verifySignatures: ResponseCheck = (ctx) => {
  const xml = need(ctx.xml, 'the decoded XML');
  const assertion = need(ctx.receivedAssertion, 'the Assertion');
  const assertionSignature = need(ctx.assertionSignature, 'the Assertion signature');
  const responseSignature = need(ctx.responseSignature, 'the Response signature');
  if (assertionSignature === null) return fail('SIGNATURE_MISSING', 'the Assertion is not signed');

  const verified = verifyWithPinnedKeys(xml, assertionSignature, ctx.publicKeys);
  if (!verified.ok) return fail('SIGNATURE_INVALID', `Assertion: ${verified.detail}`);

  /*
   * xml-crypto 6: "use the XML that getSignedReferences() returns instead of nodes from the
   * original document". Those are the canonical octets that were digested (XML-DSig §3.2.1,
   * Reference validation), so parsing them gives exactly the assertion the IdP signed, by
   * construction, whatever else the received document holds. It must be the Assertion whose
   * id the Reference named.
   */
  const reparsed = parseXmlSafely(verified.signedXml);
  const signed = reparsed.ok ? reparsed.document.documentElement : null;
  const expectedId = assertion.getAttribute('ID');
  if (signed === null || signed.namespaceURI !== NS_SAML || signed.localName !== 'Assertion' || signed.getAttribute('ID') !== expectedId) {
    return fail('WRAPPING', `the signed bytes are not the Assertion ${clip(expectedId)}`);
  }

  /*
   * An optional Response signature must verify too: a broken one means the envelope
   * (Destination, InResponseTo, Status) was changed after signing.
   */
  if (responseSignature !== null) {
    const envelope = verifyWithPinnedKeys(xml, responseSignature, ctx.publicKeys);
    if (!envelope.ok) return fail('SIGNATURE_INVALID', `Response: ${envelope.detail}`);
  }

  ctx.signedAssertion = signed;
  ctx.pinnedCertificateIndex = verified.keyIndex;
  return undefined;
};
