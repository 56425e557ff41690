import { codesEqual, normalizeCode } from './compare-codes.js';
import { hotpCode } from './hotp.js';
import { checkSecret, checkWindow, OtpParameterError, resolveTotpOptions, type OtpAlgorithm } from './otp-options.js';
import { totpStep } from './totp.js';

export interface VerifyTotpInput {
  secret: Buffer;
  /** What the user typed. */
  code: string;
  nowMs: number;
  /** Seconds; default 30. */
  period?: number;
  digits?: number;
  algorithm?: OtpAlgorithm;
  /** T0 in Unix seconds; default 0. */
  t0?: number;
  /**
   * Steps accepted on each side of the expected one (RFC 6238 §5.2 recommends at most one
   * step of network delay). Default 1.
   */
  window?: number;
  /**
   * The last step this secret was accepted at, if any. A code for this step or an earlier one
   * is refused: RFC 6238 §5.2 "the verifier MUST NOT accept the second attempt of the OTP
   * after the successful validation has been issued for the first OTP".
   */
  lastUsedStep?: number | null;
  /**
   * The token's clock offset in steps learnt from earlier successes (RFC 6238 §6), centring
   * the window on where this token's clock is rather than on ours. Default 0.
   */
  driftSteps?: number;
}

export type TotpFailureReason = 'MISMATCH' | 'REPLAY' | 'MALFORMED';

export type VerifyTotpResult =
  | {
      ok: true;
      /** The step the code was for: store it as the next `lastUsedStep`. */
      step: number;
      /** `step` minus the verifier's current step: store it as the next `driftSteps`. */
      drift: number;
    }
  | { ok: false; reason: TotpFailureReason };

export function verifyTotp(input: VerifyTotpInput): VerifyTotpResult {
  checkSecret(input.secret);
  const opts = resolveTotpOptions(input);
  const window = input.window ?? 1;
  checkWindow('window', window);
  const driftSteps = input.driftSteps ?? 0;
  if (!Number.isSafeInteger(driftSteps)) throw new OtpParameterError(`driftSteps must be an integer, got ${driftSteps}`);

  const code = normalizeCode(input.code, opts.digits);
  if (code === undefined) return { ok: false, reason: 'MALFORMED' };

  const current = totpStep(input.nowMs, opts);
  const centre = current + driftSteps;
  const lastUsed = input.lastUsedStep ?? -1;

  let matched: number | undefined;
  let replayed = false;
  // Every candidate is computed and compared even after a match, so the time taken does not
  // reveal where in the window the code fell.
  for (let step = centre - window; step <= centre + window; step++) {
    if (step < 0) continue;
    const hit = codesEqual(hotpCode(input.secret, BigInt(step), opts), code);
    if (!hit) continue;
    if (step <= lastUsed) replayed = true;
    else matched ??= step;
  }
  if (matched !== undefined) return { ok: true, step: matched, drift: matched - current };
  return { ok: false, reason: replayed ? 'REPLAY' : 'MISMATCH' };
}
