import { createDecipheriv, createHmac, pbkdf2Sync, timingSafeEqual } from 'node:crypto';

/**
 * The cryptography RFC 6030 §6 asks of a PSKC reader: symmetric decryption of values
 * (§6.1), their MAC (§6.1.1) and password-based keys (§6.2). Only algorithms with a URI
 * RFC 6030 names are accepted; anything else is reported, never guessed at.
 */

interface CbcCipher {
  kind: 'cbc';
  nodeName: string;
  keyBytes: number;
  ivBytes: number;
}
interface KeyWrapCipher {
  kind: 'kw';
  nodeName: string;
  keyBytes: number;
}
export type PskcCipher = CbcCipher | KeyWrapCipher;

/** RFC 6030 §6.1: the XML Encryption URIs for the algorithms it lists. */
const CIPHERS: Record<string, PskcCipher> = {
  'http://www.w3.org/2001/04/xmlenc#aes128-cbc': { kind: 'cbc', nodeName: 'aes-128-cbc', keyBytes: 16, ivBytes: 16 },
  'http://www.w3.org/2001/04/xmlenc#aes192-cbc': { kind: 'cbc', nodeName: 'aes-192-cbc', keyBytes: 24, ivBytes: 16 },
  'http://www.w3.org/2001/04/xmlenc#aes256-cbc': { kind: 'cbc', nodeName: 'aes-256-cbc', keyBytes: 32, ivBytes: 16 },
  'http://www.w3.org/2001/04/xmlenc#tripledes-cbc': { kind: 'cbc', nodeName: 'des-ede3-cbc', keyBytes: 24, ivBytes: 8 },
  // RFC 3394 key wrap; OpenSSL's id-aesNNN-wrap checks the default IV A6A6A6A6A6A6A6A6.
  'http://www.w3.org/2001/04/xmlenc#kw-aes128': { kind: 'kw', nodeName: 'id-aes128-wrap', keyBytes: 16 },
  'http://www.w3.org/2001/04/xmlenc#kw-aes192': { kind: 'kw', nodeName: 'id-aes192-wrap', keyBytes: 24 },
  'http://www.w3.org/2001/04/xmlenc#kw-aes256': { kind: 'kw', nodeName: 'id-aes256-wrap', keyBytes: 32 },
};

/** RFC 6030 §6.1.1 names HMAC-SHA1 as mandatory and the xmldsig-more HMACs as options. */
const MAC_HASHES: Record<string, string> = {
  'http://www.w3.org/2000/09/xmldsig#hmac-sha1': 'sha1',
  'http://www.w3.org/2001/04/xmldsig-more#hmac-sha224': 'sha224',
  'http://www.w3.org/2001/04/xmldsig-more#hmac-sha256': 'sha256',
  'http://www.w3.org/2001/04/xmldsig-more#hmac-sha384': 'sha384',
  'http://www.w3.org/2001/04/xmldsig-more#hmac-sha512': 'sha512',
};

export const PBKDF2_ALGORITHMS = new Set([
  'http://www.rsasecurity.com/rsalabs/pkcs/schemas/pkcs-5v2-0#pbkdf2',
  'http://www.w3.org/2009/xmlenc11#pbkdf2',
]);

/** PKCS #5 v2.0 PRFs by the fragment of their URI; the default is HMAC-SHA1 (RFC 8018 A.2). */
const PRF_HASHES: Record<string, string> = {
  'hmac-sha1': 'sha1',
  'hmac-sha224': 'sha224',
  'hmac-sha256': 'sha256',
  'hmac-sha384': 'sha384',
  'hmac-sha512': 'sha512',
};

export function cipherFor(uri: string): PskcCipher | undefined {
  return Object.hasOwn(CIPHERS, uri) ? CIPHERS[uri] : undefined;
}

export function macHashFor(uri: string): string | undefined {
  return Object.hasOwn(MAC_HASHES, uri) ? MAC_HASHES[uri] : undefined;
}

export function prfHashFor(uri: string | null | undefined): string | undefined {
  if (!uri) return 'sha1';
  const fragment = uri.slice(uri.lastIndexOf('#') + 1).toLowerCase();
  return Object.hasOwn(PRF_HASHES, fragment) ? PRF_HASHES[fragment] : undefined;
}

export type DecryptResult = { ok: true; plaintext: Buffer } | { ok: false; message: string };

/**
 * CBC values carry their IV in front of the ciphertext and PKCS #7 padding (XML Encryption
 * §5.2, which RFC 6030 §6.1 follows); key-wrapped values carry their integrity check inside.
 */
export function decryptValue(cipher: PskcCipher, key: Buffer, data: Buffer): DecryptResult {
  // Two-key triple DES (K1, K2, K1), which some token vendors still ship, is a 16-byte key.
  if (cipher.nodeName === 'des-ede3-cbc' && key.length === 16) key = Buffer.concat([key, key.subarray(0, 8)]);
  if (key.length !== cipher.keyBytes) {
    return { ok: false, message: `the key is ${key.length} bytes; ${cipher.nodeName} needs ${cipher.keyBytes}` };
  }
  try {
    if (cipher.kind === 'cbc') {
      if (data.length < cipher.ivBytes * 2 || (data.length - cipher.ivBytes) % cipher.ivBytes !== 0) {
        return { ok: false, message: `the ciphertext is ${data.length} bytes, not IV plus whole blocks` };
      }
      const decipher = createDecipheriv(cipher.nodeName, key, data.subarray(0, cipher.ivBytes));
      return { ok: true, plaintext: Buffer.concat([decipher.update(data.subarray(cipher.ivBytes)), decipher.final()]) };
    }
    if (data.length < 24 || data.length % 8 !== 0) {
      return { ok: false, message: `the wrapped key is ${data.length} bytes; RFC 3394 output is at least 24 and a multiple of 8` };
    }
    const decipher = createDecipheriv(cipher.nodeName, key, Buffer.from('A6A6A6A6A6A6A6A6', 'hex'));
    return { ok: true, plaintext: Buffer.concat([decipher.update(data), decipher.final()]) };
  } catch {
    // Bad padding or a failed RFC 3394 integrity check: almost always the wrong key.
    return { ok: false, message: 'decryption failed (wrong key or password, or a damaged value)' };
  }
}

/** RFC 6030 §6.1.1: the MAC is over the whole CipherValue, IV included, and compared in constant time. */
export function macMatches(hash: string, macKey: Buffer, cipherValue: Buffer, expected: Buffer): boolean {
  const actual = createHmac(hash, macKey).update(cipherValue).digest();
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** RFC 6030 §6.2 with the PKCS #5 v2.0 PBKDF2 parameters. */
export function derivePbkdf2(password: string, salt: Buffer, iterations: number, keyBytes: number, hash: string): Buffer {
  return pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, keyBytes, hash);
}
