import { describe, expect, it } from 'vitest';
import {
  generateHotp,
  generateTotpForStep,
  OtpParameterError,
  resyncHotp,
  resyncTotp,
  verifyHotp,
  verifyTotp,
} from '../../src/otp/index.js';

const SECRET = Buffer.from('12345678901234567890', 'ascii');
const PERIOD = 30;
// Mid-step, so that milliseconds within the step never change the expected step.
const NOW_STEP = 56_000_000;
const NOW_MS = NOW_STEP * PERIOD * 1000 + 12_345;

const codeAt = (step: number, digits = 6) => generateTotpForStep(SECRET, step, { digits });

describe('verifyTotp', () => {
  it('accepts the current code and reports its step with no drift', () => {
    expect(verifyTotp({ secret: SECRET, code: codeAt(NOW_STEP), nowMs: NOW_MS })).toEqual({
      ok: true,
      step: NOW_STEP,
      drift: 0,
    });
  });

  it('accepts codes exactly ±window steps away and reports the drift', () => {
    for (const offset of [-2, -1, 1, 2]) {
      const result = verifyTotp({ secret: SECRET, code: codeAt(NOW_STEP + offset), nowMs: NOW_MS, window: 2 });
      expect(result).toEqual({ ok: true, step: NOW_STEP + offset, drift: offset });
    }
  });

  it('refuses codes ±(window+1) steps away', () => {
    for (const offset of [-3, 3]) {
      expect(verifyTotp({ secret: SECRET, code: codeAt(NOW_STEP + offset), nowMs: NOW_MS, window: 2 })).toEqual({
        ok: false,
        reason: 'MISMATCH',
      });
    }
  });

  it('with window 0 accepts only the current step', () => {
    expect(verifyTotp({ secret: SECRET, code: codeAt(NOW_STEP), nowMs: NOW_MS, window: 0 }).ok).toBe(true);
    expect(verifyTotp({ secret: SECRET, code: codeAt(NOW_STEP - 1), nowMs: NOW_MS, window: 0 }).ok).toBe(false);
  });

  it('treats a time exactly on a step boundary as the new step (RFC 6238 Appendix B)', () => {
    const boundary = (NOW_STEP + 1) * PERIOD * 1000;
    expect(verifyTotp({ secret: SECRET, code: codeAt(NOW_STEP + 1), nowMs: boundary, window: 0 })).toMatchObject({ ok: true });
    expect(verifyTotp({ secret: SECRET, code: codeAt(NOW_STEP + 1), nowMs: boundary - 1, window: 0 })).toMatchObject({ ok: false });
  });

  it('rejects a reused TOTP step', () => {
    const code = codeAt(NOW_STEP);
    const first = verifyTotp({ secret: SECRET, code, nowMs: NOW_MS });
    expect(first.ok).toBe(true);
    const again = verifyTotp({ secret: SECRET, code, nowMs: NOW_MS, lastUsedStep: NOW_STEP });
    expect(again).toEqual({ ok: false, reason: 'REPLAY' });
  });

  it('rejects a code for a step before the last used one, even inside the window', () => {
    expect(
      verifyTotp({ secret: SECRET, code: codeAt(NOW_STEP - 1), nowMs: NOW_MS, lastUsedStep: NOW_STEP }),
    ).toEqual({ ok: false, reason: 'REPLAY' });
  });

  it('accepts the next step after the last used one', () => {
    expect(
      verifyTotp({ secret: SECRET, code: codeAt(NOW_STEP + 1), nowMs: NOW_MS, lastUsedStep: NOW_STEP }),
    ).toEqual({ ok: true, step: NOW_STEP + 1, drift: 1 });
  });

  it('centres the window on the remembered drift', () => {
    const drifted = codeAt(NOW_STEP + 5);
    expect(verifyTotp({ secret: SECRET, code: drifted, nowMs: NOW_MS, window: 1 }).ok).toBe(false);
    expect(verifyTotp({ secret: SECRET, code: drifted, nowMs: NOW_MS, window: 1, driftSteps: 4 })).toEqual({
      ok: true,
      step: NOW_STEP + 5,
      drift: 5,
    });
  });

  it('returns MALFORMED for input that is not a code of the right length', () => {
    for (const code of ['', '12345', '1234567', 'abcdef', '１２３４５６', '12345\n', '-12345']) {
      expect(verifyTotp({ secret: SECRET, code, nowMs: NOW_MS })).toEqual({ ok: false, reason: 'MALFORMED' });
    }
    expect(verifyTotp({ secret: SECRET, code: undefined as unknown as string, nowMs: NOW_MS })).toEqual({
      ok: false,
      reason: 'MALFORMED',
    });
  });

  it('accepts a code typed with a space between groups', () => {
    const code = codeAt(NOW_STEP);
    expect(verifyTotp({ secret: SECRET, code: `${code.slice(0, 3)} ${code.slice(3)}`, nowMs: NOW_MS }).ok).toBe(true);
  });

  it('verifies 8-digit SHA-256 codes', () => {
    const secret = Buffer.from('12345678901234567890123456789012', 'ascii');
    // RFC 6238 Appendix B: T=1111111109 → 68084774 with SHA-256.
    expect(
      verifyTotp({ secret, code: '68084774', nowMs: 1111111109_000, digits: 8, algorithm: 'SHA256', window: 0 }),
    ).toEqual({ ok: true, step: 37037036, drift: 0 });
  });

  it('throws on impossible parameters rather than verifying with them', () => {
    expect(() => verifyTotp({ secret: SECRET, code: '123456', nowMs: NOW_MS, digits: 9 })).toThrow(OtpParameterError);
    expect(() => verifyTotp({ secret: SECRET, code: '123456', nowMs: NOW_MS, window: -1 })).toThrow(OtpParameterError);
    expect(() => verifyTotp({ secret: Buffer.alloc(0), code: '123456', nowMs: NOW_MS })).toThrow(OtpParameterError);
    expect(() => verifyTotp({ secret: SECRET, code: '123456', nowMs: NOW_MS, period: 0 })).toThrow(OtpParameterError);
  });
});

