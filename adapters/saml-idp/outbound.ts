/**
 * The messages we send besides successful Responses: a Response carrying only an error Status,
 * LogoutRequest and LogoutResponse. They are written in exclusive-C14N form like the emitter's
 * Responses (namespace declarations first, attributes sorted, no self-closing tags), so that
 * `signCanonicalMessage` can sign them for the HTTP-POST binding; the HTTP-Redirect binding
 * signs the query instead (Bindings §3.4.4.1).
 */
import { sign, type KeyObject } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import { canonicalAttribute, canonicalText, newSamlId, signCanonicalMessage, type SamlSigner } from '../../src/sdk/adapter.js';

const NS_SAMLP = 'urn:oasis:names:tc:SAML:2.0:protocol';
const NS_SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';
const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';

export const STATUS = {
  success: 'urn:oasis:names:tc:SAML:2.0:status:Success',
  requester: 'urn:oasis:names:tc:SAML:2.0:status:Requester',
  responder: 'urn:oasis:names:tc:SAML:2.0:status:Responder',
  noPassive: 'urn:oasis:names:tc:SAML:2.0:status:NoPassive',
  noAuthnContext: 'urn:oasis:names:tc:SAML:2.0:status:NoAuthnContext',
  invalidNameIdPolicy: 'urn:oasis:names:tc:SAML:2.0:status:InvalidNameIDPolicy',
  authnFailed: 'urn:oasis:names:tc:SAML:2.0:status:AuthnFailed',
  partialLogout: 'urn:oasis:names:tc:SAML:2.0:status:PartialLogout',
} as const;

export interface CanonicalMessage {
  id: string;
  head: string;
  tail: string;
}

function instant(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.endsWith('.000Z') ? iso.slice(0, -5) + 'Z' : iso;
}

function statusElement(code: string, subCode?: string): string {
  const inner = subCode ? `<samlp:StatusCode Value="${subCode}"></samlp:StatusCode>` : '';
  return `<samlp:Status><samlp:StatusCode Value="${code}">${inner}</samlp:StatusCode></samlp:Status>`;
}

function opening(element: string, attrs: { destination: string; id: string; inResponseTo?: string | undefined; issueInstant: number; notOnOrAfter?: number }, issuer: string): string {
  // Canonical XML §2.2: unqualified attributes sorted by local name.
  return (
    `<samlp:${element} xmlns:samlp="${NS_SAMLP}" Destination="${canonicalAttribute(attrs.destination, 'destination')}" ID="${attrs.id}"` +
    (attrs.inResponseTo === undefined ? '' : ` InResponseTo="${canonicalAttribute(attrs.inResponseTo, 'inResponseTo')}"`) +
    ` IssueInstant="${instant(attrs.issueInstant)}"` +
    (attrs.notOnOrAfter === undefined ? '' : ` NotOnOrAfter="${instant(attrs.notOnOrAfter)}"`) +
    ` Version="2.0"><saml:Issuer xmlns:saml="${NS_SAML}">${canonicalText(issuer, 'issuer')}</saml:Issuer>`
  );
}

/** A Response with no assertion, only a non-success Status (SAML Core §3.2.2, Profiles §4.1.4.2). */
export function statusResponse(input: { destination: string; inResponseTo?: string | undefined; issuer: string; now: number; code: string; subCode?: string }): CanonicalMessage {
  const id = newSamlId();
  return { id, head: opening('Response', { ...input, id, issueInstant: input.now }, input.issuer), tail: statusElement(input.code, input.subCode) + '</samlp:Response>' };
}

export function logoutResponse(input: { destination: string; inResponseTo: string; issuer: string; now: number; code: string; subCode?: string }): CanonicalMessage {
  const id = newSamlId();
  return { id, head: opening('LogoutResponse', { ...input, id, issueInstant: input.now }, input.issuer), tail: statusElement(input.code, input.subCode) + '</samlp:LogoutResponse>' };
}

/** SAML Core §3.7.1; the NameID declares `saml` itself, as exc-c14n renders it there. */
export function logoutRequest(input: { destination: string; issuer: string; now: number; lifetimeMs: number; nameId: string; nameIdFormat: string; spNameQualifier?: string; sessionIndex: string }): CanonicalMessage {
  const id = newSamlId();
  const qualifier = input.spNameQualifier === undefined ? '' : ` SPNameQualifier="${canonicalAttribute(input.spNameQualifier, 'spNameQualifier')}"`;
  return {
    id,
    head: opening('LogoutRequest', { destination: input.destination, id, issueInstant: input.now, notOnOrAfter: input.now + input.lifetimeMs }, input.issuer),
    tail:
      `<saml:NameID xmlns:saml="${NS_SAML}" Format="${canonicalAttribute(input.nameIdFormat, 'nameIdFormat')}"${qualifier}>${canonicalText(input.nameId, 'nameId')}</saml:NameID>` +
      `<samlp:SessionIndex>${canonicalText(input.sessionIndex, 'sessionIndex')}</samlp:SessionIndex></samlp:LogoutRequest>`,
  };
}

/** HTTP-Redirect binding (Bindings §3.4.4): DEFLATE, base64, URL-encode; sign the query with RSA-SHA256. */
export function redirectUrl(endpoint: string, field: 'SAMLRequest' | 'SAMLResponse', message: CanonicalMessage, relayState: string | undefined, key: KeyObject): string {
  const xml = message.head + message.tail;
  let query = `${field}=${encodeURIComponent(deflateRawSync(Buffer.from(xml, 'utf8')).toString('base64'))}`;
  if (relayState !== undefined) query += `&RelayState=${encodeURIComponent(relayState)}`;
  query += `&SigAlg=${encodeURIComponent(RSA_SHA256)}`;
  const signature = sign('sha256', Buffer.from(query, 'utf8'), key).toString('base64');
  query += `&Signature=${encodeURIComponent(signature)}`;
  return `${endpoint}${endpoint.includes('?') ? '&' : '?'}${query}`;
}

/** HTTP-POST binding: the XML signed in place (Bindings §3.5.4), base64 for the form. */
export async function postValue(message: CanonicalMessage, signer: SamlSigner): Promise<string> {
  return Buffer.from(await signCanonicalMessage(message, signer), 'utf8').toString('base64');
}
