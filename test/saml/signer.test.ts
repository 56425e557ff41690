import { X509Certificate, generateKeyPairSync, verify } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { SamlEmitError } from '../../src/saml/emit-error.js';
import { SamlSigner, type SignatureAlgorithm } from '../../src/saml/signer.js';
import { makeTestKeys } from './support/test-keys.js';

const keys = makeTestKeys();
const other = makeTestKeys('other');
afterAll(() => {
  keys.cleanup();
  other.cleanup();
});

function refusal(fn: () => unknown): SamlEmitError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SamlEmitError);
    expect((err as SamlEmitError).reason).toBe('INVALID_KEY');
    return err as SamlEmitError;
  }
  throw new Error('expected a refusal');
}

describe('SamlSigner', () => {
  it('signs the same bytes identically on the calling thread and on the threadpool', async () => {
    const signer = new SamlSigner({ privateKey: keys.keyPem, certificatePem: keys.certPem });
    const sync = signer.signSync('<ds:SignedInfo>é</ds:SignedInfo>');
    const async = await signer.sign('<ds:SignedInfo>é</ds:SignedInfo>');
    expect(async).toBe(sync);
    const publicKey = new X509Certificate(keys.certPem).publicKey;
    expect(verify('sha256', Buffer.from('<ds:SignedInfo>é</ds:SignedInfo>'), publicKey, Buffer.from(sync, 'base64'))).toBe(true);
  });

  it('carries the certificate DER as base64 for KeyInfo', () => {
    const signer = new SamlSigner({ privateKey: keys.keyPem, certificatePem: keys.certPem });
    const body = keys.certPem.replace(/-----[^-]+-----|\s/g, '');
    expect(signer.certificateBase64).toBe(body);
    expect(signer.signatureMethodUri).toBe('http://www.w3.org/2001/04/xmldsig-more#rsa-sha256');
  });

  it('refuses a certificate that does not belong to the key', () => {
    expect(refusal(() => new SamlSigner({ privateKey: keys.keyPem, certificatePem: other.certPem })).message).toContain(
      'does not match',
    );
  });

  it('refuses RSA keys under 2048 bits and non-RSA keys', () => {
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
    expect(refusal(() => new SamlSigner({ privateKey: small, certificatePem: keys.certPem })).message).toContain('1024 bits');
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    refusal(() => new SamlSigner({ privateKey: ec, certificatePem: keys.certPem }));
  });

  it('refuses SHA-1 and unknown algorithms', () => {
    refusal(
      () =>
        new SamlSigner({
          privateKey: keys.keyPem,
          certificatePem: keys.certPem,
          algorithm: 'rsa-sha1' as SignatureAlgorithm,
        }),
    );
  });

  it('refuses unparsable key or certificate material', () => {
    refusal(() => new SamlSigner({ privateKey: 'not a key', certificatePem: keys.certPem }));
    refusal(() => new SamlSigner({ privateKey: keys.keyPem, certificatePem: 'not a cert' }));
  });
});
