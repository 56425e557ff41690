/**
 * A test upstream IdP's Response, written as an XML-DSig template and signed by xmlsec1 (an
 * independent implementation), plus the DOM surgery the attacks need. Every field has a
 * default that passes the bridge's checks; a test overrides the one it is about, so a refused
 * variant differs from the valid one in that field only.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DOMParser, XMLSerializer } from '@xmldom/xmldom';
import type { XmlDocument as Document, XmlElement as Element } from '../../../../src/xml/index.js';
import type { TestKeys } from '../../support/test-keys.js';

const run = promisify(execFile);

export const NS_SAMLP = 'urn:oasis:names:tc:SAML:2.0:protocol';
export const NS_SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';
export const NS_DS = 'http://www.w3.org/2000/09/xmldsig#';

export const IDP_ENTITY_ID = 'https://upstream.example.org/idp';
export const SP_ENTITY_ID = 'https://mfa.example.com/saml/bridge';
export const ACS_URL = 'https://mfa.example.com/saml/bridge/acs';
export const REQUEST_ID = '_request-0001';

export const ALG = {
  rsaSha256: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  rsaSha512: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512',
  rsaSha1: 'http://www.w3.org/2000/09/xmldsig#rsa-sha1',
  sha256: 'http://www.w3.org/2001/04/xmlenc#sha256',
  sha512: 'http://www.w3.org/2001/04/xmlenc#sha512',
  sha1: 'http://www.w3.org/2000/09/xmldsig#sha1',
} as const;

export interface ResponseSpec {
  responseId: string;
  assertionId: string;
  /** Response IssueInstant and the base of every default time. */
  issueInstant: number;
  responseIssuer: string | null;
  assertionIssuer: string;
  destination: string | null;
  responseInResponseTo: string | null;
  confirmationInResponseTo: string | null;
  recipient: string;
  audiences: string[];
  notBefore: number;
  notOnOrAfter: number;
  confirmationNotOnOrAfter: number;
  authnInstant: number;
  sessionIndex: string;
  authnContextClassRef: string;
  nameId: string;
  nameIdFormat: string;
  attributes: Record<string, string[]>;
  statusCode: string;
  signAssertion: boolean;
  signResponse: boolean;
  signatureMethod: string;
  digestMethod: string;
}

/** The SP a Response is addressed to and the AuthnRequest it answers. */
export interface ResponseTarget {
  /** Audience. */
  spEntityId: string;
  /** Destination and bearer Recipient. */
  acsUrl: string;
  /** InResponseTo, on the Response and the bearer confirmation. */
  requestId: string;
}

/** The SP of the function-level suites. */
export const DEFAULT_TARGET: ResponseTarget = { spEntityId: SP_ENTITY_ID, acsUrl: ACS_URL, requestId: REQUEST_ID };

let counter = 0;

/** A passing spec at `now` for `target`: valid from now − 1 min to now + 5 min. */
export function validSpec(now: number, overrides: Partial<ResponseSpec> = {}, target: ResponseTarget = DEFAULT_TARGET): ResponseSpec {
  counter++;
  return {
    responseId: `_resp-${counter}-${now}`,
    assertionId: `_assertion-${counter}-${now}`,
    issueInstant: now,
    responseIssuer: IDP_ENTITY_ID,
    assertionIssuer: IDP_ENTITY_ID,
    destination: target.acsUrl,
    responseInResponseTo: target.requestId,
    confirmationInResponseTo: target.requestId,
    recipient: target.acsUrl,
    audiences: [target.spEntityId],
    notBefore: now - 60_000,
    notOnOrAfter: now + 300_000,
    confirmationNotOnOrAfter: now + 300_000,
    authnInstant: now - 1_000,
    sessionIndex: '_session-42',
    authnContextClassRef: 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport',
    nameId: 'alice@example.com',
    nameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
    attributes: {
      upn: ['alice@corp.example.com'],
      mail: ['alice@example.com'],
      groups: ['staff', 'vpn-users'],
    },
    statusCode: 'urn:oasis:names:tc:SAML:2.0:status:Success',
    signAssertion: true,
    signResponse: false,
    signatureMethod: ALG.rsaSha256,
    digestMethod: ALG.sha256,
    ...overrides,
  };
}

