/**
 * `saml:EncryptedAssertion` (SAML Core §2.3.4) for SPs that ask for encrypted assertions. The
 * assertion is signed first and then encrypted whole (SAML Core §6.1), so the SP decrypts,
 * then checks our signature. Written in exclusive-C14N form like the rest of the Response, so
 * a Response signature can cover it.
 */
import { X509Certificate, constants, createCipheriv, publicEncrypt, randomBytes, type KeyObject } from 'node:crypto';
import { SamlEmitError } from './emit-error.js';

const NS_SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';
const NS_XENC = 'http://www.w3.org/2001/04/xmlenc#';
const NS_DS = 'http://www.w3.org/2000/09/xmldsig#';
const TYPE_ELEMENT = 'http://www.w3.org/2001/04/xmlenc#Element';

/*
 * Content encryption. AES-256-GCM (XML Encryption 1.1 §5.2.4) authenticates the ciphertext
 * and is the default; AES-256-CBC (XML Encryption 1.0 §5.2.2) is for SPs without GCM (older
 * AD FS). CBC is malleable, which is why the SP must check the signature of the decrypted
 * assertion, as SAML Core §6.1 requires anyway.
 */
const CONTENT_ALGORITHMS = {
  'aes256-gcm': { uri: 'http://www.w3.org/2009/xmlenc11#aes256-gcm', ivBytes: 12 },
  'aes256-cbc': { uri: 'http://www.w3.org/2001/04/xmlenc#aes256-cbc', ivBytes: 16 },
} as const;

export type ContentEncryptionAlgorithm = keyof typeof CONTENT_ALGORITHMS;

/*
 * Key transport: RSA-OAEP with MGF1-SHA1 and the default SHA-1 digest (XML Encryption 1.0
 * §5.4.2, `rsa-oaep-mgf1p`). This is the one OAEP form that xml-encryption (node-saml), xmlsec1
 * and the big SPs all decrypt alike; OAEP's security rests on the hash as a random oracle, not
 * on collision resistance, so the SHA-1 ban for signatures does not apply. RSA PKCS#1 v1.5 key
 * transport is not offered (Bleichenbacher).
 */
const KEY_TRANSPORT_URI = 'http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p';

export interface AssertionEncrypterOptions {
  /** The SP's encryption certificate (from its metadata, `use="encryption"`). */
  certificatePem: string;
  /** Defaults to `aes256-gcm`. */
  contentAlgorithm?: ContentEncryptionAlgorithm;
}

export class AssertionEncrypter {
  readonly contentAlgorithm: ContentEncryptionAlgorithm;
  readonly #publicKey: KeyObject;

  constructor(options: AssertionEncrypterOptions) {
    this.contentAlgorithm = options.contentAlgorithm ?? 'aes256-gcm';
    if (CONTENT_ALGORITHMS[this.contentAlgorithm] === undefined) {
      throw new SamlEmitError('INVALID_KEY', `unsupported content encryption ${String(options.contentAlgorithm)}`);
    }
    let certificate: X509Certificate;
    try {
      certificate = new X509Certificate(options.certificatePem);
    } catch (cause) {
      throw new SamlEmitError('INVALID_KEY', 'the SP encryption certificate cannot be parsed', cause);
    }
    const key = certificate.publicKey;
    if (key.asymmetricKeyType !== 'rsa' || (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) {
      throw new SamlEmitError('INVALID_KEY', 'the SP encryption certificate must hold an RSA key of at least 2048 bits');
    }
    this.#publicKey = key;
  }

  /** Wraps a serialised, already signed `saml:Assertion` in a `saml:EncryptedAssertion`. */
  encrypt(assertionXml: string): string {
    const spec = CONTENT_ALGORITHMS[this.contentAlgorithm];
    const contentKey = randomBytes(32);
    const iv = randomBytes(spec.ivBytes);
    let content: Buffer;
    if (this.contentAlgorithm === 'aes256-gcm') {
      const cipher = createCipheriv('aes-256-gcm', contentKey, iv);
      // XML Encryption 1.1 §5.2.4: the CipherValue is IV || ciphertext || 128-bit tag.
      content = Buffer.concat([iv, cipher.update(assertionXml, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    } else {
      // XML Encryption 1.0 §5.2: IV first; PKCS#7 padding is one of the paddings §5.2 allows.
      const cipher = createCipheriv('aes-256-cbc', contentKey, iv);
      content = Buffer.concat([iv, cipher.update(assertionXml, 'utf8'), cipher.final()]);
    }
    const encryptedKey = publicEncrypt(
      { key: this.#publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' },
      contentKey,
    );
    return (
      `<saml:EncryptedAssertion xmlns:saml="${NS_SAML}">` +
      `<xenc:EncryptedData xmlns:xenc="${NS_XENC}" Type="${TYPE_ELEMENT}">` +
      `<xenc:EncryptionMethod Algorithm="${spec.uri}"></xenc:EncryptionMethod>` +
      `<ds:KeyInfo xmlns:ds="${NS_DS}"><xenc:EncryptedKey>` +
      `<xenc:EncryptionMethod Algorithm="${KEY_TRANSPORT_URI}"></xenc:EncryptionMethod>` +
      `<xenc:CipherData><xenc:CipherValue>${encryptedKey.toString('base64')}</xenc:CipherValue></xenc:CipherData>` +
      '</xenc:EncryptedKey></ds:KeyInfo>' +
      `<xenc:CipherData><xenc:CipherValue>${content.toString('base64')}</xenc:CipherValue></xenc:CipherData>` +
      '</xenc:EncryptedData></saml:EncryptedAssertion>'
    );
  }
}
