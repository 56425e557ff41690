/**
 * Phone numbers as providers want them: E.164 (ITU-T E.164, "+" then at most 15 digits).
 * Directory data is messy ("06 12 34 56 78", "(202) 555-0143", "0033 …"), so numbers are
 * parsed with libphonenumber-js and its full metadata, which knows each region's valid ranges,
 * not only lengths.
 */
import type * as Libphonenumber from 'libphonenumber-js/max';
import type { CountryCode, NumberType } from 'libphonenumber-js/max';
import { lazyRequire } from './lazy-require.js';

/** libphonenumber with its full metadata (≈ 10 MB of RSS), loaded at the first number. */
const libphonenumber = lazyRequire<typeof Libphonenumber>('libphonenumber-js/max');

export type PhoneErrorReason =
  | 'NOT_A_NUMBER'
  | 'INVALID_COUNTRY'
  | 'TOO_SHORT'
  | 'TOO_LONG'
  | 'INVALID_LENGTH'
  | 'HAS_EXTENSION'
  | 'INVALID';

/** Returned, not thrown: an unusable number in a directory is data to report, not a crash. */
export class PhoneNumberError {
  readonly kind = 'phone-number-error' as const;
  constructor(readonly reason: PhoneErrorReason) {}
}

export function isPhoneNumberError(v: unknown): v is PhoneNumberError {
  return v instanceof PhoneNumberError;
}

/** Longer than any phone number written by a person; caps the parser's work. */
const MAX_INPUT = 64;

/**
 * The number in E.164, or why it cannot be used. A number without "+" or an international
 * prefix is read in `defaultRegion` (ISO 3166-1 alpha-2). Free text around a number is refused
 * rather than mined for digits, and so are extensions: SMS and calls cannot reach them.
 */
export function toE164(raw: string, defaultRegion: string): string | PhoneNumberError {
  const input = raw.trim();
  if (input === '' || input.length > MAX_INPUT) return new PhoneNumberError('NOT_A_NUMBER');
  const { isSupportedCountry, parsePhoneNumberWithError, ParseError, validatePhoneNumberLength } = libphonenumber();
  const region = defaultRegion.toUpperCase();
  const defaultCountry = isSupportedCountry(region) ? (region as CountryCode) : undefined;
  let parsed;
  try {
    parsed = parsePhoneNumberWithError(input, defaultCountry ? { defaultCountry, extract: false } : { extract: false });
  } catch (err) {
    if (err instanceof ParseError && isReason(err.message)) return new PhoneNumberError(err.message);
    return new PhoneNumberError('NOT_A_NUMBER');
  }
  if (parsed.ext) return new PhoneNumberError('HAS_EXTENSION');
  if (!parsed.isValid()) {
    const byLength = validatePhoneNumberLength(parsed.nationalNumber, parsed.country ?? defaultCountry);
    return new PhoneNumberError(byLength && isReason(byLength) ? byLength : 'INVALID');
  }
  return parsed.number;
}

function isReason(s: string): s is PhoneErrorReason {
  return ['NOT_A_NUMBER', 'INVALID_COUNTRY', 'TOO_SHORT', 'TOO_LONG', 'INVALID_LENGTH'].includes(s);
}

/**
 * What kind of line an E.164 number is, for refusing SMS to a fixed line. Undefined when the
 * metadata cannot tell (FIXED_LINE_OR_MOBILE in North America is common: treat as maybe-mobile).
 */
export function phoneNumberType(e164: string): NumberType {
  try {
    return libphonenumber().parsePhoneNumberWithError(e164, { extract: false }).getType();
  } catch {
    return undefined;
  }
}

const BULLET = '\u2022';

/**
 * A number to show on a page or in a mail without revealing it whole: the country code, the
 * first national digit and the last two stay, in the international grouping
 * (`+33 6 •• •• •• 78`). Enough for the owner to recognise, too little to harvest.
 */
export function maskPhone(e164: string): string {
  let formatted: string;
  let ccLength: number;
  try {
    const p = libphonenumber().parsePhoneNumberWithError(e164, { extract: false });
    formatted = p.formatInternational();
    ccLength = p.countryCallingCode.length;
  } catch {
    return `${BULLET.repeat(4)}${e164.replace(/\D/g, '').slice(-2)}`;
  }
  const digitsTotal = formatted.replace(/\D/g, '').length;
  let seen = 0;
  let out = '';
  for (const ch of formatted) {
    if (!/\d/.test(ch)) {
      out += ch;
      continue;
    }
    seen++;
    const keep = seen <= ccLength + 1 || seen > digitsTotal - 2;
    out += keep ? ch : BULLET;
  }
  return out;
}
