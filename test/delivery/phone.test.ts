import { describe, expect, it } from 'vitest';
import { isPhoneNumberError, maskPhone, phoneNumberType, toE164 } from '../../src/delivery/phone.js';

describe('toE164', () => {
  it.each([
    ['06 12 34 56 78', 'FR', '+33612345678'],
    ['06.12.34.56.78', 'FR', '+33612345678'],
    ['+33 (0)6 12 34 56 78', 'US', '+33612345678'],
    ['0033 6 12 34 56 78', 'FR', '+33612345678'],
    ['01 23 45 67 89', 'fr', '+33123456789'],
    ['(202) 555-0143', 'US', '+12025550143'],
    ['202-555-0143', 'US', '+12025550143'],
    ['+1 415 555 2671', 'FR', '+14155552671'],
    ['07911 123456', 'GB', '+447911123456'],
    ['+44 20 7946 0958', 'FR', '+442079460958'],
    ['020 7946 0958', 'GB', '+442079460958'],
  ])('%s in %s is %s', (raw, region, e164) => {
    expect(toE164(raw, region)).toBe(e164);
  });

  it.each([
    ['', 'FR', 'NOT_A_NUMBER'],
    ['not a phone', 'FR', 'NOT_A_NUMBER'],
    ['call me at 06 12 34 56 78', 'FR', 'NOT_A_NUMBER'],
    ['12', 'FR', 'TOO_SHORT'],
    ['06 12 34 56 78 99 99', 'FR', 'TOO_LONG'],
    ['06 12 34 56 78 ext. 12', 'FR', 'HAS_EXTENSION'],
    ['555 0143', 'ZZ', 'INVALID_COUNTRY'],
    ['+1 999 555 0143', 'US', 'INVALID'],
    ['9'.repeat(80), 'FR', 'NOT_A_NUMBER'],
  ])('refuses %j in %s (%s)', (raw, region, reason) => {
    const r = toE164(raw, region);
    expect(isPhoneNumberError(r)).toBe(true);
    if (isPhoneNumberError(r)) expect(r.reason).toBe(reason);
  });

  it('tells a mobile from a fixed line where the metadata knows', () => {
    expect(phoneNumberType('+33612345678')).toBe('MOBILE');
    expect(phoneNumberType('+33123456789')).toBe('FIXED_LINE');
  });
});

describe('maskPhone', () => {
  it.each([
    ['+33612345678', '+33 6 •• •• •• 78'],
    ['+12025550143', '+1 2•• ••• ••43'],
    ['+447911123456', '+44 7••• ••••56'],
  ])('%s shows as %s', (e164, masked) => {
    expect(maskPhone(e164)).toBe(masked);
  });

  it('masks even what it cannot parse', () => {
    expect(maskPhone('garbage 1234')).toBe('••••34');
  });
});
