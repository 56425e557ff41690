/**
 * Verifies an enveloped XML Signature with pinned keys only, through xml-crypto with its
 * algorithm tables cut down to ours, and hands back what the signature covers as a new parse of
 * the exact canonical bytes that were digested: whatever else the received document holds,
 * the element returned is the one that was signed.
 */
import type { KeyObject } from 'node:crypto';
import { SignedXml } from 'xml-crypto';
import { attr, parseXmlSafely, type XmlElement } from '../../xml/index.js';
import { ALG_ENVELOPED, CANONICALIZATIONS, DIGEST_METHODS, SIGNATURE_METHODS } from './algorithms.js';
import { clip } from '../../kit/clip.js';
import { signatureFailure, type SignatureFailure } from './failure.js';

export type PinnedVerification = { ok: true; signedXml: string; keyIndex: number } | SignatureFailure;

/** Keeps only the entries of one of xml-crypto's algorithm tables that we accept. */
function only<T>(table: Record<string, T>, allowed: { has(uri: string): boolean }): Record<string, T> {
  return Object.fromEntries(Object.entries(table).filter(([uri]) => allowed.has(uri)));
}

const TRANSFORMS = new Set([...CANONICALIZATIONS, ALG_ENVELOPED]);

/*
 * One xml-crypto verification per pinned key. The key is the pinned certificate's, and
 * `getCertFromKeyInfo` answers null, so a certificate carried in KeyInfo (a stranger's, in the
 * "certificate faked through KeyInfo" attack) is never used (SAML Metadata §2.4.1.1: keys come
 * from metadata). xml-crypto's own algorithm tables are cut down to ours as a second barrier
 * behind checkSignatureForm.
 */
export function verifyWithPinnedKeys(xml: string, signature: XmlElement, keys: readonly KeyObject[]): PinnedVerification {
  let detail = 'no pinned certificate';
  for (const [keyIndex, key] of keys.entries()) {
    const verifier = new SignedXml({ publicCert: key, getCertFromKeyInfo: () => null });
    verifier.SignatureAlgorithms = only(verifier.SignatureAlgorithms, SIGNATURE_METHODS);
    verifier.HashAlgorithms = only(verifier.HashAlgorithms, DIGEST_METHODS);
    verifier.CanonicalizationAlgorithms = only(verifier.CanonicalizationAlgorithms, TRANSFORMS);
    try {
      verifier.loadSignature(signature as unknown as Parameters<SignedXml['loadSignature']>[0]);
      // false: a Reference digest does not match (the content changed); a throw: the
      // SignatureValue does not verify with this key.
      if (!verifier.checkSignature(xml)) {
        return signatureFailure('SIGNATURE_INVALID', 'the digest does not match the signed content');
      }
    } catch (err) {
      detail = (err instanceof Error ? err.message : String(err)).replace(/signature value \S+/, 'signature value');
      continue;
    }
    const references = verifier.getSignedReferences();
    if (references.length !== 1) return signatureFailure('SIGNATURE_INVALID', `${references.length} signed references`);
    return { ok: true, signedXml: references[0] as string, keyIndex };
  }
  return signatureFailure('SIGNATURE_INVALID', `no pinned certificate verifies the signature (${clip(detail, 160)})`);
}

/**
 * xml-crypto 6: "use the XML that getSignedReferences() returns instead of nodes from the
 * original document". Those are the canonical octets that were digested (XML-DSig §3.2.1,
 * Reference validation), so parsing them gives exactly the element that was signed, by
 * construction. It must be the element (namespace, name, ID) the caller expected.
 */
export function readSignedElement(signedXml: string, ns: string, localName: string, id: string | null): { ok: true; element: XmlElement } | SignatureFailure {
  const reparsed = parseXmlSafely(signedXml);
  const signed = reparsed.ok ? reparsed.document.documentElement : null;
  if (signed === null || signed.namespaceURI !== ns || signed.localName !== localName || attr(signed, 'ID') !== id) {
    return signatureFailure('WRAPPING', `the signed bytes are not the ${localName} ${clip(id)}`);
  }
  return { ok: true, element: signed };
}

/*
 * The attribute names an XML-DSig library resolves `URI="#…"` against. xml-crypto looks up
 * `ID`, `Id` and `id` in any namespace, so uniqueness is enforced across all three: with two
 * elements answering to one id, the element that was digested need not be the element read
 * (the duplicate-id form of signature wrapping, "On Breaking SAML", USENIX Security 2012 §4).
 */
const ID_ATTRIBUTES = new Set(['ID', 'Id', 'id']);

/** The first id value that two of `elements` answer to, with the second element; undefined when all are unique. */
export function duplicateId(elements: readonly XmlElement[]): { id: string; element: XmlElement } | undefined {
  const seen = new Set<string>();
  for (const el of elements) {
    for (let i = 0; i < el.attributes.length; i++) {
      const attr = el.attributes.item(i);
      if (attr === null || !ID_ATTRIBUTES.has(attr.localName ?? attr.name)) continue;
      if (seen.has(attr.value)) return { id: attr.value, element: el };
      seen.add(attr.value);
    }
  }
  return undefined;
}
