// One Response, one Assertion as its child, Signatures only where SAML puts them, unique IDs.
import {
  NS_DS,
  NS_SAML,
  childElements,
  clip,
  descendants,
  fail,
  need,
  type ResponseCheck,
} from './context.js';
import { duplicateId } from '../signature/verify-enveloped.js';
import { attr, elementPath, type XmlElement as Element } from '../../xml/index.js';

const path = elementPath;

export const checkShape: ResponseCheck = (ctx) => {
  const response = need(ctx.response, 'the Response');
  const all = descendants(response);

  for (const el of all) {
    const name = el.localName ?? '';
    // SAML Core §6: EncryptedAssertion/EncryptedID/EncryptedAttribute need our decryption
    // key, which the bridge does not configure yet; refused, never skipped over.
    if (el.namespaceURI === NS_SAML && name.startsWith('Encrypted')) {
      return fail('ENCRYPTED_UNSUPPORTED', `${name} at ${path(el)}: encrypted upstream assertions are not supported`);
    }
  }

  /*
   * The Somorovsky et al. wrapping layouts (XSW1–XSW8, as SAML Raider builds them) all move the
   * signed element or a forged copy somewhere a careless reader still finds it: inside another
   * Response, inside a Signature or its Object, inside Extensions, inside the other Assertion.
   * SAML Core §3.2.2 and §3.3.3 leave only one place for an Assertion: a child of the Response.
   * Any element named Response or Assertion, in whatever namespace, elsewhere is refused.
   */
  for (const el of all) {
    if (el === response) continue;
    if (el.localName === 'Response') return fail('WRAPPING', `a second Response at ${path(el)}`);
    if (el.localName === 'Assertion' && (el.parentNode !== response || el.namespaceURI !== NS_SAML)) {
      return fail('WRAPPING', `an Assertion at ${path(el)}`);
    }
  }

  const assertions = childElements(response).filter((el) => el.localName === 'Assertion');

  /*
   * XML-DSig enveloped signatures sit inside what they sign; SAML Core §5.4.1 has them as a
   * child of the signed Response or Assertion (after Issuer). A Signature anywhere else is either
   * junk or a signature lent to a different element.
   */
  const signatureParents = new Set<Element>();
  for (const el of all) {
    if (el.localName !== 'Signature' || el.namespaceURI !== NS_DS) continue;
    const parent = el.parentNode as Element | null;
    if (parent === null || (parent !== response && !assertions.includes(parent))) {
      return fail('WRAPPING', `a Signature at ${path(el)}`);
    }
    if (signatureParents.has(parent)) return fail('WRAPPING', `two Signatures in ${path(parent)}`);
    signatureParents.add(parent);
  }

  // Unique across ID, Id and id: see duplicateId (the duplicate-id form of signature wrapping).
  const duplicate = duplicateId(all);
  if (duplicate !== undefined) return fail('WRAPPING', `duplicate ID ${clip(duplicate.id)} (at ${path(duplicate.element)})`);

  // SAML Profiles §4.1.4.2 lets a Response carry several assertions; we read exactly one, so a
  // second one (signed or not) is refused instead of choosing between them.
  if (assertions.length === 0) return fail('MALFORMED', 'the Response carries no Assertion');
  if (assertions.length > 1) return fail('MULTIPLE_ASSERTIONS', `the Response carries ${assertions.length} Assertions`);
  const assertion = assertions[0] as Element;
  if (attr(assertion, 'Version') !== '2.0') return fail('MALFORMED', 'Assertion Version is not 2.0');

  ctx.receivedAssertion = assertion;
  ctx.responseSignature = childElements(response).find((el) => el.localName === 'Signature' && el.namespaceURI === NS_DS) ?? null;
  ctx.assertionSignature = childElements(assertion).find((el) => el.localName === 'Signature' && el.namespaceURI === NS_DS) ?? null;
  return undefined;
};
