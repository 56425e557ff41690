/**
 * User-Password (RFC 2865 §5.2): the password, NUL-padded to a multiple of 16 octets, XORed with
 * MD5(secret + Request Authenticator) and then MD5(secret + previous cipher block). Decoded
 * here because the `radius` package keeps the secret and authenticator in module-level state
 * between calls; this is a pure function of its inputs.
 */
import { createHash } from 'node:crypto';

/** The clear password, or null when the attribute cannot be a User-Password (length). */
export function decodeUserPassword(cipher: Buffer, secret: Buffer, requestAuthenticator: Buffer): string | null {
  // 16 to 128 octets, a multiple of 16 (RFC 2865 §5.2).
  if (cipher.length < 16 || cipher.length > 128 || cipher.length % 16 !== 0) return null;
  const clear = Buffer.alloc(cipher.length);
  let previous = requestAuthenticator;
  for (let i = 0; i < cipher.length; i += 16) {
    const b = createHash('md5').update(secret).update(previous).digest();
    for (let j = 0; j < 16; j++) clear[i + j] = cipher[i + j]! ^ b[j]!;
    previous = cipher.subarray(i, i + 16);
  }
  const end = clear.indexOf(0);
  return clear.subarray(0, end === -1 ? clear.length : end).toString('utf8');
}

/** The encoding, for tests and the bench's client. */
export function encodeUserPassword(password: string, secret: Buffer, requestAuthenticator: Buffer): Buffer {
  const clearText = Buffer.from(password, 'utf8');
  const padded = Buffer.alloc(Math.max(16, Math.ceil(clearText.length / 16) * 16));
  clearText.copy(padded);
  const out = Buffer.alloc(padded.length);
  let previous = requestAuthenticator;
  for (let i = 0; i < padded.length; i += 16) {
    const b = createHash('md5').update(secret).update(previous).digest();
    for (let j = 0; j < 16; j++) out[i + j] = padded[i + j]! ^ b[j]!;
    previous = out.subarray(i, i + 16);
  }
  return out;
}
