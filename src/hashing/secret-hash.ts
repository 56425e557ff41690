/**
 * One slow, salted hash for every secret a person chooses or holds: passwords (users file), PINs,
 * app passwords.
 *
 * New hashes are Argon2id (RFC 9106) at OWASP's Password Storage Cheat Sheet minimum, m=19 MiB,
 * t=2, p=1, written as a PHC string (the format the reference implementation and every Argon2
 * library read): `$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>` (standard base64, no padding).
 * 19 MiB per hash in flight, against 128 MiB for scrypt at OWASP's N=2^17: the two niced hash workers
 * (niced-hash-pool.ts) stay under 40 MiB.
 *
 * Still verified, so nothing stored stops working, and reported as `needsRehash` so the caller
 * re-hashes on the next success:
 * - `scrypt$<log2 N>$<r>$<p>$<salt>$<hash>`: the users file's passwords before (N=2^15);
 * - `scrypt$<N>$<r>$<p>$<salt>$<hash>`: PINs before (N=2^15, base64url). The two shared the
 *   prefix with different meanings; the second field tells them apart (a log2 is at most 31,
 *   an N at least 1024).
 *
 * Every secret is NFKC-normalised first (RFC 8265 §4.2.2), as before: a PIN typed with full-width
 * digits or a password typed with a composed accent verifies the same.
 */
import { randomBytes, scrypt as scryptCallback, timingSafeEqual } from 'node:crypto';
import { hashRaw, type Algorithm, type Version } from '@node-rs/argon2';
import { nicedHashPool } from './niced-hash-pool.js';

// The binding's enums are ambient `const enum`s, which verbatimModuleSyntax cannot read: their values.
const ALGORITHM_ARGON2ID = 2 as Algorithm;
const VERSION_0X13 = 1 as Version;

/** OWASP Password Storage Cheat Sheet, Argon2id: m=19 MiB, t=2, p=1. */
export const ARGON2ID = { m: 19_456, t: 2, p: 1, saltBytes: 16, hashBytes: 32 } as const;

// Bounds on parameters read from a stored hash: an edited users file must not make one sign-in
// take a gigabyte or a minute.
const MAX_ARGON2_M = 262_144;
const MAX_ARGON2_T = 10;
const MAX_ARGON2_P = 8;
const MAX_SCRYPT_LOG_N = 20;

export interface SecretHashCheck {
  ok: boolean;
  /** True when `ok` and the stored hash is not today's format and cost: store a new one. */
  needsRehash: boolean;
}

type Parsed =
  | { kind: 'argon2id'; m: number; t: number; p: number; salt: Buffer; hash: Buffer }
  | { kind: 'scrypt'; logN: number; r: number; p: number; salt: Buffer; hash: Buffer };

const B64 = '[A-Za-z0-9+/]';
const ARGON2_RE = new RegExp(`^\\$argon2id\\$v=19\\$m=(\\d{1,7}),t=(\\d{1,2}),p=(\\d{1,2})\\$(${B64}{11,})\\$(${B64}{22,})$`);
const SCRYPT_RE = /^scrypt\$(\d{1,10})\$(\d{1,2})\$(\d{1,2})\$([A-Za-z0-9+/_-]+=*)\$([A-Za-z0-9+/_-]+=*)$/;

function parse(encoded: string): Parsed | null {
  const a = ARGON2_RE.exec(encoded);
  if (a) {
    const [m, t, p] = [Number(a[1]), Number(a[2]), Number(a[3])];
    if (m < 8 * p || m > MAX_ARGON2_M || t < 1 || t > MAX_ARGON2_T || p < 1 || p > MAX_ARGON2_P) return null;
    return { kind: 'argon2id', m, t, p, salt: Buffer.from(a[4]!, 'base64'), hash: Buffer.from(a[5]!, 'base64') };
  }
  const s = SCRYPT_RE.exec(encoded);
  if (s) {
    const second = Number(s[1]);
    // Passwords wrote log2 N, PINs wrote N itself.
    const logN = second <= 31 ? second : Math.log2(second);
    const [r, p] = [Number(s[2]), Number(s[3])];
    if (!Number.isInteger(logN) || logN < 10 || logN > MAX_SCRYPT_LOG_N || r < 1 || r > 32 || p < 1 || p > 16) return null;
    // Buffer's base64 decoder reads both alphabets (passwords wrote base64, PINs base64url).
    const hash = Buffer.from(s[5]!, 'base64');
    if (hash.length < 16) return null;
    return { kind: 'scrypt', logN, r, p, salt: Buffer.from(s[4]!, 'base64'), hash };
  }
  return null;
}

