/**
 * Parameters shared by HOTP and TOTP, and the checks that refuse impossible ones.
 *
 * A bad parameter here is a programming or configuration error (the store or the importer
 * already validated what users supply), so it throws `OtpParameterError`; a bad *code* typed
 * by a user is never thrown, it comes back as `{ ok: false, reason: 'MALFORMED' }`.
 */

/** RFC 6238 §1.2 allows HMAC-SHA-256 and HMAC-SHA-512 beside RFC 4226's HMAC-SHA-1. */
export type OtpAlgorithm = 'SHA1' | 'SHA256' | 'SHA512';

export const OTP_ALGORITHMS: readonly OtpAlgorithm[] = ['SHA1', 'SHA256', 'SHA512'];

export interface HotpOptions {
  /** RFC 4226 §5.3: at least 6 digits; 8 is the most any token we import shows. Default 6. */
  digits?: number;
  /** Default SHA1 (RFC 4226 §5.2). */
  algorithm?: OtpAlgorithm;
}

export interface TotpOptions extends HotpOptions {
  /** Time step X in seconds (RFC 6238 §4.1). Default 30. */
  period?: number;
  /** T0, the Unix time in seconds to start counting steps (RFC 6238 §4.1). Default 0. */
  t0?: number;
}

export class OtpParameterError extends RangeError {
  readonly code = 'OTP_PARAMETER_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'OtpParameterError';
  }
}

export const MIN_DIGITS = 6;
export const MAX_DIGITS = 8;

/** RFC 4226 §5.2 writes the counter as 8 bytes, so it cannot exceed 2^64 − 1. */
const MAX_COUNTER = (1n << 64n) - 1n;

const NODE_HASH: Record<OtpAlgorithm, string> = { SHA1: 'sha1', SHA256: 'sha256', SHA512: 'sha512' };

export interface ResolvedHotpOptions {
  digits: number;
  algorithm: OtpAlgorithm;
  nodeHash: string;
}

export function resolveHotpOptions(opts: HotpOptions = {}): ResolvedHotpOptions {
  const digits = opts.digits ?? 6;
  if (!Number.isInteger(digits) || digits < MIN_DIGITS || digits > MAX_DIGITS) {
    throw new OtpParameterError(`digits must be an integer from ${MIN_DIGITS} to ${MAX_DIGITS}, got ${digits}`);
  }
  const algorithm = opts.algorithm ?? 'SHA1';
  const nodeHash = NODE_HASH[algorithm];
  if (nodeHash === undefined) {
    throw new OtpParameterError(`algorithm must be one of ${OTP_ALGORITHMS.join(', ')}, got ${String(algorithm)}`);
  }
  return { digits, algorithm, nodeHash };
}

export interface ResolvedTotpOptions extends ResolvedHotpOptions {
  period: number;
  t0: number;
}

export function resolveTotpOptions(opts: TotpOptions = {}): ResolvedTotpOptions {
  const period = opts.period ?? 30;
  if (!Number.isSafeInteger(period) || period < 1) {
    throw new OtpParameterError(`period must be a positive whole number of seconds, got ${period}`);
  }
  const t0 = opts.t0 ?? 0;
  if (!Number.isSafeInteger(t0)) throw new OtpParameterError(`t0 must be a whole number of seconds, got ${t0}`);
  return { ...resolveHotpOptions(opts), period, t0 };
}

export function toCounter(counter: bigint | number): bigint {
  if (typeof counter === 'number' && !Number.isSafeInteger(counter)) {
    throw new OtpParameterError(`counter must be a safe integer or a bigint, got ${counter}`);
  }
  const c = BigInt(counter);
  if (c < 0n || c > MAX_COUNTER) throw new OtpParameterError(`counter must be within 0 … 2^64 − 1, got ${c}`);
  return c;
}

export function checkSecret(secret: Uint8Array): void {
  // An empty key makes HMAC well-defined but every code predictable. Minimum lengths for
  // imported tokens (RFC 4226 §4 R6: 128 bits) are enforced by the importers, where the
  // administrator can be told and can choose; here only the impossible is refused.
  if (!(secret instanceof Uint8Array) || secret.length === 0) {
    throw new OtpParameterError('secret must be a non-empty Buffer');
  }
}

export function checkWindow(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new OtpParameterError(`${name} must be a non-negative integer, got ${value}`);
  }
}
