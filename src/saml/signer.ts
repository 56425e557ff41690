/**
 * The signing key and certificate of one IdP identity. The key is parsed once into a
 * `KeyObject`: signing with a PEM string re-parses it on every call and halves throughput.
 */
import { X509Certificate, createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { SamlEmitError } from './emit-error.js';

/*
 * XML-DSig algorithm identifiers (RFC 6931 §2.3.2 for the SHA-2 RSA ones). SHA-1
 * (`xmldsig#rsa-sha1`) is deliberately absent: DESIGN.md refuses it both ways.
 */
export const SIGNATURE_ALGORITHMS = {
  'rsa-sha256': { uri: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256', hash: 'sha256' },
  'rsa-sha512': { uri: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512', hash: 'sha512' },
} as const;

export type SignatureAlgorithm = keyof typeof SIGNATURE_ALGORITHMS;

export interface SamlSignerOptions {
  /** PKCS#8 or PKCS#1 PEM, or an existing private `KeyObject`. */
  privateKey: string | Buffer | KeyObject;
  /** PEM of the certificate published in metadata; the first block is used. */
  certificatePem: string;
  /** Defaults to `rsa-sha256`. */
  algorithm?: SignatureAlgorithm;
}

// NIST SP 800-57 Part 1 / SP 800-131A: RSA below 2048 bits is no longer acceptable for signing.
const MIN_RSA_BITS = 2048;

export class SamlSigner {
  readonly algorithm: SignatureAlgorithm;
  readonly signatureMethodUri: string;
  /** Base64 of the certificate's DER, as `ds:X509Certificate` carries it (XML-DSig §4.4.4). */
  readonly certificateBase64: string;
  readonly #key: KeyObject;
  readonly #hash: string;

  constructor(options: SamlSignerOptions) {
    this.algorithm = options.algorithm ?? 'rsa-sha256';
    const spec = SIGNATURE_ALGORITHMS[this.algorithm];
    if (spec === undefined) {
      throw new SamlEmitError('INVALID_KEY', `unsupported signature algorithm ${String(options.algorithm)}`);
    }
    this.signatureMethodUri = spec.uri;
    this.#hash = spec.hash;

    let key: KeyObject;
    try {
      key =
        typeof options.privateKey === 'string' || Buffer.isBuffer(options.privateKey)
          ? createPrivateKey(options.privateKey)
          : options.privateKey;
    } catch (cause) {
      throw new SamlEmitError('INVALID_KEY', 'the signing key cannot be parsed', cause);
    }
    if (key.type !== 'private' || key.asymmetricKeyType !== 'rsa') {
      throw new SamlEmitError('INVALID_KEY', 'the signing key must be an RSA private key');
    }
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS) {
      throw new SamlEmitError('INVALID_KEY', `the RSA key has ${bits} bits; at least ${MIN_RSA_BITS} are required`);
    }

    let certificate: X509Certificate;
    try {
      certificate = new X509Certificate(options.certificatePem);
    } catch (cause) {
      throw new SamlEmitError('INVALID_KEY', 'the signing certificate cannot be parsed', cause);
    }
    // An SP pins the certificate from metadata; a key that does not match it signs in vain.
    if (!certificate.checkPrivateKey(key)) {
      throw new SamlEmitError('INVALID_KEY', 'the signing certificate does not match the private key');
    }
    this.certificateBase64 = certificate.raw.toString('base64');
    this.#key = key;
  }

  /** RSA PKCS#1 v1.5 signature of the UTF-8 bytes of `data`, base64 (XML-DSig §6.4.2). */
  signSync(data: string): string {
    return sign(this.#hash, Buffer.from(data, 'utf8'), this.#key).toString('base64');
  }

  /**
   * The same signature computed on the libuv threadpool (`crypto.sign` with a callback), so
   * several signatures can be in flight while the event loop keeps serving requests.
   */
  sign(data: string): Promise<string> {
    return new Promise((resolve, reject) => {
      sign(this.#hash, Buffer.from(data, 'utf8'), this.#key, (err, signature) => {
        if (err) reject(err);
        else resolve(signature.toString('base64'));
      });
    });
  }
}
