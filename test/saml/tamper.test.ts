/**
 * A one-character change anywhere a signature covers must make xmlsec1 and xml-crypto reject
 * the document. Positions are chosen inside text and attribute values so that the result is
 * still well-formed XML: the signature, not the parser, has to catch it.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/kit/clock.js';
import { buildSignedResponseSync } from '../../src/saml/emit-response.js';
import { SamlSigner } from '../../src/saml/signer.js';
import { xmlCryptoVerifies, xmlsecVerifies, type SignedTarget } from './support/peers.js';
import { randomCase, seededRandom } from './support/random-documents.js';
import { sampleInput } from './support/sample-input.js';
import { makeTestKeys } from './support/test-keys.js';

const keys = makeTestKeys();
afterAll(() => keys.cleanup());
const signer = new SamlSigner({ privateKey: keys.keyPem, certificatePem: keys.certPem });
const now = systemClock.now();
let fileCounter = 0;

async function rejectedByBoth(xml: string, target: SignedTarget): Promise<void> {
  expect(xmlCryptoVerifies(xml, keys.certPem, target), `xml-crypto ${target}`).toBeNull();
  const path = join(keys.dir, `tamper-${++fileCounter}.xml`);
  writeFileSync(path, xml);
  expect(await xmlsecVerifies(path, keys.certPath, target), `xmlsec1 ${target}`).toBe(false);
}

async function acceptedByBoth(xml: string, target: SignedTarget): Promise<void> {
  expect(xmlCryptoVerifies(xml, keys.certPem, target), `xml-crypto ${target}`).not.toBeNull();
  const path = join(keys.dir, `tamper-${++fileCounter}.xml`);
  writeFileSync(path, xml);
  expect(await xmlsecVerifies(path, keys.certPath, target), `xmlsec1 ${target}`).toBe(true);
}

/** Replaces one alphanumeric character with a different one. */
function flip(xml: string, at: number): string {
  const c = xml[at]!;
  const replacement = /[0-9]/.test(c) ? String((Number(c) + 1) % 10) : c === 'a' ? 'b' : c === 'A' ? 'B' : /[a-z]/.test(c) ? 'a' : 'A';
  return xml.slice(0, at) + replacement + xml.slice(at + 1);
}

/** Flips the middle character of the content of the first `tag` element after `from`. */
function flipInside(xml: string, tag: string, from = 0): string {
  const start = xml.indexOf('>', xml.indexOf(`<${tag}`, from)) + 1;
  const end = xml.indexOf(`</${tag}>`, start);
  let at = Math.floor((start + end) / 2);
  while (!/[A-Za-z0-9]/.test(xml[at]!)) at++;
  return flip(xml, at);
}

/**
 * Positions of alphanumeric characters in text or quoted attribute values between `from` and
 * `to`, outside the `skip` ranges (the unsigned KeyInfo) and outside entity and character
 * references, whose change would be a parse error. The rest of the Signature stays eligible:
 * the enveloped transform drops it from the digest, but SignedInfo is what the RSA signature
 * covers and the SignatureValue is checked against it.
 */
function tamperablePositions(xml: string, from: number, to: number, skip: Array<[number, number]>): number[] {
  const positions: number[] = [];
  let inTag = false;
  let inQuote = false;
  let inReference = false;
  for (let i = from; i < to; i++) {
    const c = xml[i]!;
    if (inReference) inReference = c !== ';';
    else if (c === '&') inReference = true;
    else if (!inTag && c === '<') inTag = true;
    else if (inTag && c === '"') inQuote = !inQuote;
    else if (inTag && !inQuote && c === '>') inTag = false;
    else if ((!inTag || inQuote) && /[A-Za-z0-9]/.test(c) && !skip.some(([a, b]) => i >= a && i < b)) positions.push(i);
  }
  return positions;
}

describe('one-character tampering', () => {
  const signed = buildSignedResponseSync(sampleInput(now), signer, { sign: 'both' });
  const assertionStart = signed.indexOf('<saml:Assertion ');

  it('leaves the untouched document valid (control)', async () => {
    await acceptedByBoth(signed, 'assertion');
    await acceptedByBoth(signed, 'response');
  });

  it('in an attribute value is rejected for the assertion and the response signature', async () => {
    const xml = flipInside(signed, 'saml:AttributeValue');
    await rejectedByBoth(xml, 'assertion');
    await rejectedByBoth(xml, 'response');
  });

  it('in the NameID is rejected', async () => {
    await rejectedByBoth(flipInside(signed, 'saml:NameID'), 'assertion');
  });

  it('in the Assertion ID is rejected', async () => {
    const at = signed.indexOf(' ID="', assertionStart) + 10;
    await rejectedByBoth(flip(signed, at), 'assertion');
  });

  it('in the Reference URI is rejected', async () => {
    const at = signed.indexOf('<ds:Reference URI="#', assertionStart) + 25;
    await rejectedByBoth(flip(signed, at), 'assertion');
  });

  it('in the DigestValue is rejected', async () => {
    await rejectedByBoth(flipInside(signed, 'ds:DigestValue', assertionStart), 'assertion');
    await rejectedByBoth(flipInside(signed, 'ds:DigestValue'), 'response');
  });

  it('in the SignatureValue is rejected', async () => {
    await rejectedByBoth(flipInside(signed, 'ds:SignatureValue', assertionStart), 'assertion');
    await rejectedByBoth(flipInside(signed, 'ds:SignatureValue'), 'response');
  });

  it('in the Destination of a response-signed document is rejected', async () => {
    const xml = buildSignedResponseSync(sampleInput(now), signer, { sign: 'response' });
    const at = xml.indexOf('Destination="') + 20;
    await rejectedByBoth(flip(xml, at), 'response');
  });

  it('at a random signed position is rejected: 100 cases by xml-crypto, 25 also by xmlsec1', async () => {
    const setting = { now, issuer: 'https://idp.example', audience: 'https://sp.example', acs: 'https://sp.example/acs', requestId: '_r1' };
    for (let seed = 7000; seed < 7100; seed++) {
      const c = randomCase(seed, setting);
      const xml = buildSignedResponseSync(c.input, signer, { ...c.options, sign: 'assertion' });
      const start = xml.indexOf('<saml:Assertion ');
      const end = xml.indexOf('</saml:Assertion>');
      const keyInfo: [number, number] = [xml.indexOf('<ds:KeyInfo>', start), xml.indexOf('</ds:KeyInfo>', start)];
      // The last base64 character before '=' padding carries unused bits: changing it may change nothing.
      const positions = tamperablePositions(xml, start, end, [keyInfo]).filter((p) => xml[p + 1] !== '=');
      const random = seededRandom(seed);
      const at = positions[Math.floor(random() * positions.length)]!;
      const tampered = flip(xml, at);
      expect(xmlCryptoVerifies(tampered, keys.certPem, 'assertion'), `seed ${seed} at ${at}`).toBeNull();
      if (seed < 7025) {
        const path = join(keys.dir, `tamper-${++fileCounter}.xml`);
        writeFileSync(path, tampered);
        expect(await xmlsecVerifies(path, keys.certPath, 'assertion'), `seed ${seed} at ${at}`).toBe(false);
      }
    }
  });

  it('in the unsigned KeyInfo certificate is ignored, because verifiers pin the certificate', async () => {
    await acceptedByBoth(flipInside(signed, 'ds:X509Certificate', assertionStart), 'assertion');
  });
});
