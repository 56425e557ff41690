// The message is one well-formed XML document without DTD, of the expected SAML 2.0 message type.
import { SamlRejection, clip } from '../rejection.js';
import { NS_SAMLP, parseStrictXml } from '../xml.js';
import type { RequestCheck } from './context.js';

/* xs:ID is an NCName (SAML Core §1.3.4); the cap keeps it out of pages and logs whole. */
const NCNAME_ID = /^[A-Za-z_][A-Za-z0-9_.-]{0,255}$/;

export const checkXml: RequestCheck = (ctx) => {
  const doc = parseStrictXml(ctx.message.xml, 'request');
  const root = doc.documentElement!;
  if (root.namespaceURI !== NS_SAMLP || root.localName !== ctx.kind) {
    throw new SamlRejection('WRONG_MESSAGE', `expected a ${ctx.kind}, received ${clip(root.localName, 40)}`);
  }
  // SAML Core §3.2.1: Version must be "2.0"; other versions are refused, not guessed at.
  if (root.getAttribute('Version') !== '2.0') throw new SamlRejection('BAD_VERSION', 'the request is not SAML 2.0 (Version must be 2.0)');
  const id = root.getAttribute('ID') ?? '';
  if (!NCNAME_ID.test(id)) throw new SamlRejection('BAD_ID', 'the request ID is missing or not an xs:ID');
  const instant = Date.parse(root.getAttribute('IssueInstant') ?? '');
  if (!Number.isFinite(instant)) throw new SamlRejection('MALFORMED_XML', 'the request has no valid IssueInstant');
  ctx.doc = doc;
  ctx.root = root;
  ctx.id = id;
  ctx.issueInstant = instant;
};
