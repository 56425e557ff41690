/**
 * The `wresult` of a WS-Federation passive sign-in response (WS-Federation 1.2 §13.2.3): a
 * WS-Trust `RequestSecurityTokenResponse` carrying a signed SAML 1.1 Assertion as its
 * `RequestedSecurityToken`. The RSTR itself is not signed (the passive profile relies on the
 * assertion's signature); it uses the WS-Trust February 2005 namespace, which AD FS sends and
 * Entra ID and SharePoint read.
 */
import { SamlEmitError } from './emit-error.js';
import type { SamlInstant } from './emit-response.js';
import { buildSignedSaml11Assertion, samlDateTime, type Saml11AssertionInput } from './emit-saml11-assertion.js';
import type { SamlSigner } from './signer.js';
import { canonicalText, toDocumentForm } from './xml-escape.js';

export const NS_WSTRUST_2005 = 'http://schemas.xmlsoap.org/ws/2005/02/trust';
export const NS_WSU = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd';
export const NS_WSP_2004 = 'http://schemas.xmlsoap.org/ws/2004/09/policy';
export const NS_WSA_2005 = 'http://www.w3.org/2005/08/addressing';
/** The SAML 1.1 token type URI (WS-Security SAML Token Profile 1.1 §3.6 names it this way too). */
export const TOKEN_TYPE_SAML11 = 'urn:oasis:names:tc:SAML:1.0:assertion';
const REQUEST_TYPE_ISSUE = 'http://schemas.xmlsoap.org/ws/2005/02/trust/Issue';
/** A bearer token: no proof key (what AD FS writes for passive sign-in). */
const KEY_TYPE_BEARER = 'http://schemas.xmlsoap.org/ws/2005/05/identity/NoProofKey';

export interface WsFedResponseInput {
  /** The realm (`wtrealm`) the token applies to; also the assertion's audience. */
  appliesTo: string;
  /** The token's validity; written as the RSTR Lifetime and the assertion's Conditions. */
  created: SamlInstant;
  expires: SamlInstant;
  assertion: Omit<Saml11AssertionInput, 'conditions'> & { notBefore: SamlInstant };
}

export interface WsFedResponse {
  assertionId: string;
  /** The RSTR document, the value of the `wresult` form field. */
  wresult: string;
}

export async function buildWsFedResponse(input: WsFedResponseInput, signer: SamlSigner): Promise<WsFedResponse> {
  const issues: string[] = [];
  const created = samlDateTime(input.created, 'created', issues);
  const expires = samlDateTime(input.expires, 'expires', issues);
  if (created !== '' && expires !== '' && Date.parse(expires) <= Date.parse(created)) issues.push('expires must be later than created');
  if (typeof input.appliesTo !== 'string' || input.appliesTo.trim() === '') issues.push('appliesTo must be a non-empty string');
  if (issues.length > 0) throw new SamlEmitError('INVALID_INPUT', issues.join('; '));
  const { notBefore, ...assertion } = input.assertion;
  const signed = await buildSignedSaml11Assertion({ ...assertion, conditions: { notBefore, notOnOrAfter: input.expires, audiences: [input.appliesTo] } }, signer);
  const wresult =
    `<t:RequestSecurityTokenResponse xmlns:t="${NS_WSTRUST_2005}">` +
    `<t:Lifetime><wsu:Created xmlns:wsu="${NS_WSU}">${created}</wsu:Created><wsu:Expires xmlns:wsu="${NS_WSU}">${expires}</wsu:Expires></t:Lifetime>` +
    `<wsp:AppliesTo xmlns:wsp="${NS_WSP_2004}"><wsa:EndpointReference xmlns:wsa="${NS_WSA_2005}"><wsa:Address>${canonicalText(input.appliesTo, 'appliesTo')}</wsa:Address></wsa:EndpointReference></wsp:AppliesTo>` +
    `<t:RequestedSecurityToken>${signed.canonical}</t:RequestedSecurityToken>` +
    `<t:TokenType>${TOKEN_TYPE_SAML11}</t:TokenType><t:RequestType>${REQUEST_TYPE_ISSUE}</t:RequestType><t:KeyType>${KEY_TYPE_BEARER}</t:KeyType>` +
    '</t:RequestSecurityTokenResponse>';
  return { assertionId: signed.assertionId, wresult: toDocumentForm(wresult) };
}
