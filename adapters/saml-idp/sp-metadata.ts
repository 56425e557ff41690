/**
 * Reads what we need from an SP's metadata (SAML Metadata §2.4.4 SPSSODescriptor): entity ID,
 * assertion consumer services, single logout service, signing and encryption certificates,
 * and whether it signs its AuthnRequests. Parsed with the same strict parser as messages.
 */
import { X509Certificate } from 'node:crypto';
import { NS_DS, attr, children as childElements, parseXmlSafely, simpleText, type XmlElement as Element } from '../../src/sdk/adapter.js';
import { BINDINGS } from './config.js';

export interface Endpoint {
  url: string;
  binding: 'post' | 'redirect';
  index: number;
  isDefault: boolean;
}

export interface SloEndpoint {
  url: string;
  /** Where LogoutResponses go when different (Metadata §2.2.2 ResponseLocation). */
  responseUrl: string;
  binding: 'post' | 'redirect';
}

export interface SpMetadata {
  entityId: string;
  acs: Endpoint[];
  slo: SloEndpoint | null;
  signingCerts: string[];
  encryptionCert: string | null;
  authnRequestsSigned: boolean;
  wantAssertionsSigned: boolean;
}

const NS_MD = 'urn:oasis:names:tc:SAML:2.0:metadata';
const PROTOCOL_SAML2 = 'urn:oasis:names:tc:SAML:2.0:protocol';

function bindingOf(uri: string | null): 'post' | 'redirect' | null {
  if (uri === BINDINGS.post) return 'post';
  if (uri === BINDINGS.redirect) return 'redirect';
  return null;
}

export function certificateToPem(base64: string): string {
  const body = base64.replace(/\s+/g, '');
  const pem = `-----BEGIN CERTIFICATE-----\n${body.replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
  return new X509Certificate(pem).toString();
}

function certificatesOf(descriptor: Element, use: 'signing' | 'encryption'): string[] {
  const out: string[] = [];
  for (const key of childElements(descriptor, NS_MD, 'KeyDescriptor')) {
    const keyUse = attr(key, 'use');
    // Metadata §2.4.1.1: a KeyDescriptor without `use` serves both purposes.
    if (keyUse && keyUse !== use) continue;
    for (const info of childElements(key, NS_DS, 'KeyInfo')) {
      for (const data of childElements(info, NS_DS, 'X509Data')) {
        for (const cert of childElements(data, NS_DS, 'X509Certificate')) out.push(certificateToPem(simpleText(cert) ?? ''));
      }
    }
  }
  return out;
}

/** Parses SP metadata; `entityId` picks one entity out of an EntitiesDescriptor. */
export function parseSpMetadata(xml: string, entityId?: string): SpMetadata {
  // The project's one safe parser: no DTD (XXE, entity expansion), every parser warning an error.
  const parsed = parseXmlSafely(xml);
  if (!parsed.ok) throw new Error(`the SP metadata is refused: ${parsed.message}`);
  const root = parsed.document.documentElement!;
  let entity: Element | undefined;
  if (root.namespaceURI === NS_MD && root.localName === 'EntityDescriptor') entity = root;
  else if (root.namespaceURI === NS_MD && root.localName === 'EntitiesDescriptor') {
    const all = childElements(root, NS_MD, 'EntityDescriptor');
    entity = entityId === undefined ? (all.length === 1 ? all[0] : undefined) : all.find((e) => attr(e, 'entityID') === entityId);
  }
  if (!entity) throw new Error('no EntityDescriptor for the relying party in the metadata');
  const id = attr(entity, 'entityID') ?? '';
  if (id === '') throw new Error('the EntityDescriptor has no entityID');
  if (entityId !== undefined && id !== entityId) throw new Error(`the metadata describes ${id}, not ${entityId}`);

  const sp = childElements(entity, NS_MD, 'SPSSODescriptor').find((d) => (attr(d, 'protocolSupportEnumeration') ?? '').split(/\s+/).includes(PROTOCOL_SAML2));
  if (!sp) throw new Error('the metadata has no SAML 2.0 SPSSODescriptor');

  const acs: Endpoint[] = [];
  childElements(sp, NS_MD, 'AssertionConsumerService').forEach((el, position) => {
    const binding = bindingOf(attr(el, 'Binding'));
    const url = attr(el, 'Location') ?? '';
    if (binding === null || url === '') return;
    const index = Number(attr(el, 'index') ?? position);
    acs.push({ url, binding, index: Number.isInteger(index) ? index : position, isDefault: attr(el, 'isDefault') === 'true' });
  });
  if (acs.length === 0) throw new Error('the metadata has no AssertionConsumerService with the HTTP-POST or HTTP-Redirect binding');

  let slo: SloEndpoint | null = null;
  const sloElements = childElements(sp, NS_MD, 'SingleLogoutService');
  // Redirect first: the logout messages we send then need no XML signature.
  for (const preferred of ['redirect', 'post'] as const) {
    const el = sloElements.find((e) => bindingOf(attr(e, 'Binding')) === preferred && (attr(e, 'Location') ?? '') !== '');
    if (el) {
      const url = attr(el, 'Location')!;
      slo = { url, responseUrl: attr(el, 'ResponseLocation') || url, binding: preferred };
      break;
    }
  }

  const encryption = certificatesOf(sp, 'encryption');
  return {
    entityId: id,
    acs,
    slo,
    signingCerts: certificatesOf(sp, 'signing'),
    encryptionCert: encryption[0] ?? null,
    authnRequestsSigned: attr(sp, 'AuthnRequestsSigned') === 'true',
    wantAssertionsSigned: attr(sp, 'WantAssertionsSigned') === 'true',
  };
}