// Both hashes run on the niced worker pool where the platform has one (see niced-hash-pool.ts),
// in-thread otherwise.
function scrypt(secret: string, salt: Buffer, keyLen: number, logN: number, r: number, p: number): Promise<Buffer> {
  const N = 2 ** logN;
  const pool = nicedHashPool();
  if (pool) return pool.hash({ kind: 'scrypt', secret, salt, keyLen, N, r, p });
  return new Promise((resolve, reject) => {
    // maxmem must exceed 128·N·r bytes or node refuses the parameters.
    scryptCallback(secret, salt, keyLen, { N, r, p, maxmem: 129 * N * r }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

function argon2id(secret: string, salt: Buffer, m: number, t: number, p: number, outputLen: number): Promise<Buffer> {
  const pool = nicedHashPool();
  if (pool) return pool.hash({ kind: 'argon2id', secret, salt, m, t, p, outputLen });
  return hashRaw(secret, { algorithm: ALGORITHM_ARGON2ID, version: VERSION_0X13, memoryCost: m, timeCost: t, parallelism: p, outputLen, salt });
}

const b64 = (b: Buffer) => b.toString('base64').replace(/=+$/, '');

/** Today's hash of `secret` (a PHC string). */
export async function hashSecret(secret: string, salt: Buffer = randomBytes(ARGON2ID.saltBytes)): Promise<string> {
  const { m, t, p, hashBytes } = ARGON2ID;
  const hash = await argon2id(secret.normalize('NFKC'), salt, m, t, p, hashBytes);
  return `$argon2id$v=19$m=${m},t=${t},p=${p}$${b64(salt)}$${b64(hash)}`;
}

/** Whether `value` is a hash this module verifies (today's or an older format). */
export function isSecretHash(value: string): boolean {
  return parse(value) !== null;
}

/**
 * Verifies in constant time. A malformed hash verifies false after the same work as a real
 * one, so a broken entry is not told apart by timing.
 */
export async function verifySecret(secret: string, encoded: string): Promise<SecretHashCheck> {
  const parsed = parse(encoded);
  const normalized = secret.normalize('NFKC');
  if (parsed === null) {
    await argon2id(normalized, Buffer.alloc(ARGON2ID.saltBytes), ARGON2ID.m, ARGON2ID.t, ARGON2ID.p, ARGON2ID.hashBytes);
    return { ok: false, needsRehash: false };
  }
  const actual =
    parsed.kind === 'argon2id'
      ? await argon2id(normalized, parsed.salt, parsed.m, parsed.t, parsed.p, parsed.hash.length)
      : await scrypt(normalized, parsed.salt, parsed.hash.length, parsed.logN, parsed.r, parsed.p);
  const ok = actual.length === parsed.hash.length && timingSafeEqual(actual, parsed.hash);
  const current = parsed.kind === 'argon2id' && parsed.m === ARGON2ID.m && parsed.t === ARGON2ID.t && parsed.p === ARGON2ID.p && parsed.hash.length === ARGON2ID.hashBytes;
  return { ok, needsRehash: ok && !current };
}

/** A hash of a random secret, verified against when the user does not exist (same cost). */
let dummy: Promise<string> | undefined;
export function dummySecretHash(): Promise<string> {
  dummy ??= hashSecret(randomBytes(16).toString('hex'));
  return dummy;
}
