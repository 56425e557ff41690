// The Assertion is signed; every Signature has one Reference to its parent, with only the
// algorithms and transforms we allow.
import type { Element } from '@xmldom/xmldom';
import { NS_DS, childElements, clip, fail, need, type ResponseCheck, type UpstreamFailure } from './context.js';

export const ALG_EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
export const ALG_EXC_C14N_COMMENTS = 'http://www.w3.org/2001/10/xml-exc-c14n#WithComments';
export const ALG_ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';

/*
 * SAML Core §5.4.3 and §5.4.4: exclusive canonicalisation, with the enveloped-signature
 * transform and at most an exclusive C14N transform after it. Inclusive C14N 1.0 drags the
 * ancestors' namespace context into the digest; XSLT and XPath transforms (XML-DSig §6.6.3,
 * §6.6.5) run attacker-chosen programs before the signature is even checked (SAML Raider's
 * XSLT test, CVE-2021-40690 in Santuario). None of them is accepted.
 */
export const CANONICALIZATIONS = new Set([ALG_EXC_C14N, ALG_EXC_C14N_COMMENTS]);

/** RFC 6931 §2.3.2: RSA with SHA-256 or SHA-512 (the two xml-crypto verifies); DESIGN.md refuses SHA-1. */
export const SIGNATURE_METHODS = new Set([
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512',
]);
export const DIGEST_METHODS = new Set(['http://www.w3.org/2001/04/xmlenc#sha256', 'http://www.w3.org/2001/04/xmlenc#sha512']);

const SHA1_SIGNATURE = 'http://www.w3.org/2000/09/xmldsig#rsa-sha1';
const SHA1_DIGEST = 'http://www.w3.org/2000/09/xmldsig#sha1';

function dsChildren(el: Element): Element[] | undefined {
  const kids = childElements(el);
  return kids.every((k) => k.namespaceURI === NS_DS) ? kids : undefined;
}

function names(els: readonly Element[]): string {
  return els.map((e) => e.localName ?? '?').join(',');
}

/** The form of one enveloped Signature over `signed`; undefined when it is acceptable. */
export function checkSignatureForm(signature: Element, signed: Element, what: string): UpstreamFailure | undefined {
  /*
   * XML-DSig §4.1: SignedInfo, SignatureValue, KeyInfo?, Object*. Object is where XSW6 and XSW8
   * hide the original assertion; KeyInfo is allowed but never read (the key is pinned).
   */
  const parts = dsChildren(signature);
  const layout = parts === undefined ? '' : names(parts);
  if (layout !== 'SignedInfo,SignatureValue' && layout !== 'SignedInfo,SignatureValue,KeyInfo') {
    return fail('WRAPPING', `the ${what} Signature holds ${parts === undefined ? 'foreign elements' : layout}`);
  }
  const [signedInfo, signatureValue] = parts as [Element, Element];
  if ((signatureValue.textContent ?? '').trim() === '') return fail('SIGNATURE_INVALID', `the ${what} SignatureValue is empty`);

  const infoParts = dsChildren(signedInfo);
  if (infoParts === undefined || names(infoParts) !== 'CanonicalizationMethod,SignatureMethod,Reference') {
    return fail('WRAPPING', `the ${what} SignedInfo must hold exactly one Reference (has ${infoParts === undefined ? 'foreign elements' : names(infoParts)})`);
  }
  const [c14n, method, reference] = infoParts as [Element, Element, Element];

  const c14nAlg = c14n.getAttribute('Algorithm') ?? '';
  if (!CANONICALIZATIONS.has(c14nAlg) || childElements(c14n).length > 0) {
    return fail('TRANSFORM', `the ${what} SignedInfo canonicalisation ${clip(c14nAlg)} is not exclusive C14N`);
  }
  const sigAlg = method.getAttribute('Algorithm') ?? '';
  if (sigAlg === SHA1_SIGNATURE) return fail('SHA1', `the ${what} is signed with rsa-sha1`);
  if (!SIGNATURE_METHODS.has(sigAlg)) return fail('ALGORITHM', `the ${what} signature method ${clip(sigAlg)} is not accepted`);

  /*
   * SAML Core §5.4.2: the Reference URI is "#" followed by the ID of the signed element, which
   * here must be the element the Signature is enveloped in. A Reference to anything else (an
   * empty URI, an XPointer, another element's id) is how a signature is lent to other content.
   */
  const id = signed.getAttribute('ID') ?? '';
  const uri = reference.getAttribute('URI');
  if (id === '' || uri !== `#${id}`) {
    return fail('WRAPPING', `the ${what} Signature references ${clip(uri)}, not its own ${what} ${clip(id)}`);
  }

  const refParts = dsChildren(reference);
  if (refParts === undefined || names(refParts) !== 'Transforms,DigestMethod,DigestValue') {
    return fail('TRANSFORM', `the ${what} Reference must hold Transforms, DigestMethod, DigestValue (has ${refParts === undefined ? 'foreign elements' : names(refParts)})`);
  }
  const [transforms, digestMethod] = refParts as [Element, Element, Element];
  const transformList = childElements(transforms);
  const algs = transformList.map((t) => (t.namespaceURI === NS_DS && t.localName === 'Transform' ? (t.getAttribute('Algorithm') ?? '') : '(foreign)'));
  if (algs.length !== 2 || algs[0] !== ALG_ENVELOPED || !CANONICALIZATIONS.has(algs[1] as string)) {
    return fail('TRANSFORM', `the ${what} Reference transforms ${clip(algs.join(' '), 300)} are not enveloped-signature + exclusive C14N`);
  }
  // The enveloped transform takes no parameters; exc-c14n only an InclusiveNamespaces PrefixList.
  const [enveloped, exc] = transformList as [Element, Element];
  const excParams = childElements(exc);
  if (
    childElements(enveloped).length > 0 ||
    excParams.length > 1 ||
    (excParams.length === 1 && (excParams[0] as Element).localName !== 'InclusiveNamespaces')
  ) {
    return fail('TRANSFORM', `the ${what} Reference transforms carry unexpected parameters`);
  }

  const digestAlg = digestMethod.getAttribute('Algorithm') ?? '';
  if (digestAlg === SHA1_DIGEST) return fail('SHA1', `the ${what} digest is SHA-1`);
  if (!DIGEST_METHODS.has(digestAlg)) return fail('ALGORITHM', `the ${what} digest method ${clip(digestAlg)} is not accepted`);
  return undefined;
}

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
