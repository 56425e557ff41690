/** An imported token is only useful if the OTP core accepts what the physical token shows. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { encodeBase32, verifyHotp, verifyTotp } from '../../src/otp/index.js';
import { importCsvTokens, importPskcTokens } from '../../src/tokens/index.js';

describe('imported tokens verify', () => {
  it('accepts RFC 4226 codes for the key of RFC 6030 Figure 7, advancing its counter', () => {
    const xml = readFileSync(new URL('./fixtures/rfc6030-figure7.pskcxml', import.meta.url), 'utf8');
    const [token] = importPskcTokens(xml, { password: 'qwerty' }).tokens;
    // The key is RFC 4226's; its 8-digit code at counter 2 ends in Appendix D's 359152.
    const result = verifyHotp({ secret: token!.secret, code: '37359152', counter: token!.counter, digits: token!.digits });
    expect(result).toEqual({ ok: true, matchedCounter: 2n, nextCounter: 3n });
  });

  it('accepts RFC 6238 codes for an Entra CSV row with a 60-second interval', () => {
    const seed = Buffer.from('12345678901234567890', 'ascii');
    const csv = `upn,serial number,secret key,time interval,manufacturer,model\na@x,9,${encodeBase32(seed)},60,M,N\n`;
    const [token] = importCsvTokens(csv).tokens;
    // At T=59 s a 60-second token is at step 0, whose 6-digit code is RFC 4226's counter 0.
    expect(verifyTotp({ secret: token!.secret, code: '755224', nowMs: 59_000, period: token!.period, window: 0 })).toEqual({
      ok: true,
      step: 0,
      drift: 0,
    });
  });
});
