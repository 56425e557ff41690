// One well-formed document without DTD, whose root is the SAML 2.0 message this endpoint takes, with an xs:ID.
import { attr, parseXmlSafely } from '../../xml/index.js';
import { clip } from '../../kit/clip.js';
import { NS_SAMLP, refuse, type RequestCheck } from './context.js';

/* xs:ID is an NCName (SAML Core §1.3.4); the cap keeps it out of pages and logs whole. */
const NCNAME_ID = /^[A-Za-z_][A-Za-z0-9_.-]{0,255}$/;

export const parseRequest: RequestCheck = (ctx) => {
  const { kind } = ctx.expectations;
  /*
   * SAML Core and the bindings define no DTD; DESIGN.md: no DOCTYPE accepted in any XML. The
   * project's one parser refuses it before parsing (XXE, entity expansion) and treats every
   * parser warning as an error.
   */
  const parsed = parseXmlSafely(ctx.message.xml);
  if (!parsed.ok) return refuse(ctx, parsed.code === 'XML_DTD_FORBIDDEN' ? 'DOCTYPE' : 'MALFORMED_XML', `the ${kind} ${parsed.code === 'XML_DTD_FORBIDDEN' ? 'contains a DOCTYPE or entity declaration, which SAML does not allow' : `is not well-formed XML: ${parsed.message}`}`);
  const root = parsed.document.documentElement!;
  if (root.namespaceURI !== NS_SAMLP || root.localName !== kind) {
    return refuse(ctx, 'WRONG_MESSAGE', `expected a ${kind}, received ${clip(root.localName, 40)}`);
  }
  // SAML Core §3.2.1: Version must be "2.0"; other versions are refused, not guessed at.
  if (attr(root, 'Version') !== '2.0') return refuse(ctx, 'BAD_VERSION', `the ${kind} is not SAML 2.0 (Version must be 2.0)`);
  if (!NCNAME_ID.test(attr(root, 'ID') ?? '')) return refuse(ctx, 'BAD_ID', `the ${kind} ID is missing or not an xs:ID`);
  ctx.document = parsed.document;
  ctx.received = root;
  return undefined;
};
