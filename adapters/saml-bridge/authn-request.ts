/**
 * Our AuthnRequest to an upstream IdP, built and signed by node-saml (HTTP-Redirect binding,
 * RSA-SHA256 over `SAMLRequest&RelayState&SigAlg`, the way AD FS, Entra ID, Keycloak and
 * Shibboleth verify it). The request id is ours (chosen before the request is recorded in the
 * store); node-saml's own in-memory request cache is not used.
 */

export interface AuthnRequestInput {
  id: string;
  /** The upstream's SSO URL for the HTTP-Redirect binding. */
  ssoUrl: string;
  /** Our SP entity id. */
  issuer: string;
  acsUrl: string;
  relayState: string;
  /** Pinned upstream certificates (node-saml requires them; our ACS verifies with them itself). */
  upstreamCertificates: readonly string[];
  /** Our signing key (PKCS#8 PEM). */
  signingKeyPem: string;
  nameIdFormat: string | null;
  forceAuthn: boolean;
}

/** The URL to send the browser to. */
export async function authnRequestUrl(input: AuthnRequestInput): Promise<string> {
  // Loaded at first use: a host without the bridge configured does not carry node-saml.
  const { SAML } = await import('@node-saml/node-saml');
  const saml = new SAML({
    entryPoint: input.ssoUrl,
    issuer: input.issuer,
    callbackUrl: input.acsUrl,
    idpCert: [...input.upstreamCertificates],
    privateKey: input.signingKeyPem,
    signatureAlgorithm: 'sha256',
    digestAlgorithm: 'sha256',
    authnRequestBinding: 'HTTP-Redirect',
    identifierFormat: input.nameIdFormat,
    // No RequestedAuthnContext: the upstream chooses how to sign the user in (Windows
    // integrated, password, its own MFA); asking for PasswordProtectedTransport would stop AD FS
    // from using Kerberos.
    disableRequestedAuthnContext: true,
    forceAuthn: input.forceAuthn,
    generateUniqueId: () => input.id,
  });
  return saml.getAuthorizeUrlAsync(input.relayState, undefined, {});
}
