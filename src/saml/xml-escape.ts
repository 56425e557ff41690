/**
 * Escaping for values written straight into canonical form. The emitter never builds a DOM:
 * it writes the bytes that Exclusive XML Canonicalization 1.0 (which defers to Canonical XML
 * 1.0 §2.3 "Processing Model" for text and attribute nodes) would produce, so the digest can be
 * taken over the written string itself.
 */
import { SamlEmitError } from './emit-error.js';

/*
 * XML 1.0 §2.2 production [2] Char: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] |
 * [#x10000-#x10FFFF]. Everything else (C0 controls, unpaired UTF-16 surrogates, U+FFFE,
 * U+FFFF) cannot appear in an XML document, not even as a character reference (WFC: Legal
 * Character), so it must be refused rather than escaped.
 */
const FORBIDDEN_CHAR =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

// Canonical XML 1.0 §2.3, text nodes: '&', '<', '>' and CR become references; nothing else.
const TEXT_SPECIAL = /[&<>\r]/g;
const TEXT_REPLACEMENT: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '\r': '&#xD;',
};

/*
 * Canonical XML 1.0 §2.3, attribute nodes: '&', '<', '"', TAB, LF, CR become references. The
 * whitespace ones must, or a parser's attribute-value normalisation (XML 1.0 §3.3.3) would
 * turn them into spaces. '>' and "'" stay literal.
 */
const ATTR_SPECIAL = /[&<"\t\n\r]/g;
const ATTR_REPLACEMENT: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '"': '&quot;',
  '\t': '&#x9;',
  '\n': '&#xA;',
  '\r': '&#xD;',
};

/*
 * xmldom (the parser under xml-crypto, node-saml and samlify) applies XML 1.1 end-of-line
 * handling (XML 1.1 §2.11) to XML 1.0 input: 0.8 turns a raw U+0085 or U+2028 into LF, 0.9
 * also U+2029. libxml2 (xmlsec1, pysaml2, OneLogin) rightly keeps them (XML 1.0 §2.11 knows
 * only CR and LF). A raw one would therefore make xml-crypto digest an LF where xmlsec1
 * digests the character, and one of them must fail. Written as character references, both
 * parsers put the character itself in the DOM and both canonicalisers write it back raw
 * (Canonical XML escapes only the characters above), so the digest is taken over the raw
 * character while the document carries the references. Checked in test/saml: the
 * canonical bytes xml-crypto computes equal ours, and xmlsec1 verifies the same documents.
 * Caveat: node-saml re-parses the canonical bytes it verified, so its profile shows LF for
 * U+0085/U+2028; the signature is unaffected.
 */
const XMLDOM_LINE_BREAKS = /[\u0085\u2028\u2029]/g;
const XMLDOM_LINE_BREAK_REFERENCE: Readonly<Record<string, string>> = {
  '\u0085': '&#x85;',
  '\u2028': '&#x2028;',
  '\u2029': '&#x2029;',
};

function refuseForbidden(value: string, field: string): void {
  const match = FORBIDDEN_CHAR.exec(value);
  if (match !== null) {
    const codePoint = match[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
    throw new SamlEmitError(
      'FORBIDDEN_CHARACTER',
      `${field} contains U+${codePoint} at index ${match.index}, which XML 1.0 forbids (XML 1.0 §2.2 Char)`,
    );
  }
}

/** The canonical form of `value` as element content. Throws on characters XML forbids. */
export function canonicalText(value: string, field: string): string {
  refuseForbidden(value, field);
  TEXT_SPECIAL.lastIndex = 0;
  return TEXT_SPECIAL.test(value) ? value.replace(TEXT_SPECIAL, (c) => TEXT_REPLACEMENT[c]!) : value;
}

/** The canonical form of `value` inside a double-quoted attribute. Throws on forbidden characters. */
export function canonicalAttribute(value: string, field: string): string {
  refuseForbidden(value, field);
  ATTR_SPECIAL.lastIndex = 0;
  return ATTR_SPECIAL.test(value) ? value.replace(ATTR_SPECIAL, (c) => ATTR_REPLACEMENT[c]!) : value;
}

/**
 * Turns canonical bytes into the bytes to send: identical except that U+0085, U+2028 and
 * U+2029 become character references (see above). Element and attribute names we write are
 * ASCII, so these characters can only sit in escaped values and a global replace is safe.
 */
export function toDocumentForm(canonical: string): string {
  XMLDOM_LINE_BREAKS.lastIndex = 0;
  return XMLDOM_LINE_BREAKS.test(canonical)
    ? canonical.replace(XMLDOM_LINE_BREAKS, (c) => XMLDOM_LINE_BREAK_REFERENCE[c]!)
    : canonical;
}
