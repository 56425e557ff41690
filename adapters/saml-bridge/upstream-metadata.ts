/**
 * Reads what the bridge needs from its upstream IdP's metadata (SAML Metadata §2.4.3
 * IDPSSODescriptor): the entity ID, where to send AuthnRequests, the certificates that sign
 * its Responses, and whether it wants our requests signed. Everything else an IdP publishes
 * (AD FS's WS-Federation RoleDescriptors, its own SPSSODescriptor, attributes, contacts) is
 * ignored. The metadata's own XML signature is not checked: it is trusted as configured (a file)
 * or as fetched over the configured URL.
 */
import { X509Certificate } from 'node:crypto';
import type { XmlElement as Element } from '../../src/sdk/adapter.js';
import { NS_DS, children } from '../../src/sdk/adapter.js';
import { attr, parseXmlSafely } from '../../src/sdk/adapter.js';

export interface UpstreamIdpMetadata {
  entityId: string;
  /** SingleSignOnService locations of the IDPSSODescriptor, by binding (HTTP-Redirect, HTTP-POST). */
  sso: { redirect?: string; post?: string };
  /** PEM certificates of KeyDescriptors with use="signing" or no use attribute, in document order, de-duplicated. */
  signingCertificates: string[];
  /** IDPSSODescriptor WantAuthnRequestsSigned="true". */
  wantAuthnRequestsSigned: boolean;
}

export class MetadataError extends Error {
  override name = 'MetadataError';
}

export const NS_MD = 'urn:oasis:names:tc:SAML:2.0:metadata';
const PROTOCOL_SAML2 = 'urn:oasis:names:tc:SAML:2.0:protocol';
const BINDING_REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
const BINDING_POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';

/**
 * The most metadata text we parse. One IdP's metadata is tens of kilobytes (AD FS with its
 * WS-Federation claim lists ~50 KB); only federation aggregates are bigger, and the bridge
 * takes one IdP, not a federation.
 */
export const MAX_METADATA_BYTES = 4 * 1024 * 1024;

/** Parses IdP metadata (an EntityDescriptor, or an EntitiesDescriptor: then the entity whose entityID equals `expectedEntityId`, or the only one with an IDPSSODescriptor). Throws MetadataError with a clear message naming what is wrong. */
export function parseIdpMetadata(xml: string, expectedEntityId?: string): UpstreamIdpMetadata {
  const bytes = Buffer.byteLength(xml, 'utf8');
  if (bytes > MAX_METADATA_BYTES) throw new MetadataError(`the IdP metadata is ${bytes} bytes, more than the ${MAX_METADATA_BYTES} accepted`);
  // DESIGN.md: no DOCTYPE accepted in any XML (XXE, entity expansion); SAML metadata needs none.
  const parsed = parseXmlSafely(xml);
  if (!parsed.ok) throw new MetadataError(`the IdP metadata is refused: ${parsed.message}`);

  const entity = pickEntity(parsed.document.documentElement!, expectedEntityId);
  const entityId = attr(entity, 'entityID') ?? '';
  if (entityId === '') throw new MetadataError('the IdP metadata EntityDescriptor has no entityID');
  if (expectedEntityId !== undefined && entityId !== expectedEntityId) {
    throw new MetadataError(`the IdP metadata describes ${JSON.stringify(entityId)}, not the expected ${JSON.stringify(expectedEntityId)}`);
  }

  const idp = saml2IdpDescriptor(entity);
  if (!idp) throw new MetadataError(`the IdP metadata for ${JSON.stringify(entityId)} has no IDPSSODescriptor supporting ${PROTOCOL_SAML2}`);

  const sso = ssoLocations(idp);
  if (sso.redirect === undefined && sso.post === undefined) {
    throw new MetadataError(`the IdP metadata for ${JSON.stringify(entityId)} has no SingleSignOnService with the HTTP-Redirect or HTTP-POST binding`);
  }
  const signingCertificates = signingCertificatesOf(idp);
  if (signingCertificates.length === 0) {
    throw new MetadataError(`the IdP metadata for ${JSON.stringify(entityId)} has no signing certificate in its IDPSSODescriptor`);
  }
  return { entityId, sso, signingCertificates, wantAuthnRequestsSigned: attr(idp, 'WantAuthnRequestsSigned') === 'true' };
}

/** SHA-256 fingerprint of a PEM certificate, as `openssl x509 -fingerprint -sha256` shows it. */
export function certificateFingerprint(pem: string): string {
  return new X509Certificate(pem).fingerprint256;
}