describe('verifyHotp', () => {
  it('accepts the expected counter and advances past it', () => {
    expect(verifyHotp({ secret: SECRET, code: '969429', counter: 3 })).toEqual({
      ok: true,
      matchedCounter: 3n,
      nextCounter: 4n,
    });
  });

  it('looks ahead up to the limit and no further', () => {
    // RFC 4226 Appendix D: counter 9 → 520489.
    expect(verifyHotp({ secret: SECRET, code: '520489', counter: 0, lookAhead: 9 })).toEqual({
      ok: true,
      matchedCounter: 9n,
      nextCounter: 10n,
    });
    expect(verifyHotp({ secret: SECRET, code: '520489', counter: 0, lookAhead: 8 })).toEqual({
      ok: false,
      reason: 'MISMATCH',
    });
  });

  it('defaults to a look-ahead of 10', () => {
    expect(verifyHotp({ secret: SECRET, code: generateHotp(SECRET, 110), counter: 100 }).ok).toBe(true);
    expect(verifyHotp({ secret: SECRET, code: generateHotp(SECRET, 111), counter: 100 }).ok).toBe(false);
  });

  it('refuses a counter below the expected one as a replay', () => {
    const code = generateHotp(SECRET, 5);
    const first = verifyHotp({ secret: SECRET, code, counter: 5 });
    expect(first).toMatchObject({ ok: true, nextCounter: 6n });
    expect(verifyHotp({ secret: SECRET, code, counter: 6 })).toEqual({ ok: false, reason: 'REPLAY' });
  });

  it('works with counters beyond 2^53', () => {
    const big = 2n ** 60n + 7n;
    expect(verifyHotp({ secret: SECRET, code: generateHotp(SECRET, big + 2n), counter: big })).toEqual({
      ok: true,
      matchedCounter: big + 2n,
      nextCounter: big + 3n,
    });
  });

  it('returns MALFORMED for a code of the wrong length', () => {
    expect(verifyHotp({ secret: SECRET, code: '12345678', counter: 0 })).toEqual({ ok: false, reason: 'MALFORMED' });
    // RFC 6238's T=59 is step 1, so its 8-digit SHA-1 code is HOTP counter 1.
    expect(verifyHotp({ secret: SECRET, code: '94287082', counter: 0, digits: 8 })).toMatchObject({ matchedCounter: 1n });
  });
});

