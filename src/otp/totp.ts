import { hotpCode } from './hotp.js';
import { checkSecret, OtpParameterError, resolveTotpOptions, type ResolvedTotpOptions, type TotpOptions } from './otp-options.js';

/**
 * T = floor((Unix time − T0) / X) (RFC 6238 §4.2). Computed on whole seconds so that a
 * time exactly on a step boundary belongs to the new step, as the RFC's Appendix B shows.
 */
export function totpStep(timeMs: number, opts: Pick<ResolvedTotpOptions, 'period' | 't0'>): number {
  if (!Number.isFinite(timeMs)) throw new OtpParameterError(`time must be a finite number of milliseconds, got ${timeMs}`);
  const seconds = Math.floor(timeMs / 1000);
  return Math.floor((seconds - opts.t0) / opts.period);
}

/** TOTP = HOTP(K, T) (RFC 6238 §4.2). */
export function generateTotp(secret: Buffer, timeMs: number, opts: TotpOptions = {}): string {
  checkSecret(secret);
  const resolved = resolveTotpOptions(opts);
  const step = totpStep(timeMs, resolved);
  if (step < 0) throw new OtpParameterError('time is before T0');
  return hotpCode(secret, BigInt(step), resolved);
}

/** The code for a given step rather than a time, for verifiers and tests. */
export function generateTotpForStep(secret: Buffer, step: number, opts: TotpOptions = {}): string {
  checkSecret(secret);
  if (!Number.isSafeInteger(step) || step < 0) throw new OtpParameterError(`step must be a non-negative integer, got ${step}`);
  return hotpCode(secret, BigInt(step), resolveTotpOptions(opts));
}
