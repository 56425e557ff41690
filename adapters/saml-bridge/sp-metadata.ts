/**
 * Our SP metadata at `/saml/bridge/metadata`, importable into AD FS ("Add relying party trust",
 * from a URL or file), Entra ID, Keycloak and Shibboleth: generated and signed by node-saml
 * (RSA-SHA256), AuthnRequestsSigned and WantAssertionsSigned true, every published signing
 * certificate (two during our key rollover), the HTTP-POST assertion consumer service.
 */

export interface SpMetadataInput {
  entityId: string;
  acsUrl: string;
  signingKeyPem: string;
  /** Published certificates, current first. */
  certificates: readonly string[];
}

export async function spMetadata(input: SpMetadataInput): Promise<string> {
  const { SAML } = await import('@node-saml/node-saml');
  const saml = new SAML({
    issuer: input.entityId,
    callbackUrl: input.acsUrl,
    // Required by node-saml's constructor; metadata generation does not use it.
    idpCert: input.certificates[0]!,
    privateKey: input.signingKeyPem,
    signatureAlgorithm: 'sha256',
    digestAlgorithm: 'sha256',
    identifierFormat: null,
    wantAssertionsSigned: true,
    signMetadata: true,
  });
  return saml.generateServiceProviderMetadata(null, [...input.certificates]);
}
