import { codesEqual, normalizeCode } from './compare-codes.js';
import { hotpCode } from './hotp.js';
import {
  checkSecret,
  checkWindow,
  OtpParameterError,
  resolveHotpOptions,
  resolveTotpOptions,
  toCounter,
  type HotpOptions,
  type TotpOptions,
} from './otp-options.js';
import { totpStep } from './totp.js';

/**
 * Resynchronisation with two consecutive codes (RFC 4226 §7.4): over a window far wider than
 * the everyday look-ahead, one matching code would be a guess with a real chance of success
 * (100 counters × 1e-6), but two codes matching two *consecutive* counters is 1e-12 per
 * position. Used when a token was pressed many times away from the server, or a TOTP token's
 * clock has wandered beyond the normal window.
 */

export type ResyncFailureReason = 'MISMATCH' | 'MALFORMED';

export type ResyncHotpResult =
  | {
      ok: true;
      /** The counter of the second code. */
      matchedCounter: bigint;
      /** Store this as the next expected counter. */
      nextCounter: bigint;
    }
  | { ok: false; reason: ResyncFailureReason };

export function resyncHotp(
  secret: Buffer,
  code1: string,
  code2: string,
  counter: bigint | number,
  window = 100,
  opts: HotpOptions = {},
): ResyncHotpResult {
  checkSecret(secret);
  checkWindow('window', window);
  const resolved = resolveHotpOptions(opts);
  const start = toCounter(counter);
  const first = normalizeCode(code1, resolved.digits);
  const second = normalizeCode(code2, resolved.digits);
  if (first === undefined || second === undefined) return { ok: false, reason: 'MALFORMED' };

  const max = (1n << 64n) - 1n;
  let previousHit = false;
  // Counters below `start` are never searched: they were used, or skipped, already.
  for (let c = start; c <= start + BigInt(window) && c <= max; c++) {
    const code = hotpCode(secret, c, resolved);
    if (previousHit && codesEqual(code, second)) return { ok: true, matchedCounter: c, nextCounter: c + 1n };
    previousHit = codesEqual(code, first);
  }
  return { ok: false, reason: 'MISMATCH' };
}

export interface ResyncTotpOptions extends TotpOptions {
  /** Steps searched on each side of now. Default 60 (30 minutes at 30-second steps). */
  window?: number;
  /** Steps at or below this were already accepted and are not searched (RFC 6238 §5.2). */
  lastUsedStep?: number | null;
}

export type ResyncTotpResult =
  | {
      ok: true;
      /** The step of the second code: store it as `lastUsedStep`. */
      step: number;
      /** The token's offset from our clock in steps: store it as `driftSteps`. */
      drift: number;
    }
  | { ok: false; reason: ResyncFailureReason };

export function resyncTotp(
  secret: Buffer,
  code1: string,
  code2: string,
  nowMs: number,
  opts: ResyncTotpOptions = {},
): ResyncTotpResult {
  checkSecret(secret);
  const resolved = resolveTotpOptions(opts);
  const window = opts.window ?? 60;
  checkWindow('window', window);
  const lastUsed = opts.lastUsedStep ?? -1;
  if (!Number.isSafeInteger(lastUsed)) throw new OtpParameterError(`lastUsedStep must be an integer, got ${lastUsed}`);
  const first = normalizeCode(code1, resolved.digits);
  const second = normalizeCode(code2, resolved.digits);
  if (first === undefined || second === undefined) return { ok: false, reason: 'MALFORMED' };

  const current = totpStep(nowMs, resolved);
  let previousHit = false;
  for (let step = Math.max(current - window, lastUsed + 1, 0); step <= current + window; step++) {
    const code = hotpCode(secret, BigInt(step), resolved);
    if (previousHit && codesEqual(code, second)) return { ok: true, step, drift: step - current };
    previousHit = codesEqual(code, first);
  }
  return { ok: false, reason: 'MISMATCH' };
}
