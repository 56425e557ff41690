/**
 * One-time codes sent by SMS, voice or email, and the PINs of "code + PIN" mode.
 *
 * A sent code is stored only as an HMAC bound to its challenge: a stolen database row does not
 * reveal the code (the pepper lives in configuration, not the store), and a code sent for one
 * challenge can never satisfy another. Any host holding the same pepper verifies any host's
 * code, so a challenge begun on host A is answered on host B.
 */
import { createHmac, randomInt, scrypt, timingSafeEqual, randomBytes, type KeyObject, type BinaryLike } from 'node:crypto';
import type { Clock } from '../host/clock.js';

export type Pepper = KeyObject | BinaryLike;

/**
 * A code of `digits` decimal digits from the CSPRNG. `randomInt` draws by rejection sampling,
 * so every digit is uniform (no modulo bias, RFC 4086 §6.1.1 on skewed reduction).
 */
export function generateNumericCode(digits = 6): string {
  if (!Number.isInteger(digits) || digits < 4 || digits > 12) {
    throw new RangeError('a code has 4 to 12 digits');
  }
  let out = '';
  for (let i = 0; i < digits; i++) out += String(randomInt(10));
  return out;
}

/**
 * What users type is not always what was sent: spaces and dashes from copy-paste, full-width
 * digits from East Asian input methods (NFKC folds them to ASCII).
 */
export function normalizeCode(input: string): string {
  return input.normalize('NFKC').replace(/[\s\-\u00a0]/g, '');
}

/**
 * HMAC-SHA256(pepper, "fg-code-v1" ‖ challengeId ‖ code), base64url. The fields are
 * NUL-separated so no (challenge, code) pair can collide with another's concatenation.
 */
export function hashCode(code: string, challengeId: string, pepper: Pepper): string {
  return createHmac('sha256', pepper)
    .update('fg-code-v1\0')
    .update(challengeId)
    .update('\0')
    .update(normalizeCode(code))
    .digest('base64url');
}

/** Compares two strings in time independent of where they differ. */
export function codesEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  if (x.length !== y.length) {
    // Still spend one comparison so a length mismatch is not faster to detect.
    timingSafeEqual(x, x);
    return false;
  }
  return timingSafeEqual(x, y);
}

/** What the store keeps for a sent code. */
export interface IssuedCodeRecord {
  challengeId: string;
  codeHash: string;
  /** Milliseconds since the epoch, from the injected clock. */
  issuedAt: number;
  expiresAt: number;
}

export interface IssueCodeOptions {
  challengeId: string;
  pepper: Pepper;
  clock: Clock;
  digits?: number;
  ttlSeconds?: number;
}

/** Draws a code for a challenge: the code goes to the sender, only the record to the store. */
export function issueCode(opts: IssueCodeOptions): { code: string; record: IssuedCodeRecord } {
  const code = generateNumericCode(opts.digits ?? 6);
  const issuedAt = opts.clock.now();
  return {
    code,
    record: {
      challengeId: opts.challengeId,
      codeHash: hashCode(code, opts.challengeId, opts.pepper),
      issuedAt,
      expiresAt: issuedAt + (opts.ttlSeconds ?? 300) * 1000,
    },
  };
}

export type CodeCheck = 'valid' | 'expired' | 'mismatch';

/**
 * Checks a typed code against a stored record for the challenge being answered. The caller
 * marks the record used on 'valid' (one use only) and shows one neutral message otherwise;
 * the distinction is for the log and the audit record.
 */
export function checkCode(
  record: IssuedCodeRecord,
  candidate: string,
  opts: { challengeId: string; pepper: Pepper; clock: Clock },
): CodeCheck {
  // The record's own challenge id is not trusted alone: the hash is recomputed with the
  // challenge being answered, so a record shown to the wrong challenge cannot match.
  const matches = codesEqual(hashCode(candidate, opts.challengeId, opts.pepper), record.codeHash);
  if (!matches || record.challengeId !== opts.challengeId) return 'mismatch';
  if (opts.clock.now() >= record.expiresAt) return 'expired';
  return 'valid';
}

// --- PINs -------------------------------------------------------------------------------

/**
 * A PIN has little entropy, so unlike a short-lived code it is stored with a slow, salted
 * hash (scrypt, RFC 7914); N=2^15, r=8, p=1 as OWASP's password storage cheat sheet suggests.
 */
const SCRYPT = { N: 2 ** 15, r: 8, p: 1, keyLen: 32, maxmem: 64 * 1024 * 1024 } as const;

function scryptAsync(secret: string, salt: Buffer, params: { N: number; r: number; p: number }): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(secret.normalize('NFKC'), salt, SCRYPT.keyLen, { ...params, maxmem: SCRYPT.maxmem }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

/** `scrypt$N$r$p$salt$hash` (base64url), self-describing so the cost can be raised later. */
export async function hashPin(pin: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(pin, salt, SCRYPT);
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

export async function verifyPin(pin: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![N, r, p].every((n) => Number.isInteger(n) && n > 0)) return false;
  const expected = Buffer.from(parts[5]!, 'base64url');
  const key = await scryptAsync(pin, Buffer.from(parts[4]!, 'base64url'), { N, r, p });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** An initial PIN for an imported user (sent once in the enrolment mail). */
export function generatePin(digits = 6): string {
  return generateNumericCode(digits);
}
