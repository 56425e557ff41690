/**
 * Strict parsing of inbound SAML protocol messages with @xmldom/xmldom, in place of samlify's
 * schema validator (xmllint-wasm costs ~30 ms a message and leaks listeners). What it enforces
 * is what matters for security: no DTD at all (so no entity expansion, no XXE), well-formed
 * XML with every warning treated as an error, and the expected root element; each check then
 * reads the few elements it needs by namespace and local name, never by position or prefix.
 */
import { DOMParser, type Document, type Element } from '@xmldom/xmldom';
import { SamlRejection } from './rejection.js';

export const NS_SAMLP = 'urn:oasis:names:tc:SAML:2.0:protocol';
export const NS_SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';
export const NS_DS = 'http://www.w3.org/2000/09/xmldsig#';
export const NS_MD = 'urn:oasis:names:tc:SAML:2.0:metadata';

/*
 * SAML Core §1.3 / the SAML schemas allow no DTD, and SAML security considerations (SAML Sec
 * §6.x, and every XXE advisory since) say to refuse one outright: the raw text is checked before
 * any parser sees it, so neither internal entities (billion laughs) nor external ones (XXE) are
 * ever declared.
 */
const DTD_MARKUP = /<!(?:DOCTYPE|ENTITY|ELEMENT|ATTLIST|NOTATION)/i;

export function parseStrictXml(xml: string, what: string): Document {
  if (DTD_MARKUP.test(xml)) throw new SamlRejection('DOCTYPE', `the ${what} contains a DOCTYPE or entity declaration, which SAML does not allow`);
  let doc: Document;
  try {
    doc = new DOMParser({
      onError: (level, message) => {
        throw new Error(`${level}: ${message}`);
      },
    }).parseFromString(xml, 'text/xml');
  } catch (err) {
    throw new SamlRejection('MALFORMED_XML', `the ${what} is not well-formed XML`, { detail: (err as Error).message.slice(0, 200) });
  }
  if (doc.doctype !== null || doc.documentElement === null) {
    throw new SamlRejection('MALFORMED_XML', `the ${what} is not a single XML document`);
  }
  return doc;
}

export function childElements(parent: Element, ns: string, localName: string): Element[] {
  const out: Element[] = [];
  for (let node = parent.firstChild; node !== null; node = node.nextSibling) {
    if (node.nodeType === 1) {
      const el = node as Element;
      if (el.localName === localName && el.namespaceURI === ns) out.push(el);
    }
  }
  return out;
}

/** The single child of that name; null when absent; throws when repeated (schema maxOccurs=1). */
export function onlyChild(parent: Element, ns: string, localName: string, what: string): Element | null {
  const found = childElements(parent, ns, localName);
  if (found.length > 1) throw new SamlRejection('MALFORMED_XML', `the ${what} has more than one ${localName}`);
  return found[0] ?? null;
}

export function textOf(el: Element): string {
  return (el.textContent ?? '').trim();
}

/** Every element in the document carrying this ID attribute value (to refuse duplicates). */
export function elementsWithId(doc: Document, id: string): number {
  let count = 0;
  const walk = (el: Element) => {
    if (el.getAttribute('ID') === id) count++;
    for (let n = el.firstChild; n !== null; n = n.nextSibling) if (n.nodeType === 1) walk(n as Element);
  };
  if (doc.documentElement) walk(doc.documentElement);
  return count;
}
