import { describe, expect, it } from 'vitest';
import { decodeBase32, encodeBase32 } from '../../src/otp/index.js';

// RFC 4648 §10 test vectors.
const VECTORS: Array<[string, string]> = [
  ['', ''],
  ['f', 'MY======'],
  ['fo', 'MZXQ===='],
  ['foo', 'MZXW6==='],
  ['foob', 'MZXW6YQ='],
  ['fooba', 'MZXW6YTB'],
  ['foobar', 'MZXW6YTBOI======'],
];

describe('Base32 (RFC 4648)', () => {
  it('encodes and decodes the RFC 4648 §10 vectors, padded and unpadded', () => {
    for (const [plain, encoded] of VECTORS) {
      expect(encodeBase32(Buffer.from(plain), { padding: true })).toBe(encoded);
      expect(encodeBase32(Buffer.from(plain))).toBe(encoded.replace(/=+$/, ''));
      if (plain === '') continue;
      expect(decodeBase32(encoded)).toEqual({ ok: true, bytes: Buffer.from(plain) });
      expect(decodeBase32(encoded.replace(/=+$/, ''))).toEqual({ ok: true, bytes: Buffer.from(plain) });
    }
  });

  it('round-trips every length up to 64 bytes', () => {
    for (let n = 1; n <= 64; n++) {
      const bytes = Buffer.from(Array.from({ length: n }, (_, i) => (i * 37 + n) & 0xff));
      expect(decodeBase32(encodeBase32(bytes))).toEqual({ ok: true, bytes });
    }
  });

  it('accepts lower case, spaces and hyphens when lenient (the default)', () => {
    expect(decodeBase32('gezd gnbv-gy3t qojq')).toEqual({ ok: true, bytes: Buffer.from('1234567890') });
  });

  it('refuses lower case and spaces when strict', () => {
    expect(decodeBase32('gezdgnbv', { lenient: false })).toMatchObject({ ok: false, code: 'BASE32_BAD_CHARACTER' });
  });

  it('names the bad character and its position', () => {
    const result = decodeBase32('GEZDGNB1');
    expect(result).toMatchObject({ ok: false, code: 'BASE32_BAD_CHARACTER' });
    expect(!result.ok && result.message).toContain('"1" at position 8');
  });

  it('refuses impossible lengths, misplaced padding, non-zero trailing bits and empty input', () => {
    expect(decodeBase32('GEZDGNBVG')).toMatchObject({ ok: false, code: 'BASE32_BAD_LENGTH' });
    expect(decodeBase32('MZ=XW6==')).toMatchObject({ ok: false, code: 'BASE32_BAD_PADDING' });
    expect(decodeBase32('MZXW6==')).toMatchObject({ ok: false, code: 'BASE32_BAD_PADDING' });
    expect(decodeBase32('========')).toMatchObject({ ok: false, code: 'BASE32_BAD_PADDING' });
    expect(decodeBase32('MZXW7')).toMatchObject({ ok: false, code: 'BASE32_NONZERO_TRAILING_BITS' });
    expect(decodeBase32('  ')).toMatchObject({ ok: false, code: 'BASE32_EMPTY' });
    expect(decodeBase32('MZXW6', { requirePadding: true })).toMatchObject({ ok: false, code: 'BASE32_BAD_PADDING' });
  });
});
