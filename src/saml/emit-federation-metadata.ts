/**
 * Signed WS-Federation metadata (WS-Federation 1.2 §3.1): a SAML 2.0 `md:EntityDescriptor`
 * whose `md:RoleDescriptor xsi:type="fed:SecurityTokenServiceType"` publishes the signing
 * certificates (all of them during a key rollover, current first) and the passive requestor
 * endpoint, as AD FS publishes at /FederationMetadata/2007-06/FederationMetadata.xml.
 *
 * Written in exclusive C14N form and signed like our assertions (RSA-SHA256, enveloped, exc-c14n):
 * `fed` and `xsi` are declared on the EntityDescriptor and listed in `InclusiveNamespaces
 * PrefixList`, because `fed` appears only inside the `xsi:type` value there (exc-c14n §3 does not
 * count that as visible use); `ds` and `wsa` are declared where first used. The Signature goes
 * first in the EntityDescriptor (SAML Metadata §2.3.2 schema order).
 */
import { signCanonicalElement } from './emit-response.js';
import { newSamlId } from './saml-id.js';
import type { SamlSigner } from './signer.js';
import { canonicalAttribute, canonicalText, toDocumentForm } from './xml-escape.js';
import { NS_WSA_2005 } from './emit-wsfed-response.js';
import { TOKEN_TYPE_SAML11 } from './emit-wsfed-response.js';

export const NS_FED = 'http://docs.oasis-open.org/wsfed/federation/200706';
const NS_MD = 'urn:oasis:names:tc:SAML:2.0:metadata';
const NS_XSI = 'http://www.w3.org/2001/XMLSchema-instance';
const NS_DS = 'http://www.w3.org/2000/09/xmldsig#';

export interface FederationMetadataInput {
  /** The STS identifier (the assertions' Issuer; Entra ID's IssuerUri). */
  entityId: string;
  /** The passive requestor endpoint (`/wsfed`). */
  passiveEndpoint: string;
  /** Base64 DER of every published signing certificate, current first. */
  certificates: readonly string[];
}

export async function buildSignedFederationMetadata(input: FederationMetadataInput, signer: SamlSigner): Promise<string> {
  const id = newSamlId();
  const endpoint = (element: string) =>
    `<fed:${element}><wsa:EndpointReference xmlns:wsa="${NS_WSA_2005}"><wsa:Address>${canonicalText(input.passiveEndpoint, 'passiveEndpoint')}</wsa:Address></wsa:EndpointReference></fed:${element}>`;
  const keys = input.certificates
    .map((c, i) => `<md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="${NS_DS}"><ds:X509Data><ds:X509Certificate>${canonicalText(c, `certificates[${i}]`)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`)
    .join('');
  const head = `<md:EntityDescriptor xmlns:fed="${NS_FED}" xmlns:md="${NS_MD}" xmlns:xsi="${NS_XSI}" ID="${id}" entityID="${canonicalAttribute(input.entityId, 'entityId')}">`;
  // WS-Federation 1.2 §3.1.2.2: SecurityTokenServiceEndpoint is required by the schema; factorgate
  // has no active (WS-Trust SOAP) endpoint, so it names the passive one, as other passive-only STSs do.
  const tail =
    `<md:RoleDescriptor protocolSupportEnumeration="${NS_FED}" xsi:type="fed:SecurityTokenServiceType">` +
    keys +
    `<fed:TokenTypesOffered><fed:TokenType Uri="${TOKEN_TYPE_SAML11}"></fed:TokenType></fed:TokenTypesOffered>` +
    endpoint('SecurityTokenServiceEndpoint') +
    endpoint('PassiveRequestorEndpoint') +
    '</md:RoleDescriptor></md:EntityDescriptor>';
  const signed = await signCanonicalElement({ id, head, tail, inclusivePrefixes: ['fed', 'xsi'] }, signer);
  return '<?xml version="1.0" encoding="UTF-8"?>\n' + toDocumentForm(signed);
}
