/** The OTP core: pure functions, no framework, no store (STYLE.md habit 2). */
export { decodeBase32, encodeBase32 } from './base32.js';
export type { Base32DecodeOptions, Base32DecodeResult, Base32EncodeOptions, Base32ErrorCode } from './base32.js';
export { generateHotp } from './hotp.js';
export { generateTotp, generateTotpForStep, totpStep } from './totp.js';
export { verifyTotp } from './verify-totp.js';
export type { TotpFailureReason, VerifyTotpInput, VerifyTotpResult } from './verify-totp.js';
export { verifyHotp } from './verify-hotp.js';
export type { HotpFailureReason, VerifyHotpInput, VerifyHotpResult } from './verify-hotp.js';
export { resyncHotp, resyncTotp } from './resync.js';
export type { ResyncFailureReason, ResyncHotpResult, ResyncTotpOptions, ResyncTotpResult } from './resync.js';
export { MAX_DIGITS, MIN_DIGITS, OTP_ALGORITHMS, OtpParameterError } from './otp-options.js';
export type { HotpOptions, OtpAlgorithm, TotpOptions } from './otp-options.js';
