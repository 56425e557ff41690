import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/kit/clock.js';
import { SamlEmitError } from '../../src/saml/emit-error.js';
import { buildSignedResponse } from '../../src/saml/emit-response.js';
import { AssertionEncrypter } from '../../src/saml/encrypt-assertion.js';
import { SamlSigner } from '../../src/saml/signer.js';
import { nodeSamlAccepts, pythonSpResults, xmlCryptoVerifies, xmlsecDecrypts, xmlsecVerifies, type SpExpectations } from './support/peers.js';
import { SAMPLE_ACS, SAMPLE_IDP, SAMPLE_REQUEST_ID, SAMPLE_SP, sampleInput } from './support/sample-input.js';
import { makeTestKeys } from './support/test-keys.js';

const idp = makeTestKeys('idp');
const spKeys = makeTestKeys('sp');
afterAll(() => {
  idp.cleanup();
  spKeys.cleanup();
});
const signer = new SamlSigner({ privateKey: idp.keyPem, certificatePem: idp.certPem });
const DECRYPTED_ASSERTION_SIGNATURE = "//*[local-name()='Assertion']/*[local-name()='Signature']";
let fileCounter = 0;

function sp(signed: 'assertion' | 'both'): SpExpectations {
  return {
    certPem: idp.certPem,
    certPath: idp.certPath,
    idpEntityId: SAMPLE_IDP,
    audience: SAMPLE_SP,
    acs: SAMPLE_ACS,
    requestId: SAMPLE_REQUEST_ID,
    signed,
    decryption: { keyPem: spKeys.keyPem, keyPath: spKeys.keyPath, certPath: spKeys.certPath },
  };
}

describe('EncryptedAssertion', () => {
  const now = systemClock.now();

  for (const contentAlgorithm of ['aes256-gcm', 'aes256-cbc'] as const) {
    for (const sign of ['assertion', 'both'] as const) {
      it(`${contentAlgorithm}, ${sign === 'both' ? 'assertion and response signed' : 'assertion signed'}: decrypted and verified by xmlsec1, node-saml and pysaml2`, async () => {
        const input = sampleInput(now);
        input.nameId = { ...input.nameId, value: 'ålice & <bob>\u2028' };
        const encrypter = new AssertionEncrypter({ certificatePem: spKeys.certPem, contentAlgorithm });
        const xml = await buildSignedResponse(input, signer, { sign, encryptAssertion: encrypter });
        expect(xml).not.toContain('<saml:Assertion');
        expect(xml).not.toContain('ålice');

        const path = join(idp.dir, `enc-${++fileCounter}.xml`);
        writeFileSync(path, xml);
        if (sign === 'both') {
          expect(await xmlsecVerifies(path, idp.certPath, 'response')).toBe(true);
          expect(xmlCryptoVerifies(xml, idp.certPem, 'response')).not.toBeNull();
        }
        const decrypted = await xmlsecDecrypts(path, spKeys.keyPath);
        expect(decrypted).toContain('<saml:Assertion ');
        const decryptedPath = join(idp.dir, `dec-${fileCounter}.xml`);
        writeFileSync(decryptedPath, decrypted!);
        expect(await xmlsecVerifies(decryptedPath, idp.certPath, 'assertion', DECRYPTED_ASSERTION_SIGNATURE)).toBe(true);

        const expectedAttributes = Object.fromEntries(input.attributes!.map((a) => [a.name, [...a.values]]));
        const nodeSaml = await nodeSamlAccepts(xml, sp(sign));
        expect(nodeSaml.error).toBeUndefined();
        /*
         * node-saml reads the profile from the canonical bytes of the signature it trusted
         * most: the assertion's (raw U+2028, which its xmldom 0.8 reads as LF; see
         * randomised-peers.test.ts), or with a Response signature, the decrypted document
         * itself, which carries the character reference.
         */
        expect(nodeSaml.nameId).toBe(sign === 'both' ? 'ålice & <bob>\u2028' : 'ålice & <bob>\n');
        expect(nodeSaml.attributes).toEqual(expectedAttributes);

        const [pysaml2] = await pythonSpResults('pysaml2', [xml], sp(sign), idp.dir);
        expect(pysaml2).toMatchObject({ ok: true, nameId: 'ålice & <bob>\u2028', attributes: expectedAttributes });
      });
    }
  }

  it('cannot be decrypted with another key', async () => {
    const stranger = makeTestKeys('stranger');
    try {
      const xml = await buildSignedResponse(sampleInput(now), signer, {
        encryptAssertion: new AssertionEncrypter({ certificatePem: stranger.certPem }),
      });
      const path = join(idp.dir, `enc-${++fileCounter}.xml`);
      writeFileSync(path, xml);
      expect(await xmlsecDecrypts(path, spKeys.keyPath)).toBeNull();
      expect((await nodeSamlAccepts(xml, sp('assertion'))).ok).toBe(false);
    } finally {
      stranger.cleanup();
    }
  });

  it('refuses an unusable SP certificate', () => {
    expect(() => new AssertionEncrypter({ certificatePem: 'nope' })).toThrow(SamlEmitError);
  });
});