function saml2IdpDescriptor(entity: Element): Element | undefined {
  return children(entity, NS_MD, 'IDPSSODescriptor').find((d) => (attr(d, 'protocolSupportEnumeration') ?? '').split(/\s+/).includes(PROTOCOL_SAML2));
}

/** Every EntityDescriptor below an EntitiesDescriptor; SAML Metadata §2.3.1 lets them nest. */
function entitiesIn(group: Element): Element[] {
  return [...children(group, NS_MD, 'EntityDescriptor'), ...children(group, NS_MD, 'EntitiesDescriptor').flatMap(entitiesIn)];
}

function pickEntity(root: Element, expectedEntityId: string | undefined): Element {
  if (root.namespaceURI === NS_MD && root.localName === 'EntityDescriptor') return root;
  if (root.namespaceURI !== NS_MD || root.localName !== 'EntitiesDescriptor') {
    throw new MetadataError(`the IdP metadata's root element is {${root.namespaceURI ?? ''}}${root.localName ?? ''}, not md:EntityDescriptor or md:EntitiesDescriptor`);
  }
  const all = entitiesIn(root);
  if (expectedEntityId !== undefined) {
    const found = all.filter((e) => attr(e, 'entityID') === expectedEntityId);
    if (found.length === 0) throw new MetadataError(`the IdP metadata has no EntityDescriptor with entityID ${JSON.stringify(expectedEntityId)}`);
    if (found.length > 1) throw new MetadataError(`the IdP metadata has ${found.length} EntityDescriptors with entityID ${JSON.stringify(expectedEntityId)}`);
    return found[0]!;
  }
  const idps = all.filter((e) => saml2IdpDescriptor(e) !== undefined);
  if (idps.length === 1) return idps[0]!;
  throw new MetadataError(
    idps.length === 0
      ? 'the IdP metadata is an EntitiesDescriptor with no SAML 2.0 IdP in it'
      : `the IdP metadata is an EntitiesDescriptor with ${idps.length} SAML 2.0 IdPs; configure the expected entity ID to pick one`,
  );
}

function ssoLocations(idp: Element): UpstreamIdpMetadata['sso'] {
  const sso: UpstreamIdpMetadata['sso'] = {};
  for (const service of children(idp, NS_MD, 'SingleSignOnService')) {
    const binding = attr(service, 'Binding');
    const key = binding === BINDING_REDIRECT ? 'redirect' : binding === BINDING_POST ? 'post' : undefined;
    // The first endpoint of a binding wins, as SAML Metadata §2.2.2 leaves the choice to us.
    if (key === undefined || sso[key] !== undefined) continue;
    const location = attr(service, 'Location') ?? '';
    // The browser is sent there: anything but an absolute http(s) URL (javascript:, a relative
    // path) is a broken or hostile document, not an endpoint.
    let url: URL;
    try {
      url = new URL(location);
    } catch {
      throw new MetadataError(`the IdP metadata's SingleSignOnService Location ${JSON.stringify(location)} is not an absolute URL`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new MetadataError(`the IdP metadata's SingleSignOnService Location ${JSON.stringify(location)} is not an http(s) URL`);
    }
    sso[key] = location;
  }
  return sso;
}

function signingCertificatesOf(idp: Element): string[] {
  const pems: string[] = [];
  let index = 0;
  for (const key of children(idp, NS_MD, 'KeyDescriptor')) {
    const use = attr(key, 'use');
    // SAML Metadata §2.4.1.1: a KeyDescriptor without `use` serves both signing and encryption.
    if (use !== null && use !== '' && use !== 'signing') continue;
    for (const info of children(key, NS_DS, 'KeyInfo')) {
      for (const data of children(info, NS_DS, 'X509Data')) {
        for (const cert of children(data, NS_DS, 'X509Certificate')) {
          const pem = certificateToPem(cert.textContent ?? '', index++);
          if (!pems.includes(pem)) pems.push(pem);
        }
      }
    }
  }
  return pems;
}

/** A ds:X509Certificate's base64 DER as PEM, normalised by node:crypto so equal certificates compare equal. */
function certificateToPem(base64: string, index: number): string {
  const body = base64.replace(/\s+/g, '');
  const broken = (why: string) => new MetadataError(`the IdP metadata's signing certificate ${index} (counting from 0, in document order) ${why}`);
  if (body === '') throw broken('is empty');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body)) throw broken('is not base64');
  const lines = body.match(/.{1,64}/g)!.join('\n');
  try {
    return new X509Certificate(`-----BEGIN CERTIFICATE-----\n${lines}\n-----END CERTIFICATE-----\n`).toString();
  } catch (err) {
    throw broken(`is not an X.509 certificate (${(err as Error).message})`);
  }
}