const iso = (ms: number): string => new Date(ms).toISOString();
const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');

function signatureTemplate(id: string, spec: ResponseSpec): string {
  return (
    `<ds:Signature xmlns:ds="${NS_DS}"><ds:SignedInfo>` +
    `<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>` +
    `<ds:SignatureMethod Algorithm="${spec.signatureMethod}"/>` +
    `<ds:Reference URI="#${id}"><ds:Transforms>` +
    `<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>` +
    `<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>` +
    `</ds:Transforms><ds:DigestMethod Algorithm="${spec.digestMethod}"/><ds:DigestValue/></ds:Reference>` +
    `</ds:SignedInfo><ds:SignatureValue/><ds:KeyInfo><ds:X509Data/></ds:KeyInfo></ds:Signature>`
  );
}

/** The unsigned document, with Signature templates where `spec` asks for signatures. */
export function responseTemplate(spec: ResponseSpec): string {
  const attrs = Object.entries(spec.attributes)
    .map(
      ([name, values]) =>
        `<saml:Attribute Name="${esc(name)}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic">` +
        values.map((v) => `<saml:AttributeValue>${esc(v)}</saml:AttributeValue>`).join('') +
        `</saml:Attribute>`,
    )
    .join('');
  const irt = (v: string | null): string => (v === null ? '' : ` InResponseTo="${esc(v)}"`);
  const assertion =
    `<saml:Assertion xmlns:saml="${NS_SAML}" ID="${spec.assertionId}" IssueInstant="${iso(spec.issueInstant)}" Version="2.0">` +
    `<saml:Issuer>${esc(spec.assertionIssuer)}</saml:Issuer>` +
    (spec.signAssertion ? signatureTemplate(spec.assertionId, spec) : '') +
    `<saml:Subject><saml:NameID Format="${spec.nameIdFormat}">${esc(spec.nameId)}</saml:NameID>` +
    `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">` +
    `<saml:SubjectConfirmationData${irt(spec.confirmationInResponseTo)} NotOnOrAfter="${iso(spec.confirmationNotOnOrAfter)}" Recipient="${esc(spec.recipient)}"/>` +
    `</saml:SubjectConfirmation></saml:Subject>` +
    `<saml:Conditions NotBefore="${iso(spec.notBefore)}" NotOnOrAfter="${iso(spec.notOnOrAfter)}"><saml:AudienceRestriction>` +
    spec.audiences.map((a) => `<saml:Audience>${esc(a)}</saml:Audience>`).join('') +
    `</saml:AudienceRestriction></saml:Conditions>` +
    `<saml:AuthnStatement AuthnInstant="${iso(spec.authnInstant)}" SessionIndex="${esc(spec.sessionIndex)}">` +
    `<saml:AuthnContext><saml:AuthnContextClassRef>${esc(spec.authnContextClassRef)}</saml:AuthnContextClassRef></saml:AuthnContext>` +
    `</saml:AuthnStatement>` +
    (attrs === '' ? '' : `<saml:AttributeStatement>${attrs}</saml:AttributeStatement>`) +
    `</saml:Assertion>`;
  return (
    `<samlp:Response xmlns:samlp="${NS_SAMLP}" ID="${spec.responseId}" Version="2.0" IssueInstant="${iso(spec.issueInstant)}"` +
    (spec.destination === null ? '' : ` Destination="${esc(spec.destination)}"`) +
    irt(spec.responseInResponseTo) +
    `>` +
    (spec.responseIssuer === null ? '' : `<saml:Issuer xmlns:saml="${NS_SAML}">${esc(spec.responseIssuer)}</saml:Issuer>`) +
    (spec.signResponse ? signatureTemplate(spec.responseId, spec) : '') +
    `<samlp:Status><samlp:StatusCode Value="${spec.statusCode}"/></samlp:Status>` +
    assertion +
    `</samlp:Response>`
  );
}

