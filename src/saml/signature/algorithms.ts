/**
 * The one algorithm allowlist of the SAML core, for every signature factorgate verifies: an
 * upstream IdP's Response (bridge), an SP's AuthnRequest or LogoutRequest (IdP), enveloped in
 * the XML or over the HTTP-Redirect query. Anything not listed is refused by name before a
 * signature is checked, and xml-crypto's own tables are cut down to this list as well.
 */

export const ALG_EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
export const ALG_EXC_C14N_COMMENTS = 'http://www.w3.org/2001/10/xml-exc-c14n#WithComments';
export const ALG_ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';

/*
 * SAML Core §5.4.3 and §5.4.4: exclusive canonicalisation, with the enveloped-signature
 * transform and at most an exclusive C14N transform after it. Inclusive C14N 1.0 drags the
 * ancestors' namespace context into the digest; XSLT and XPath transforms (XML-DSig §6.6.3,
 * §6.6.5) run attacker-chosen programs before the signature is even checked (SAML Raider's
 * XSLT test, CVE-2021-40690 in Santuario). None of them is accepted.
 */
export const CANONICALIZATIONS: ReadonlySet<string> = new Set([ALG_EXC_C14N, ALG_EXC_C14N_COMMENTS]);

/**
 * RFC 6931 §2.3.2: RSA with SHA-256 or SHA-512, by URI, with the node:crypto hash each names.
 * These are the two xml-crypto 6 verifies; the query signature of the HTTP-Redirect binding
 * (Bindings §3.4.4.1) is held to the same list so that an SP cannot pick a weaker or different
 * algorithm by choosing the binding. DESIGN.md refuses SHA-1 both ways.
 */
export const SIGNATURE_METHODS: ReadonlyMap<string, 'sha256' | 'sha512'> = new Map([
  ['http://www.w3.org/2001/04/xmldsig-more#rsa-sha256', 'sha256'],
  ['http://www.w3.org/2001/04/xmldsig-more#rsa-sha512', 'sha512'],
]);
export const DIGEST_METHODS: ReadonlySet<string> = new Set(['http://www.w3.org/2001/04/xmlenc#sha256', 'http://www.w3.org/2001/04/xmlenc#sha512']);

/** Named so a refusal can say "SHA-1" rather than "not accepted". */
export const SHA1_SIGNATURES: ReadonlySet<string> = new Set(['http://www.w3.org/2000/09/xmldsig#rsa-sha1', 'http://www.w3.org/2000/09/xmldsig#dsa-sha1', 'http://www.w3.org/2000/09/xmldsig#hmac-sha1']);
export const SHA1_DIGEST = 'http://www.w3.org/2000/09/xmldsig#sha1';

// NIST SP 800-131A: RSA below 2048 bits is no longer acceptable for signatures.
export const MIN_RSA_BITS = 2048;
