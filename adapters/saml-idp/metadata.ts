/**
 * Our IdP metadata (SAML Metadata §2.4.3 IDPSSODescriptor): the entity ID, every published
 * signing certificate (two during a key rollover, so RPs that refresh metadata trust the new key
 * before it signs), SSO and SLO endpoints for both bindings, and the NameID formats we issue.
 */
import type { SigningKey } from '../../src/sdk/adapter.js';
import { BINDINGS, NAMEID_FORMATS } from './config.js';

function attr(value: string): string {
  return value.replace(/[&<"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '"': '&quot;' })[c]!);
}

export function idpMetadata(input: { entityId: string; ssoUrl: string; sloUrl: string; keys: readonly SigningKey[]; wantAuthnRequestsSigned: boolean }): string {
  const keys = input.keys
    .map(
      (k) =>
        `  <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${k.certificateBase64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>\n`,
    )
    .join('');
  const endpoints = (element: string, url: string) =>
    `  <md:${element} Binding="${BINDINGS.redirect}" Location="${attr(url)}"/>\n  <md:${element} Binding="${BINDINGS.post}" Location="${attr(url)}"/>\n`;
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="${attr(input.entityId)}">\n` +
    ` <md:IDPSSODescriptor WantAuthnRequestsSigned="${input.wantAuthnRequestsSigned}" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">\n` +
    keys +
    endpoints('SingleLogoutService', input.sloUrl) +
    Object.values(NAMEID_FORMATS)
      .map((f) => `  <md:NameIDFormat>${f}</md:NameIDFormat>\n`)
      .join('') +
    endpoints('SingleSignOnService', input.ssoUrl) +
    ' </md:IDPSSODescriptor>\n' +
    '</md:EntityDescriptor>\n'
  );
}