const ASSERTION_SIGNATURE = "/*[local-name()='Response']/*[local-name()='Assertion']/*[local-name()='Signature']";
const RESPONSE_SIGNATURE = "/*[local-name()='Response']/*[local-name()='Signature']";

/**
 * Signs with `xmlsec1 --sign`: the Assertion first, then the Response over the signed
 * Assertion (SAML Core §5.4.1 order). xmlsec1 fills KeyInfo with the signer's certificate.
 */
export async function signWithXmlsec(template: string, keys: TestKeys, targets: { assertion: boolean; response: boolean }): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'factorgate-bridge-'));
  try {
    let current = join(dir, 'tmpl.xml');
    writeFileSync(current, template);
    const passes = [...(targets.assertion ? [ASSERTION_SIGNATURE] : []), ...(targets.response ? [RESPONSE_SIGNATURE] : [])];
    for (const [i, xpath] of passes.entries()) {
      const out = join(dir, `out-${i}.xml`);
      await run('/usr/bin/xmlsec1', [
        '--sign',
        '--privkey-pem',
        `${keys.keyPath},${keys.certPath}`,
        '--id-attr:ID',
        'urn:oasis:names:tc:SAML:2.0:assertion:Assertion',
        '--id-attr:ID',
        'urn:oasis:names:tc:SAML:2.0:protocol:Response',
        '--node-xpath',
        xpath,
        '--output',
        out,
        current,
      ]);
      current = out;
    }
    return readFileSync(current, 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A Response built from `spec` and signed by `keys` as the spec says. */
export function signedResponse(spec: ResponseSpec, keys: TestKeys): Promise<string> {
  return signWithXmlsec(responseTemplate(spec), keys, { assertion: spec.signAssertion, response: spec.signResponse });
}

/** `xmlsec1 --verify` with the certificate pinned: proves an attack document still verifies there. */
export async function xmlsecAcceptsAssertion(xml: string, certPath: string): Promise<boolean> {
  const dir = mkdtempSync(join(tmpdir(), 'factorgate-bridge-'));
  try {
    const file = join(dir, 'in.xml');
    writeFileSync(file, xml);
    await run('/usr/bin/xmlsec1', [
      '--verify',
      '--pubkey-cert-pem',
      certPath,
      '--id-attr:ID',
      'urn:oasis:names:tc:SAML:2.0:assertion:Assertion',
      '--node-xpath',
      ASSERTION_SIGNATURE,
      file,
    ]);
    return true;
  } catch {
    return false;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function parse(xml: string): Document {
  return new DOMParser().parseFromString(xml, 'text/xml');
}

export function serialize(doc: Document): string {
  return new XMLSerializer().serializeToString(doc);
}

/** Parses, lets `mutate` change the DOM, serialises. */
export function edit(xml: string, mutate: (doc: Document, root: Element) => void): string {
  const doc = parse(xml);
  mutate(doc, doc.documentElement as Element);
  return serialize(doc);
}

export function first(scope: Document | Element, ns: string, localName: string): Element {
  const el = scope.getElementsByTagNameNS(ns, localName).item(0);
  if (el === null) throw new Error(`no ${localName}`);
  return el;
}

/** The "match and replace" SAML Raider applies to the evil copy: a different user. */
export function makeEvil(el: Element): void {
  const nameId = first(el, NS_SAML, 'NameID');
  while (nameId.firstChild) nameId.removeChild(nameId.firstChild);
  nameId.appendChild((el.ownerDocument as Document).createTextNode('mallory@example.com'));
}
