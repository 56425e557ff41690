/**
 * Reading a parsed document by namespace and local name, never by prefix or position: the
 * small set of DOM walks every XML reader in the project shares (SAML messages and metadata,
 * PSKC). A prefix is the sender's choice; `ds:Transform` and `foo:Transform` in the XML-DSig
 * namespace are the same element, and a reader that looks for the prefix misses the second.
 */
import type { XmlElement } from './dom.js';

export const ELEMENT_NODE = 1;
export const TEXT_NODE = 3;
export const CDATA_SECTION_NODE = 4;
export const PROCESSING_INSTRUCTION_NODE = 7;
export const COMMENT_NODE = 8;

export function childElements(parent: XmlElement): XmlElement[] {
  const out: XmlElement[] = [];
  for (let node = parent.firstChild; node !== null; node = node.nextSibling) {
    if (node.nodeType === ELEMENT_NODE) out.push(node as XmlElement);
  }
  return out;
}

export function children(parent: XmlElement, ns: string, localName: string): XmlElement[] {
  return childElements(parent).filter((el) => el.namespaceURI === ns && el.localName === localName);
}

/** The only child of that name; undefined when absent, null when there are several. */
export function onlyChild(parent: XmlElement, ns: string, localName: string): XmlElement | null | undefined {
  const found = children(parent, ns, localName);
  if (found.length === 0) return undefined;
  return found.length === 1 ? found[0] : null;
}

/** Every element below `root` (root included), in document order. */
export function descendants(root: XmlElement): XmlElement[] {
  const out: XmlElement[] = [];
  const stack: XmlElement[] = [root];
  while (stack.length > 0) {
    const el = stack.pop() as XmlElement;
    out.push(el);
    const kids = childElements(el);
    for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i] as XmlElement);
  }
  return out;
}

/**
 * The character content of a simple element as XML-DSig sees it: every text (and CDATA) child
 * joined, comments and processing instructions contributing nothing. Reading only the first
 * text node is the flaw behind the `user@evil.com<!---->.example.com` NameID attack (Duo Labs,
 * 2018, CVE-2017-11427 and siblings); joining them yields the identity that was signed.
 * Undefined when the element has element children (not a simple value).
 */
export function simpleText(el: XmlElement): string | undefined {
  let text = '';
  for (let node = el.firstChild; node !== null; node = node.nextSibling) {
    if (node.nodeType === ELEMENT_NODE) return undefined;
    if (node.nodeType === TEXT_NODE || node.nodeType === CDATA_SECTION_NODE) text += (node as unknown as { data: string }).data;
  }
  return text;
}

/** The first comment or processing instruction at or below `root`, as "comment in X" / "processing instruction in X". */
export function findCommentOrInstruction(root: XmlElement): string | undefined {
  const stack: XmlElement[] = [root];
  while (stack.length > 0) {
    const el = stack.pop() as XmlElement;
    for (let node = el.firstChild; node !== null; node = node.nextSibling) {
      if (node.nodeType === COMMENT_NODE) return `a comment inside ${el.localName}`;
      if (node.nodeType === PROCESSING_INSTRUCTION_NODE) return `a processing instruction inside ${el.localName}`;
      if (node.nodeType === ELEMENT_NODE) stack.push(node as XmlElement);
    }
  }
  return undefined;
}

/** `/A/B/C`: where an element sits, by local names, for log lines. */
export function elementPath(el: XmlElement): string {
  const names: string[] = [];
  for (let node: XmlElement | null = el; node !== null && node.nodeType === ELEMENT_NODE; node = node.parentNode as XmlElement | null) {
    names.unshift(node.localName);
  }
  return '/' + names.join('/');
}

/**
 * An attribute's value, or null when the element does not carry it. xmldom 0.8 answers '' for
 * an absent attribute (DOM Level 2 behaviour), which would make "absent" and "empty" the same
 * thing: `Format=""` is not an omitted Format, and a check that tests for null must see null.
 */
export function attr(el: XmlElement, name: string): string | null {
  return el.hasAttribute(name) ? el.getAttribute(name) : null;
}

/** As `attr`, for a namespaced attribute (`xsi:nil`). */
export function attrNS(el: XmlElement, ns: string, localName: string): string | null {
  return el.hasAttributeNS(ns, localName) ? el.getAttributeNS(ns, localName) : null;
}
