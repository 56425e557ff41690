/**
 * The SAML 1.1 / WS-Federation emitter on the canonical path: randomised values (markup,
 * quotes, non-ASCII, emoji, U+2028) in every field, each response verified by xmlsec1 and by
 * xml-crypto with the certificate pinned, one-character tampers rejected, and bad input refused
 * with every problem named. The federation metadata is verified the same way with two published
 * certificates (a key rollover) and its InclusiveNamespaces prefix list.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DOMParser } from '@xmldom/xmldom';
import { SignedXml } from 'xml-crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { SamlEmitError } from '../../src/saml/emit-error.js';
import { buildSignedFederationMetadata } from '../../src/saml/emit-federation-metadata.js';
import { SAML11_AM_PASSWORD } from '../../src/saml/emit-saml11-assertion.js';
import { buildWsFedResponse, type WsFedResponseInput } from '../../src/saml/emit-wsfed-response.js';
import { SamlSigner } from '../../src/saml/signer.js';
import { randomText, seededRandom } from './support/random-documents.js';
import { makeTestKeys } from './support/test-keys.js';

const run = promisify(execFile);
const keys = makeTestKeys('wsfed');
const other = makeTestKeys('wsfed-next');
afterAll(() => {
  keys.cleanup();
  other.cleanup();
});
const signer = new SamlSigner({ privateKey: keys.keyPem, certificatePem: keys.certPem });
let n = 0;

async function xmlsec(xml: string, idAttr: string, certPath = keys.certPath): Promise<boolean> {
  const path = join(keys.dir, `wsfed-${++n}.xml`);
  writeFileSync(path, xml);
  try {
    await run('/usr/bin/xmlsec1', ['--verify', '--pubkey-cert-pem', certPath, `--id-attr:${idAttr.split(' ')[0]}`, idAttr.split(' ')[1]!, path]);
    return true;
  } catch {
    return false;
  }
}
const ASSERTION_ID = 'AssertionID urn:oasis:names:tc:SAML:1.0:assertion:Assertion';
const METADATA_ID = 'ID urn:oasis:names:tc:SAML:2.0:metadata:EntityDescriptor';

/** `idAttribute` beside xml-crypto's own ID/Id/id (naming one of those again makes it see every id twice). */
function xmlCrypto(xml: string, idAttribute?: 'AssertionID'): boolean {
  const doc = new DOMParser().parseFromString(xml, 'text/xml');
  const signature = doc.getElementsByTagNameNS('http://www.w3.org/2000/09/xmldsig#', 'Signature')[0];
  const verifier = new SignedXml({ publicCert: keys.certPem, getCertFromKeyInfo: () => null, ...(idAttribute ? { idAttribute } : {}) });
  verifier.loadSignature(signature as unknown as Parameters<SignedXml['loadSignature']>[0]);
  try {
    return verifier.checkSignature(xml);
  } catch {
    return false;
  }
}

function input(random: () => number, now: number): WsFedResponseInput {
  // Never blank: the emitter refuses blank required values (tested below).
  const text = () => `v${randomText(random, 6)}`;
  return {
    appliesTo: `urn:realm:${text()}`,
    created: now,
    expires: now + 3_600_000,
    assertion: {
      issuer: `https://idp.example/${text()}`,
      issueInstant: now,
      notBefore: now - 30_000,
      nameIdentifier: { value: text(), format: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent' },
      attributes: [
        { name: 'UPN', namespace: 'http://schemas.xmlsoap.org/claims', values: [text()] },
        { name: text(), namespace: 'http://schemas.microsoft.com/claims', values: [text(), text()] },
      ],
      authentication: { method: SAML11_AM_PASSWORD, instant: now - 1000 },
    },
  };
}

describe('WS-Federation response emitter', () => {
  it('16 randomised responses: xmlsec1 and xml-crypto verify each with the pinned certificate; a changed character fails both', async () => {
    const random = seededRandom(2026);
    for (let i = 0; i < 16; i++) {
      const { wresult, assertionId } = await buildWsFedResponse(input(random, 1_780_000_000_000 + i * 1000), signer);
      expect(wresult).toContain(`AssertionID="${assertionId}"`);
      expect(await xmlsec(wresult, ASSERTION_ID), `case ${i}`).toBe(true);
      expect(xmlCrypto(wresult, 'AssertionID'), `case ${i}`).toBe(true);
      const tampered = wresult.replace('MinorVersion="1"', 'MinorVersion="0"');
      expect(await xmlsec(tampered, ASSERTION_ID)).toBe(false);
      expect(xmlCrypto(tampered, 'AssertionID')).toBe(false);
    }
  });

  it('another certificate does not verify it (the key is pinned, not read from KeyInfo)', async () => {
    const { wresult } = await buildWsFedResponse(input(seededRandom(7), 1_780_000_000_000), signer);
    expect(await xmlsec(wresult, ASSERTION_ID, other.certPath)).toBe(false);
  });

  it('refuses bad input naming every problem, and characters XML forbids', async () => {
    const bad = input(seededRandom(1), 1_780_000_000_000);
    const err = await buildWsFedResponse(
      { ...bad, assertion: { ...bad.assertion, issuer: '', assertionId: '1bad', notBefore: bad.expires, attributes: [{ name: 'x', namespace: 'y', values: [] }] } },
      signer,
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SamlEmitError);
    const message = (err as Error).message;
    for (const part of ['assertionId', 'issuer must be a non-empty string', 'notBefore must be earlier', 'attributes[0].values must hold at least one value']) expect(message).toContain(part);
    const backwards = await buildWsFedResponse({ ...bad, expires: bad.created }, signer).catch((e: unknown) => e);
    expect((backwards as Error).message).toContain('expires must be later than created');
    const nul = await buildWsFedResponse({ ...bad, assertion: { ...bad.assertion, nameIdentifier: { value: 'a\u0000b' } } }, signer).catch((e: unknown) => e);
    expect((nul as SamlEmitError).reason).toBe('FORBIDDEN_CHARACTER');
  });
});

describe('federation metadata emitter', () => {
  it('two published certificates: xmlsec1 and xml-crypto verify the signature over the whole document', async () => {
    const certB64 = (pem: string) => pem.replace(/-----[^-]+-----|\s/g, '');
    const xml = await buildSignedFederationMetadata({ entityId: 'https://idp.example/wsfed?a=1&b="2"', passiveEndpoint: 'https://idp.example/wsfed', certificates: [certB64(keys.certPem), certB64(other.certPem)] }, signer);
    expect(xml).toContain('PrefixList="fed xsi"');
    expect(xml.match(/<ds:X509Certificate>/g)?.length).toBe(3);
    expect(await xmlsec(xml, METADATA_ID)).toBe(true);
    expect(xmlCrypto(xml)).toBe(true);
    const tampered = xml.replace('fed:SecurityTokenServiceType', 'fed:ApplicationServiceType');
    expect(await xmlsec(tampered, METADATA_ID)).toBe(false);
  });
});
