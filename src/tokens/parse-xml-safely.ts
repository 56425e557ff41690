import { DOMParser, type Document } from '@xmldom/xmldom';

/**
 * XML from outside, parsed with no document type at all. A DTD is how XXE (external entities
 * reading local files or URLs) and "billion laughs" (nested entity expansion) get in; PSKC
 * (RFC 6030 §11) and the SAML profiles need none, so any DOCTYPE or ENTITY declaration is
 * refused before the parser sees the text, and any DocumentType or EntityReference node that
 * got through anyway is refused after (DESIGN.md: no DOCTYPE accepted in any XML).
 */

export type SafeXmlResult =
  | { ok: true; document: Document }
  | { ok: false; code: 'NOT_XML' | 'XML_DTD_FORBIDDEN'; message: string };

const DOCUMENT_TYPE_NODE = 10;
const ENTITY_REFERENCE_NODE = 5;
const ENTITY_NODE = 6;

export function parseXmlSafely(text: string): SafeXmlResult {
  // A case-insensitive match also catches spellings the parser would reject anyway; refusing
  // them here keeps the message about the DTD rather than about syntax.
  if (/<!DOCTYPE/i.test(text) || /<!ENTITY/i.test(text)) {
    return { ok: false, code: 'XML_DTD_FORBIDDEN', message: 'the document declares a DOCTYPE or an ENTITY, which is never accepted' };
  }
  if (!/^\uFEFF?\s*</.test(text)) {
    return { ok: false, code: 'NOT_XML', message: 'the file is not XML (it does not start with an element or an XML declaration)' };
  }

  let document: Document;
  try {
    // Every warning is fatal too: a document that needs the parser's repairs (an unclosed
    // tag, an unbound prefix) is not one to take secrets from.
    const parser = new DOMParser({
      onError: (level, message) => {
        throw new Error(`${level}: ${message}`);
      },
    });
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
