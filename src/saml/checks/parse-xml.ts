// DOCTYPE and ENTITY are refused before parsing (XXE, entity expansion); the parse is strict.
import { attr, parseXmlSafely } from '../../xml/index.js';
import { NS_SAMLP, fail, need, type ResponseCheck } from './context.js';

export const parseXml: ResponseCheck = (ctx) => {
  const xml = need(ctx.xml, 'the decoded XML');
  /*
   * SAML Core and the profiles define no DTD, and the HTTP-POST binding has no use for one;
   * DESIGN.md: no DOCTYPE accepted in any XML. parseXmlSafely refuses it before the parser sees
   * the text and refuses any DocumentType or EntityReference node that got through anyway.
   */
  const parsed = parseXmlSafely(xml);
  if (!parsed.ok) return fail(parsed.code === 'XML_DTD_FORBIDDEN' ? 'DOCTYPE' : 'NOT_XML', parsed.message);
  const root = parsed.document.documentElement;
  if (root === null || root.namespaceURI !== NS_SAMLP || root.localName !== 'Response') {
    return fail('MALFORMED', `the root element is ${root === null ? 'absent' : `{${root.namespaceURI ?? ''}}${root.localName ?? ''}`}, not samlp:Response`);
  }
  // SAML Core §3.2.2: Version "2.0" is required; a SAML 1.x or future message is not ours to read.
  if (attr(root, 'Version') !== '2.0') return fail('MALFORMED', `Response Version ${attr(root, 'Version') ?? '(absent)'} is not 2.0`);
  ctx.document = parsed.document;
  ctx.response = root;
  return undefined;
};
