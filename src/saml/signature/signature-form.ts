/**
 * The form of an enveloped XML Signature, checked before any cryptography: one Reference to the
 * element the Signature sits in, the listed algorithms and transforms only, nothing hidden in
 * the Signature. Every element is found by namespace and local name, never by prefix.
 */
import { attr, childElements, type XmlElement } from '../../xml/index.js';
import { ALG_ENVELOPED, CANONICALIZATIONS, DIGEST_METHODS, SHA1_DIGEST, SHA1_SIGNATURES, SIGNATURE_METHODS } from './algorithms.js';
import { clip } from '../../kit/clip.js';
import { signatureFailure, type SignatureFailure } from './failure.js';

export const NS_DS = 'http://www.w3.org/2000/09/xmldsig#';

function dsChildren(el: XmlElement): XmlElement[] | undefined {
  const kids = childElements(el);
  return kids.every((k) => k.namespaceURI === NS_DS) ? kids : undefined;
}

function names(els: readonly XmlElement[]): string {
  return els.map((e) => e.localName).join(',');
}

/** The enveloped Signature children of `el` (XML-DSig namespace, any prefix). */
export function signaturesOf(el: XmlElement): XmlElement[] {
  return childElements(el).filter((k) => k.namespaceURI === NS_DS && k.localName === 'Signature');
}

/** The form of one enveloped Signature over `signed`; undefined when it is acceptable. `what` names the element in messages. */
export function checkSignatureForm(signature: XmlElement, signed: XmlElement, what: string): SignatureFailure | undefined {
  /*
   * XML-DSig §4.1: SignedInfo, SignatureValue, KeyInfo?, Object*. Object is where XSW6 and XSW8
   * hide the original assertion; KeyInfo is allowed but never read (the key is pinned).
   */
  const parts = dsChildren(signature);
  const layout = parts === undefined ? '' : names(parts);
  if (layout !== 'SignedInfo,SignatureValue' && layout !== 'SignedInfo,SignatureValue,KeyInfo') {
    return signatureFailure('WRAPPING', `the ${what} Signature holds ${parts === undefined ? 'foreign elements' : layout}`);
  }
  const [signedInfo, signatureValue] = parts as [XmlElement, XmlElement];
  if ((signatureValue.textContent ?? '').trim() === '') return signatureFailure('SIGNATURE_INVALID', `the ${what} SignatureValue is empty`);

  const infoParts = dsChildren(signedInfo);
  if (infoParts === undefined || names(infoParts) !== 'CanonicalizationMethod,SignatureMethod,Reference') {
    return signatureFailure('WRAPPING', `the ${what} SignedInfo must hold exactly one Reference (has ${infoParts === undefined ? 'foreign elements' : names(infoParts)})`);
  }
  const [c14n, method, reference] = infoParts as [XmlElement, XmlElement, XmlElement];

  const c14nAlg = attr(c14n, 'Algorithm') ?? '';
  if (!CANONICALIZATIONS.has(c14nAlg) || childElements(c14n).length > 0) {
    return signatureFailure('TRANSFORM', `the ${what} SignedInfo canonicalisation ${clip(c14nAlg)} is not exclusive C14N`);
  }
  const sigAlg = attr(method, 'Algorithm') ?? '';
  if (SHA1_SIGNATURES.has(sigAlg)) return signatureFailure('SHA1', `the ${what} is signed with ${clip(sigAlg)} (SHA-1)`);
  if (!SIGNATURE_METHODS.has(sigAlg)) return signatureFailure('ALGORITHM', `the ${what} signature method ${clip(sigAlg)} is not accepted (RSA-SHA256 or RSA-SHA512)`);

  /*
   * SAML Core §5.4.2: the Reference URI is "#" followed by the ID of the signed element, which
   * here must be the element the Signature is enveloped in. A Reference to anything else (an
   * empty URI, an XPointer, another element's id) is how a signature is lent to other content.
   */
  const id = attr(signed, 'ID') ?? '';
  const uri = attr(reference, 'URI');
  if (id === '' || uri !== `#${id}`) {
    return signatureFailure('WRAPPING', `the ${what} Signature references ${clip(uri)}, not its own ${what} ${clip(id)}`);
  }

  const refParts = dsChildren(reference);
  if (refParts === undefined || names(refParts) !== 'Transforms,DigestMethod,DigestValue') {
    return signatureFailure('TRANSFORM', `the ${what} Reference must hold Transforms, DigestMethod, DigestValue (has ${refParts === undefined ? 'foreign elements' : names(refParts)})`);
  }
  const [transforms, digestMethod] = refParts as [XmlElement, XmlElement, XmlElement];
  const transformList = childElements(transforms);
  const algs = transformList.map((t) => (t.namespaceURI === NS_DS && t.localName === 'Transform' ? (attr(t, 'Algorithm') ?? '') : '(foreign)'));
  if (algs.length !== 2 || algs[0] !== ALG_ENVELOPED || !CANONICALIZATIONS.has(algs[1] as string)) {
    return signatureFailure('TRANSFORM', `the ${what} Reference transforms ${clip(algs.join(' '), 300)} are not enveloped-signature + exclusive C14N`);
  }
  // The enveloped transform takes no parameters; exc-c14n only an InclusiveNamespaces PrefixList.
  const [enveloped, exc] = transformList as [XmlElement, XmlElement];
  const excParams = childElements(exc);
  if (
    childElements(enveloped).length > 0 ||
    excParams.length > 1 ||
    (excParams.length === 1 && (excParams[0] as XmlElement).localName !== 'InclusiveNamespaces')
  ) {
    return signatureFailure('TRANSFORM', `the ${what} Reference transforms carry unexpected parameters`);
  }

  const digestAlg = attr(digestMethod, 'Algorithm') ?? '';
  if (digestAlg === SHA1_DIGEST) return signatureFailure('SHA1', `the ${what} digest is SHA-1 (${clip(digestAlg)})`);
  if (!DIGEST_METHODS.has(digestAlg)) return signatureFailure('ALGORITHM', `the ${what} digest method ${clip(digestAlg)} is not accepted (SHA-256 or SHA-512)`);
  return undefined;
}
