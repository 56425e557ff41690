import { createHmac } from 'node:crypto';
import { checkSecret, resolveHotpOptions, toCounter, type HotpOptions, type ResolvedHotpOptions } from './otp-options.js';

const POWERS_OF_TEN = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000];

/** HOTP(K, C) = Truncate(HMAC(K, C)) (RFC 4226 §5.3), as a zero-padded decimal string. */
export function generateHotp(secret: Buffer, counter: bigint | number, opts: HotpOptions = {}): string {
  checkSecret(secret);
  return hotpCode(secret, toCounter(counter), resolveHotpOptions(opts));
}

/** The unchecked inner step, for loops that validated their parameters once. */
export function hotpCode(secret: Uint8Array, counter: bigint, opts: ResolvedHotpOptions): string {
  // RFC 4226 §5.2: the counter is an 8-byte big-endian moving factor.
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(counter);
  const mac = createHmac(opts.nodeHash, secret).update(message).digest();
  // RFC 4226 §5.3 dynamic truncation: the low nibble of the last byte picks 4 bytes, whose
  // top bit is dropped so the number is the same signed or unsigned. RFC 6238 §1.2 applies
  // it unchanged to SHA-256/512 output, taking the offset from *their* last byte.
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % POWERS_OF_TEN[opts.digits]!).padStart(opts.digits, '0');
}
