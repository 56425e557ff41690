/**
 * Password hashes for the file directory: scrypt (RFC 7914) from node:crypto.
 * Format: `scrypt$<log2 N>$<r>$<p>$<salt b64>$<hash b64>`, so parameters can be raised later
 * while old hashes still verify.
 */
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const DEFAULT = { logN: 15, r: 8, p: 1, keyLen: 32, saltLen: 16 };

function scrypt(password: string, salt: Buffer, keyLen: number, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scryptCb(password.normalize('NFKC'), salt, keyLen, opts, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

function options(logN: number, r: number, p: number): ScryptOptions {
  const N = 2 ** logN;
  // maxmem must exceed 128·N·r bytes or node refuses the parameters.
  return { N, r, p, maxmem: 256 * N * r };
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(DEFAULT.saltLen);
  const key = await scrypt(password, salt, DEFAULT.keyLen, options(DEFAULT.logN, DEFAULT.r, DEFAULT.p));
  return `scrypt$${DEFAULT.logN}$${DEFAULT.r}$${DEFAULT.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export function isPasswordHash(value: string): boolean {
  return /^scrypt\$\d{1,2}\$\d{1,2}\$\d{1,2}\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/.test(value);
}

/**
 * Verifies in constant time. A malformed hash verifies false (after doing the same work as a
 * real one, so a broken entry is not told apart by timing).
 */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const parts = encoded.split('$');
  const valid = parts.length === 6 && parts[0] === 'scrypt' && isPasswordHash(encoded);
  const logN = valid ? Number(parts[1]) : DEFAULT.logN;
  const r = valid ? Number(parts[2]) : DEFAULT.r;
  const p = valid ? Number(parts[3]) : DEFAULT.p;
  if (logN < 10 || logN > 20 || r < 1 || r > 32 || p < 1 || p > 16) return false;
  const salt = valid ? Buffer.from(parts[4]!, 'base64') : Buffer.alloc(DEFAULT.saltLen);
  const expected = valid ? Buffer.from(parts[5]!, 'base64') : Buffer.alloc(DEFAULT.keyLen);
  const actual = await scrypt(password, salt, expected.length || DEFAULT.keyLen, options(logN, r, p));
  return valid && actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** A hash of a random password, verified against when the user does not exist. */
let dummyHash: Promise<string> | undefined;
export function dummyPasswordHash(): Promise<string> {
  dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
  return dummyHash;
}
