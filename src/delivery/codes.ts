/**
 * One-time codes sent by SMS, voice or email, and the PINs of "code + PIN" mode.
 *
 * A sent code is stored only as an HMAC bound to its challenge: a stolen database row does not
 * reveal the code (the pepper lives in configuration, not the store), and a code sent for one
 * challenge can never satisfy another. Any host holding the same pepper verifies any host's
 * code, so a challenge begun on host A is answered on host B.
 */
import { createHmac, randomInt, timingSafeEqual, type KeyObject, type BinaryLike } from 'node:crypto';
import type { Clock } from '../kit/clock.js';
import { hashSecret, verifySecret, type SecretHashCheck } from '../hashing/secret-hash.js';
import { sealedKeyId } from '../store/secret-box.js';

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
 * A PIN has little entropy (10^6 for six digits): a slow hash alone does not protect it once
 * the database is stolen. So it is hashed (the one secret-hash format, Argon2id) and the hash is
 * then sealed with the secrets key ring, bound to its user: the key acts as a pepper kept outside
 * the store (OWASP Password Storage Cheat Sheet, "peppering" by encryption), and unlike an HMAC
 * pepper it moves to a new key with `keys rewrap`, so a key can still be retired.
 * Stored: `fg1.<kid>.…` (sealed `$argon2id$…`). Older rows hold a bare `scrypt$…` hash: still
 * verified, and replaced at the next right PIN.
 */
export interface PinSealer {
  encrypt(plaintext: string | Buffer, context: string): string;
  decryptText(sealed: string, context: string): string;
}

export function pinContext(userId: string): string {
  return `pin:${userId}`;
}

export async function hashPin(pin: string, sealer: PinSealer, userId: string): Promise<string> {
  return sealer.encrypt(await hashSecret(pin), pinContext(userId));
}

/** `needsRehash`: a right PIN whose stored form is not today's (unpeppered, or a lower cost). */
export async function verifyPin(pin: string, stored: string, sealer: PinSealer, userId: string): Promise<SecretHashCheck> {
  if (sealedKeyId(stored) === null) {
    const legacy = await verifySecret(pin, stored);
    return { ok: legacy.ok, needsRehash: legacy.ok };
  }
  let inner: string;
  try {
    inner = sealer.decryptText(stored, pinContext(userId));
  } catch {
    // A value moved to another user, tampered, or under a retired key: no PIN matches it.
    inner = '';
  }
  return verifySecret(pin, inner);
}

/** An initial PIN for an imported user (sent once in the enrolment mail). */
export function generatePin(digits = 6): string {
  return generateNumericCode(digits);
}
