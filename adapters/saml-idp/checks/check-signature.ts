// The request is signed when the RP requires it, only with SHA-256 or stronger, and the
// signature verifies against the RP's certificate from configuration or metadata.
import { createPublicKey, verify } from 'node:crypto';
import { SignedXml } from 'xml-crypto';
import type { Element } from '@xmldom/xmldom';
import { SamlRejection, clip } from '../rejection.js';
import { NS_DS, childElements, elementsWithId, onlyChild } from '../xml.js';
import { need, type RequestCheck, type RequestContext } from './context.js';

/*
 * XML-DSig algorithm URIs (RFC 6931 §2.3). SHA-1 based ones (`xmldsig#rsa-sha1`,
 * `xmldsig#dsa-sha1`, `xmldsig#sha1`) are not here: DESIGN.md refuses SHA-1 both ways.
 */
export const SIGNATURE_ALGORITHMS: Readonly<Record<string, string>> = {
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256': 'sha256',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha384': 'sha384',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512': 'sha512',
  'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256': 'sha256',
  'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384': 'sha384',
  'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512': 'sha512',
};
const DIGEST_ALGORITHMS = new Set([
  'http://www.w3.org/2001/04/xmlenc#sha256',
  'http://www.w3.org/2001/04/xmldsig-more#sha384',
  'http://www.w3.org/2001/04/xmlenc#sha512',
]);
const CANONICALIZATIONS = new Set([
  'http://www.w3.org/2001/10/xml-exc-c14n#',
  'http://www.w3.org/2001/10/xml-exc-c14n#WithComments',
  'http://www.w3.org/TR/2001/REC-xml-c14n-20010315',
]);
const TRANSFORMS = new Set(['http://www.w3.org/2000/09/xmldsig#enveloped-signature', ...CANONICALIZATIONS]);

function weak(ctx: RequestContext, alg: string | null): never {
  throw new SamlRejection('WEAK_ALGORITHM', `the request is signed with ${clip(alg, 80)}; only RSA or ECDSA with SHA-256 or stronger is accepted`, {
    relyingParty: ctx.rp?.name,
  });
}

/** Bindings §3.4.4.1: the signature covers the URL-encoded query parameters, not the XML. */
function verifyQuerySignature(ctx: RequestContext, certs: readonly string[]): void {
  const sig = ctx.message.querySignature!;
  const hash = SIGNATURE_ALGORITHMS[sig.sigAlg];
  if (hash === undefined) weak(ctx, sig.sigAlg);
  const data = Buffer.from(sig.signedBytes, 'utf8');
  const ok = certs.some((pem) => {
    const key = createPublicKey(pem);
    const dsa = key.asymmetricKeyType === 'ec' ? { key, dsaEncoding: 'ieee-p1363' as const } : key;
    try {
      return verify(hash, data, dsa, sig.signature);
    } catch {
      return false;
    }
  });
  if (!ok) throw new SamlRejection('SIGNATURE_INVALID', 'the request signature does not verify with the relying party’s certificate', { relyingParty: ctx.rp?.name });
}

/*
 * An enveloped XML signature on the message root (Bindings §3.5.4; XML-DSig §6.6.4). To rule out
 * signature wrapping, the Signature must be a child of the root, its single Reference must point
 * at the root's ID, and that ID must occur once in the document; then what we read (the root's
 * children) is what was signed. The key is only ever the pinned certificate, never KeyInfo.
 */
function verifyXmlSignature(ctx: RequestContext, signature: Element, certs: readonly string[]): void {
  const rp = ctx.rp?.name;
  const signedInfo = onlyChild(signature, NS_DS, 'SignedInfo', 'signature');
  if (!signedInfo) throw new SamlRejection('SIGNATURE_INVALID', 'the signature has no SignedInfo', { relyingParty: rp });
  const method = onlyChild(signedInfo, NS_DS, 'SignatureMethod', 'signature')?.getAttribute('Algorithm') ?? null;
  if (method === null || SIGNATURE_ALGORITHMS[method] === undefined) weak(ctx, method);
  const c14n = onlyChild(signedInfo, NS_DS, 'CanonicalizationMethod', 'signature')?.getAttribute('Algorithm') ?? '';
  if (!CANONICALIZATIONS.has(c14n)) throw new SamlRejection('SIGNATURE_INVALID', `unsupported canonicalization ${clip(c14n, 80)}`, { relyingParty: rp });
  const references = childElements(signedInfo, NS_DS, 'Reference');
  if (references.length !== 1) throw new SamlRejection('SIGNATURE_INVALID', 'the signature must have exactly one Reference', { relyingParty: rp });
  const reference = references[0]!;
  if (reference.getAttribute('URI') !== `#${ctx.id}` || elementsWithId(ctx.doc!, ctx.id!) !== 1) {
    throw new SamlRejection('SIGNATURE_INVALID', 'the signature does not cover the request element', { relyingParty: rp });
  }
  const digest = onlyChild(reference, NS_DS, 'DigestMethod', 'signature')?.getAttribute('Algorithm') ?? null;
  if (digest === null || !DIGEST_ALGORITHMS.has(digest)) weak(ctx, digest);
  const transforms = onlyChild(reference, NS_DS, 'Transforms', 'signature');
  for (const t of transforms ? childElements(transforms, NS_DS, 'Transform') : []) {
    if (!TRANSFORMS.has(t.getAttribute('Algorithm') ?? '')) throw new SamlRejection('SIGNATURE_INVALID', 'the signature uses a transform SAML does not allow', { relyingParty: rp });
  }
  const ok = certs.some((pem) => {
    const verifier = new SignedXml({ publicCert: pem, getCertFromKeyInfo: () => null });
    try {
      verifier.loadSignature(signature);
      return verifier.checkSignature(ctx.message.xml);
    } catch {
      return false;
    }
  });
  if (!ok) throw new SamlRejection('SIGNATURE_INVALID', 'the request signature does not verify with the relying party’s certificate', { relyingParty: rp });
}

export const checkSignature: RequestCheck = (ctx) => {
  const rp = need(ctx.rp, 'the relying party');
  const root = need(ctx.root, 'the request');
  const xmlSignatures = childElements(root, NS_DS, 'Signature');
  if (xmlSignatures.length > 1) throw new SamlRejection('SIGNATURE_INVALID', 'the request carries more than one signature', { relyingParty: rp.name });
  const query = ctx.message.querySignature;
  // Bindings §3.4.4.1: with HTTP-Redirect any XML signature must have been removed before
  // encoding; the query signature is the only one.
  if (ctx.message.binding === 'redirect' && xmlSignatures.length > 0) {
    throw new SamlRejection('SIGNATURE_INVALID', 'an HTTP-Redirect request must not carry an XML signature', { relyingParty: rp.name });
  }
  const present = query !== undefined || xmlSignatures.length === 1;
  if (!present) {
    // Logout messages from an RP we can verify must be signed: they end the user's session.
    const required = rp.requireSignedRequests || (ctx.kind !== 'AuthnRequest' && rp.signingCerts.length > 0);
    if (required) throw new SamlRejection('SIGNATURE_REQUIRED', 'the request is not signed, but this relying party must sign its requests', { relyingParty: rp.name });
    ctx.signed = false;
    return;
  }
  if (rp.signingCerts.length === 0) {
    throw new SamlRejection('SIGNATURE_INVALID', 'the request is signed, but no certificate is configured for this relying party', { relyingParty: rp.name });
  }
  if (query !== undefined) verifyQuerySignature(ctx, rp.signingCerts);
  else verifyXmlSignature(ctx, xmlSignatures[0]!, rp.signingCerts);
  ctx.signed = true;
};
