/**
 * Base32 (RFC 4648 §6), the alphabet authenticator apps and token vendors use for seeds.
 *
 * Written here rather than taken from otplib's scure plugin: that one accepts any case but
 * reports problems as "Non-zero padding: 128", which an administrator importing a token file
 * cannot act on. Every refusal below names the position and the rule broken.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

const VALUES: Int8Array = (() => {
  const table = new Int8Array(128).fill(-1);
  for (let i = 0; i < ALPHABET.length; i++) table[ALPHABET.charCodeAt(i)] = i;
  return table;
})();

/**
 * The only lengths a final quantum can have once padding is removed (RFC 4648 §6: 8, 7, 5, 4
 * or 2 characters carry 5, 4, 3, 2 or 1 bytes). 1, 3 and 6 leftover characters cannot come
 * from any byte string.
 */
const VALID_TAIL_LENGTHS = new Set([0, 2, 4, 5, 7]);

export type Base32ErrorCode =
  | 'BASE32_EMPTY'
  | 'BASE32_BAD_CHARACTER'
  | 'BASE32_BAD_LENGTH'
  | 'BASE32_BAD_PADDING'
  | 'BASE32_NONZERO_TRAILING_BITS';

export type Base32DecodeResult =
  | { ok: true; bytes: Buffer }
  | { ok: false; code: Base32ErrorCode; message: string };

export interface Base32DecodeOptions {
  /**
   * Accept lower-case letters and drop spaces, tabs and hyphens, as seeds are often printed
   * in groups ("JBSW Y3DP …") and typed by hand. Off: only the canonical form is accepted.
   * Default true.
   */
  lenient?: boolean;
  /** Refuse input without its `=` padding. Default false: authenticator URIs omit it. */
  requirePadding?: boolean;
}

export function decodeBase32(text: string, options: Base32DecodeOptions = {}): Base32DecodeResult {
  const lenient = options.lenient ?? true;
  let input = lenient ? text.replace(/[\s-]/g, '').toUpperCase() : text;
  if (input.length === 0) return fail('BASE32_EMPTY', 'the Base32 value is empty');

  const padStart = input.indexOf('=');
  if (padStart !== -1) {
    const padding = input.slice(padStart);
    if (!/^=+$/.test(padding)) {
      return fail('BASE32_BAD_PADDING', `'=' at position ${padStart + 1} is followed by data`);
    }
    if (input.length % 8 !== 0) {
      return fail('BASE32_BAD_PADDING', `padded Base32 must be a multiple of 8 characters, got ${input.length}`);
    }
    input = input.slice(0, padStart);
    if (padding.length >= 8 || !VALID_TAIL_LENGTHS.has(input.length % 8)) {
      return fail('BASE32_BAD_PADDING', `${padding.length} padding characters cannot end a Base32 value`);
    }
  } else if (options.requirePadding && input.length % 8 !== 0) {
    return fail('BASE32_BAD_PADDING', 'the Base32 value lacks its = padding');
  }

  if (!VALID_TAIL_LENGTHS.has(input.length % 8)) {
    return fail('BASE32_BAD_LENGTH', `${input.length} Base32 characters cannot encode whole bytes`);
  }

  const out = Buffer.alloc(Math.floor((input.length * 5) / 8));
  let buffer = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < input.length; i++) {
    const c = input.charCodeAt(i);
    const v = c < 128 ? VALUES[c]! : -1;
    if (v < 0) {
      return fail(
        'BASE32_BAD_CHARACTER',
        `character ${JSON.stringify(input[i])} at position ${i + 1} is not in the Base32 alphabet (A–Z, 2–7)`,
      );
    }
    buffer = ((buffer << 5) | v) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (buffer >> bits) & 0xff;
    }
  }
  // RFC 4648 §3.5: the unused bits of the last character must be zero; a value that breaks
  // this is not canonical and usually means a truncated or mistyped seed.
  if ((buffer & ((1 << bits) - 1)) !== 0) {
    return fail('BASE32_NONZERO_TRAILING_BITS', 'the last Base32 character has non-zero unused bits (truncated or mistyped?)');
  }
  return { ok: true, bytes: out };
}

export interface Base32EncodeOptions {
  /** Append `=` to a multiple of 8 characters (RFC 4648 §6). Default false, as otpauth URIs expect. */
  padding?: boolean;
}

export function encodeBase32(bytes: Uint8Array, options: Base32EncodeOptions = {}): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = ((buffer << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(buffer >> bits) & 31];
    }
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
  if (options.padding) while (out.length % 8 !== 0) out += '=';
  return out;
}

function fail(code: Base32ErrorCode, message: string): Base32DecodeResult {
  return { ok: false, code, message };
}
