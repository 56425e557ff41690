import { describe, expect, it } from 'vitest';
import { generateHotp, generateTotp, type OtpAlgorithm } from '../../src/otp/index.js';

// RFC 4226 Appendix D: the secret is the ASCII string "12345678901234567890".
const RFC4226_SECRET = Buffer.from('12345678901234567890', 'ascii');
const RFC4226_CODES = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489'];

// RFC 6238 Appendix B: the seed for each hash is "1234567890" repeated to the hash's length.
const RFC6238_SEEDS: Record<OtpAlgorithm, Buffer> = {
  SHA1: Buffer.from('12345678901234567890', 'ascii'),
  SHA256: Buffer.from('12345678901234567890123456789012', 'ascii'),
  SHA512: Buffer.from('1234567890123456789012345678901234567890123456789012345678901234', 'ascii'),
};
const RFC6238_TABLE: Array<[number, Record<OtpAlgorithm, string>]> = [
  [59, { SHA1: '94287082', SHA256: '46119246', SHA512: '90693936' }],
  [1111111109, { SHA1: '07081804', SHA256: '68084774', SHA512: '25091201' }],
  [1111111111, { SHA1: '14050471', SHA256: '67062674', SHA512: '99943326' }],
  [1234567890, { SHA1: '89005924', SHA256: '91819424', SHA512: '93441116' }],
  [2000000000, { SHA1: '69279037', SHA256: '90698825', SHA512: '38618901' }],
  [20000000000, { SHA1: '65353130', SHA256: '77737706', SHA512: '47863826' }],
];

describe('RFC 4226 Appendix D', () => {
  RFC4226_CODES.forEach((expected, counter) => {
    it(`gives ${expected} at counter ${counter}`, () => {
      expect(generateHotp(RFC4226_SECRET, counter)).toBe(expected);
      expect(generateHotp(RFC4226_SECRET, BigInt(counter), { digits: 6, algorithm: 'SHA1' })).toBe(expected);
    });
  });
});

describe('RFC 6238 Appendix B', () => {
  for (const [seconds, codes] of RFC6238_TABLE) {
    for (const algorithm of ['SHA1', 'SHA256', 'SHA512'] as const) {
      it(`gives ${codes[algorithm]} at T=${seconds} with ${algorithm}`, () => {
        expect(generateTotp(RFC6238_SEEDS[algorithm], seconds * 1000, { digits: 8, algorithm, period: 30 })).toBe(
          codes[algorithm],
        );
      });
    }
  }
});
