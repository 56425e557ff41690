/**
 * SP requests (AuthnRequest, LogoutRequest) as a relying party sends them, signed by xmlsec1
 * (the reference XML-DSig implementation, not our code) with any algorithm the attack needs,
 * and the edits an attacker makes to them. The IdP-side suite posts each result to a running
 * host.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export type RequestKind = 'AuthnRequest' | 'LogoutRequest';

export const ALG = {
  rsaSha256: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  rsaSha1: 'http://www.w3.org/2000/09/xmldsig#rsa-sha1',
  sha256: 'http://www.w3.org/2001/04/xmlenc#sha256',
  sha1: 'http://www.w3.org/2000/09/xmldsig#sha1',
  excC14n: 'http://www.w3.org/2001/10/xml-exc-c14n#',
  c14n: 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315',
  enveloped: 'http://www.w3.org/2000/09/xmldsig#enveloped-signature',
} as const;

export interface RequestSpec {
  kind: RequestKind;
  id: string;
  issuer: string;
  destination: string;
  instant: number;
  /** AuthnRequest: the ACS URL asked for. */
  acs?: string;
  /** LogoutRequest: whom to log out. */
  nameId?: string;
  signatureMethod?: string;
  digestMethod?: string;
  canonicalization?: string;
}

let counter = 0;
/** A fresh request id (the IdP refuses a replayed one). */
export function requestId(): string {
  counter++;
  return `_rq${counter}_${process.pid}_${Math.random().toString(16).slice(2, 10)}`;
}

function signatureTemplate(spec: RequestSpec): string {
  const c14n = spec.canonicalization ?? ALG.excC14n;
  return (
    '<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>' +
    `<ds:CanonicalizationMethod Algorithm="${c14n}"/><ds:SignatureMethod Algorithm="${spec.signatureMethod ?? ALG.rsaSha256}"/>` +
    `<ds:Reference URI="#${spec.id}"><ds:Transforms><ds:Transform Algorithm="${ALG.enveloped}"/><ds:Transform Algorithm="${c14n}"/></ds:Transforms>` +
    `<ds:DigestMethod Algorithm="${spec.digestMethod ?? ALG.sha256}"/><ds:DigestValue></ds:DigestValue></ds:Reference></ds:SignedInfo>` +
    '<ds:SignatureValue></ds:SignatureValue><ds:KeyInfo><ds:X509Data><ds:X509Certificate></ds:X509Certificate></ds:X509Data></ds:KeyInfo></ds:Signature>'
  );
}

/** The request XML; with `signed`, a Signature template after the Issuer for xmlsec1 to fill in. */
export function requestXml(spec: RequestSpec, signed: boolean): string {
  const open =
    `<samlp:${spec.kind} xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ` +
    `ID="${spec.id}" Version="2.0" IssueInstant="${new Date(spec.instant).toISOString()}" Destination="${spec.destination}"`;
  const body =
    spec.kind === 'AuthnRequest'
      ? ` AssertionConsumerServiceURL="${spec.acs}" ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST">` +
        `<saml:Issuer>${spec.issuer}</saml:Issuer>${signed ? signatureTemplate(spec) : ''}<samlp:NameIDPolicy AllowCreate="true"/>`
      : `><saml:Issuer>${spec.issuer}</saml:Issuer>${signed ? signatureTemplate(spec) : ''}` +
        `<saml:NameID>${spec.nameId ?? 'alice'}</saml:NameID><samlp:SessionIndex>_session-1</samlp:SessionIndex>`;
  return `${open}${body}</samlp:${spec.kind}>`;
}

/** Signs the template with `xmlsec1 --sign` and the SP's key; xmlsec1 also puts the certificate in KeyInfo. */
export async function signWithXmlsec(template: string, kind: RequestKind, keys: { keyPath: string; certPath: string }): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'factorgate-request-'));
  try {
    const input = join(dir, 'tmpl.xml');
    const output = join(dir, 'out.xml');
    writeFileSync(input, template);
    await run('/usr/bin/xmlsec1', ['--sign', '--privkey-pem', `${keys.keyPath},${keys.certPath}`, '--id-attr:ID', `urn:oasis:names:tc:SAML:2.0:protocol:${kind}`, '--output', output, input]);
    return readFileSync(output, 'utf8').replace(/^<\?xml[^>]*>\s*/, '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function signedRequest(spec: RequestSpec, keys: { keyPath: string; certPath: string }): Promise<string> {
  return signWithXmlsec(requestXml(spec, true), spec.kind, keys);
}

/** `from` replaced once; throws when it is not there, so an attack can never silently be a no-op. */
export function replaceOnce(xml: string, from: string | RegExp, to: string): string {
  const at = typeof from === 'string' ? xml.indexOf(from) : xml.search(from);
  if (at < 0) throw new Error(`attack: ${String(from).slice(0, 60)} is not in the document`);
  const length = typeof from === 'string' ? from.length : (xml.match(from) as RegExpMatchArray)[0].length;
  return xml.slice(0, at) + to + xml.slice(at + length);
}

export function signatureOf(xml: string): string {
  const m = /<ds:Signature[\s\S]*<\/ds:Signature>/.exec(xml);
  if (!m) throw new Error('no Signature');
  return m[0];
}

export function withoutSignature(xml: string): string {
  return replaceOnce(xml, signatureOf(xml), '');
}
