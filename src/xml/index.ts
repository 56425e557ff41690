/**
 * The project's one safe XML parser and the DOM walks that read its documents. A leaf module:
 * it imports nothing else of factorgate, so the token importers, the SAML core and the adapters
 * (through the SAML core's entry) can all depend on it.
 */
export type { XmlDocument, XmlElement, XmlNode } from './dom.js';
export {
  CDATA_SECTION_NODE,
  COMMENT_NODE,
  ELEMENT_NODE,
  PROCESSING_INSTRUCTION_NODE,
  TEXT_NODE,
  attr,
  attrNS,
  childElements,
  children,
  descendants,
  elementPath,
  findCommentOrInstruction,
  onlyChild,
  simpleText,
} from './elements.js';
export { parseXmlSafely, type SafeXmlResult } from './parse-xml-safely.js';
