import { DOMParser } from '@xmldom/xmldom';
import type { XmlDocument } from './dom.js';

/**
 * The one way XML from outside is parsed (PSKC token files, SAML messages, SAML metadata):
 * with no document type at all. A DTD is how XXE (external entities reading local files or
 * URLs) and "billion laughs" (nested entity expansion) get in; PSKC (RFC 6030 §11) and the SAML
 * schemas need none, so any DOCTYPE, ENTITY, ELEMENT, ATTLIST or NOTATION declaration is
 * refused before the parser sees the text, and any DocumentType or EntityReference node that
 * got through anyway is refused after (DESIGN.md: no DOCTYPE accepted in any XML).
 */

export type SafeXmlResult =
  | { ok: true; document: XmlDocument }
  | { ok: false; code: 'NOT_XML' | 'XML_DTD_FORBIDDEN'; message: string };

const DTD_MARKUP = /<!(?:DOCTYPE|ENTITY|ELEMENT|ATTLIST|NOTATION)/i;
const DOCUMENT_TYPE_NODE = 10;
const ENTITY_REFERENCE_NODE = 5;
const ENTITY_NODE = 6;

export function parseXmlSafely(text: string): SafeXmlResult {
  // A case-insensitive match also catches spellings the parser would reject anyway; refusing
  // them here keeps the message about the DTD rather than about syntax.
  if (DTD_MARKUP.test(text)) {
    return { ok: false, code: 'XML_DTD_FORBIDDEN', message: 'the document declares a DOCTYPE or an ENTITY, which is never accepted' };
  }
  if (!/^\uFEFF?\s*</.test(text)) {
    return { ok: false, code: 'NOT_XML', message: 'the file is not XML (it does not start with an element or an XML declaration)' };
  }

  let document: XmlDocument;
  try {
    // Every warning is fatal too: a document that needs the parser's repairs (an unclosed
    // tag, an unbound prefix, a second root element) is not one to take secrets from.
    const refuse = (message: string) => {
      throw new Error(message.replace(/^\[xmldom \w+\]\s*/, ''));
    };
    const parser = new DOMParser({ locator: {}, errorHandler: { warning: refuse, error: refuse, fatalError: refuse } });
    document = parser.parseFromString(text, 'text/xml');
  } catch (err) {
    const detail = err instanceof Error ? err.message.split('\n')[0] : String(err);
    return { ok: false, code: 'NOT_XML', message: `the file is not well-formed XML: ${detail}` };
  }
  if (!document.documentElement) {
    return { ok: false, code: 'NOT_XML', message: 'the file has no root element' };
  }

  const stack: Array<{ nodeType: number; childNodes?: ArrayLike<unknown> | null }> = [document];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (node.nodeType === DOCUMENT_TYPE_NODE || node.nodeType === ENTITY_REFERENCE_NODE || node.nodeType === ENTITY_NODE) {
      return { ok: false, code: 'XML_DTD_FORBIDDEN', message: 'the document contains a document type or entity node' };
    }
    const children = node.childNodes;
    if (children) for (let i = 0; i < children.length; i++) stack.push(children[i] as (typeof stack)[number]);
  }
  return { ok: true, document };
}
