/**
 * SAML signing keys: from `signing.keys`, or a development pair generated at first start under
 * `certs/dev/` (git-ignored). Private keys are held as `KeyObject`s: signing with a PEM string
 * re-parses the key on every call (RECIPES.md measured half the speed).
 */
import { execFileSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SigningKey, SigningKeys } from '../../api/host-api.js';
import { FactorgateError } from '../../kit/errors.js';

export function pemToBase64Der(pem: string): string {
  const m = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(pem);
  if (!m) throw new FactorgateError('CONFIG_INVALID', { detail: 'signing certificate is not a PEM certificate' });
  return m[1]!.replace(/\s+/g, '');
}

export function toSigningKey(certPem: string, keyPem: string | undefined): SigningKey {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch (cause) {
    throw new FactorgateError('CONFIG_INVALID', { detail: 'signing.keys: cannot read the certificate', cause });
  }
  let privateKey = null;
  if (keyPem) {
    try {
      privateKey = createPrivateKey(keyPem);
    } catch (cause) {
      throw new FactorgateError('CONFIG_INVALID', { detail: 'signing.keys: cannot read the private key', cause });
    }
    if (privateKey.asymmetricKeyType !== 'rsa') {
      throw new FactorgateError('CONFIG_INVALID', { detail: 'signing.keys: only RSA keys are supported for SAML signing' });
    }
    const pub = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
    if (!pub.equals(cert.publicKey.export({ format: 'der', type: 'spki' }))) {
      throw new FactorgateError('CONFIG_INVALID', { detail: 'signing.keys: the private key does not match the certificate' });
    }
  }
  return { privateKey, certificatePem: cert.toString(), certificateBase64: pemToBase64Der(cert.toString()) };
}

export function signingKeysFrom(pairs: readonly { cert: string; key?: string | undefined }[]): SigningKeys {
  const published = pairs.map((p) => toSigningKey(p.cert, p.key));
  const current = published.find((k) => k.privateKey !== null);
  if (!current) throw new FactorgateError('CONFIG_INVALID', { detail: 'signing.keys: no entry has a private key' });
  return { current, published: [current, ...published.filter((k) => k !== current)] };
}

/**
 * Generates a self-signed RSA-2048 / SHA-256 pair valid ten years with the `openssl` command
 * (Node has no X.509 writer; openssl ships with every Debian image this runs on).
 */
export function generateSelfSigned(commonName: string, dir: string): { certPem: string; keyPem: string } {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const keyFile = join(dir, `.tmp-key-${process.pid}.pem`);
  const certFile = join(dir, `.tmp-cert-${process.pid}.pem`);
  try {
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-sha256', '-nodes', '-days', '3650', '-subj', `/CN=${commonName.replace(/[/=]/g, ' ')}`, '-keyout', keyFile, '-out', certFile],
      { stdio: 'pipe' },
    );
    return { certPem: readFileSync(certFile, 'utf8'), keyPem: readFileSync(keyFile, 'utf8') };
  } catch (cause) {
    throw new FactorgateError('CONFIG_INVALID', { detail: 'cannot generate development signing keys with openssl', cause });
  } finally {
    rmSync(keyFile, { force: true });
    rmSync(certFile, { force: true });
  }
}

export async function loadOrCreateDevSigningKeys(dir: string): Promise<SigningKeys> {
  const certFile = join(dir, 'signing-cert.pem');
  const keyFile = join(dir, 'signing-key.pem');
  if (!existsSync(certFile) || !existsSync(keyFile)) {
    const { certPem, keyPem } = generateSelfSigned('factorgate development signing key', dir);
    writeFileSync(keyFile, keyPem, { mode: 0o600 });
    writeFileSync(certFile, certPem);
  }
  return signingKeysFrom([{ cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') }]);
}
