import { codesEqual, normalizeCode } from './compare-codes.js';
import { hotpCode } from './hotp.js';
import { checkSecret, checkWindow, resolveHotpOptions, toCounter, type OtpAlgorithm } from './otp-options.js';

export interface VerifyHotpInput {
  secret: Buffer;
  code: string;
  /** The next counter value expected: one past the last accepted counter. */
  counter: bigint | number;
  /**
   * How many counters beyond `counter` to try, for button presses that never reached us
   * (RFC 4226 §7.4, the look-ahead parameter s). Default 10.
   */
  lookAhead?: number;
  digits?: number;
  algorithm?: OtpAlgorithm;
}

export type HotpFailureReason = 'MISMATCH' | 'REPLAY' | 'MALFORMED';

export type VerifyHotpResult =
  | {
      ok: true;
      matchedCounter: bigint;
      /** Store this as the next `counter`: RFC 4226 §7.2 advances past the accepted value. */
      nextCounter: bigint;
    }
  | { ok: false; reason: HotpFailureReason };

/**
 * Counters below `counter` are never accepted (RFC 4226 §7.2: a counter value is used once).
 * The same number of counters just below it are still computed, only to tell a replay apart
 * from a wrong code in the audit record; such a match is refused with reason REPLAY.
 */
export function verifyHotp(input: VerifyHotpInput): VerifyHotpResult {
  checkSecret(input.secret);
  const opts = resolveHotpOptions(input);
  const lookAhead = input.lookAhead ?? 10;
  checkWindow('lookAhead', lookAhead);
  const counter = toCounter(input.counter);

  const code = normalizeCode(input.code, opts.digits);
  if (code === undefined) return { ok: false, reason: 'MALFORMED' };

  const max = (1n << 64n) - 1n;
  let matched: bigint | undefined;
  for (let c = counter; c <= counter + BigInt(lookAhead) && c <= max; c++) {
    if (codesEqual(hotpCode(input.secret, c, opts), code)) {
      matched ??= c;
    }
  }
  if (matched !== undefined) return { ok: true, matchedCounter: matched, nextCounter: matched + 1n };

  const wanted = BigInt(Math.max(lookAhead, 1));
  const lookBack = wanted < counter ? wanted : counter;
  let replayed = false;
  for (let c = counter - lookBack; c < counter; c++) {
    if (codesEqual(hotpCode(input.secret, c, opts), code)) replayed = true;
  }
  return { ok: false, reason: replayed ? 'REPLAY' : 'MISMATCH' };
}