describe('resyncHotp', () => {
  it('finds two consecutive codes far beyond the look-ahead and returns the next counter', () => {
    const c1 = generateHotp(SECRET, 57);
    const c2 = generateHotp(SECRET, 58);
    expect(verifyHotp({ secret: SECRET, code: c1, counter: 0 }).ok).toBe(false);
    expect(resyncHotp(SECRET, c1, c2, 0)).toEqual({ ok: true, matchedCounter: 58n, nextCounter: 59n });
  });

  it('refuses codes that are not consecutive', () => {
    expect(resyncHotp(SECRET, generateHotp(SECRET, 57), generateHotp(SECRET, 59), 0)).toEqual({
      ok: false,
      reason: 'MISMATCH',
    });
    expect(resyncHotp(SECRET, generateHotp(SECRET, 58), generateHotp(SECRET, 57), 0).ok).toBe(false);
  });

  it('searches no further than the window and never below the counter', () => {
    expect(resyncHotp(SECRET, generateHotp(SECRET, 100), generateHotp(SECRET, 101), 0, 100).ok).toBe(false);
    expect(resyncHotp(SECRET, generateHotp(SECRET, 99), generateHotp(SECRET, 100), 0, 100).ok).toBe(true);
    expect(resyncHotp(SECRET, generateHotp(SECRET, 3), generateHotp(SECRET, 4), 4).ok).toBe(false);
  });

  it('returns MALFORMED for a bad code', () => {
    expect(resyncHotp(SECRET, 'abc', '123456', 0)).toEqual({ ok: false, reason: 'MALFORMED' });
  });
});

describe('resyncTotp', () => {
  it('finds a token clock 20 steps fast and reports the drift', () => {
    const result = resyncTotp(SECRET, codeAt(NOW_STEP + 20), codeAt(NOW_STEP + 21), NOW_MS);
    expect(result).toEqual({ ok: true, step: NOW_STEP + 21, drift: 21 });
    // The drift then lets the everyday verifier accept the token's next code.
    expect(
      verifyTotp({ secret: SECRET, code: codeAt(NOW_STEP + 22), nowMs: NOW_MS, driftSteps: 21, lastUsedStep: NOW_STEP + 21 }),
    ).toEqual({ ok: true, step: NOW_STEP + 22, drift: 22 });
  });

  it('finds a token clock behind ours', () => {
    expect(resyncTotp(SECRET, codeAt(NOW_STEP - 40), codeAt(NOW_STEP - 39), NOW_MS)).toEqual({
      ok: true,
      step: NOW_STEP - 39,
      drift: -39,
    });
  });

  it('refuses outside the window, non-consecutive codes and used steps', () => {
    expect(resyncTotp(SECRET, codeAt(NOW_STEP + 10), codeAt(NOW_STEP + 11), NOW_MS, { window: 10 }).ok).toBe(false);
    expect(resyncTotp(SECRET, codeAt(NOW_STEP + 3), codeAt(NOW_STEP + 5), NOW_MS).ok).toBe(false);
    expect(
      resyncTotp(SECRET, codeAt(NOW_STEP - 5), codeAt(NOW_STEP - 4), NOW_MS, { lastUsedStep: NOW_STEP - 4 }).ok,
    ).toBe(false);
  });
});
