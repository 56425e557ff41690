import { SecretBox } from '../../src/store/secret-box.js';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/kit/clock.js';
import { codeDeliveryPolicySchema } from '../../src/delivery/config.js';
import {
  checkCode,
  codesEqual,
  generateNumericCode,
  generatePin,
  hashCode,
  hashPin,
  issueCode,
  normalizeCode,
  verifyPin,
  type IssuedCodeRecord,
} from '../../src/delivery/codes.js';
import { decideSend } from '../../src/delivery/send-limits.js';

const PEPPER = randomBytes(32);

describe('generateNumericCode', () => {
  it('draws codes of the requested length, digits only', () => {
    for (const digits of [4, 6, 8, 12]) {
      const code = generateNumericCode(digits);
      expect(code).toMatch(new RegExp(`^\\d{${digits}}$`));
    }
    expect(generateNumericCode()).toHaveLength(6);
  });

  it('refuses lengths outside 4..12', () => {
    expect(() => generateNumericCode(3)).toThrow(RangeError);
    expect(() => generateNumericCode(13)).toThrow(RangeError);
    expect(() => generateNumericCode(6.5)).toThrow(RangeError);
  });

  it('uses every digit in every position about equally (no modulo bias)', () => {
    const counts = Array.from({ length: 6 }, () => new Array<number>(10).fill(0));
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      [...generateNumericCode(6)].forEach((d, pos) => counts[pos]![Number(d)]!++);
    }
    // Expected 2000 per cell; 5 standard deviations (~±212) is far beyond chance.
    for (const row of counts) for (const c of row) expect(Math.abs(c - n / 10)).toBeLessThan(250);
  });
});

describe('code hashes', () => {
  it('binds a code to its challenge: the same code hashes differently for another challenge', () => {
    expect(hashCode('123456', 'ch-A', PEPPER)).not.toBe(hashCode('123456', 'ch-B', PEPPER));
    expect(hashCode('123456', 'ch-A', PEPPER)).toBe(hashCode('123456', 'ch-A', PEPPER));
  });

  it('cannot be confused by moving characters between challenge id and code', () => {
    expect(hashCode('1123456', 'ch-A', PEPPER)).not.toBe(hashCode('123456', 'ch-A1', PEPPER));
  });

  it('depends on the pepper', () => {
    expect(hashCode('123456', 'ch-A', PEPPER)).not.toBe(hashCode('123456', 'ch-A', randomBytes(32)));
  });

  it('accepts what users type: spaces, dashes, full-width digits', () => {
    expect(normalizeCode(' 123 456 ')).toBe('123456');
    expect(normalizeCode('123-456')).toBe('123456');
    expect(normalizeCode('１２３４５６')).toBe('123456');
    expect(hashCode('123 456', 'c', PEPPER)).toBe(hashCode('123456', 'c', PEPPER));
  });

  it('compares in constant time and handles unequal lengths', () => {
    expect(codesEqual('abc', 'abc')).toBe(true);
    expect(codesEqual('abc', 'abd')).toBe(false);
    expect(codesEqual('abc', 'abcd')).toBe(false);
    expect(codesEqual('', '')).toBe(true);
  });
});

describe('issued codes', () => {
  function issue(clock: ManualClock, challengeId = 'ch-1', ttlSeconds = 300) {
    return issueCode({ challengeId, pepper: PEPPER, clock, ttlSeconds, digits: 6 });
  }

  it('stores no code, only its hash, with the expiry from the injected clock', () => {
    const clock = new ManualClock();
    const { code, record } = issue(clock);
    expect(JSON.stringify(record)).not.toContain(code);
    expect(record.expiresAt - record.issuedAt).toBe(300_000);
    expect(record.issuedAt).toBe(clock.now());
  });

  it('accepts the code until its lifetime ends, then reports it expired', () => {
    const clock = new ManualClock();
    const { code, record } = issue(clock);
    const opts = { challengeId: 'ch-1', pepper: PEPPER, clock };
    expect(checkCode(record, code, opts)).toBe('valid');
    clock.advance(299_999);
    expect(checkCode(record, code, opts)).toBe('valid');
    clock.advance(1);
    expect(checkCode(record, code, opts)).toBe('expired');
  });

  it('honours a configured lifetime (sms.codeTtlSeconds)', () => {
    const ttl = codeDeliveryPolicySchema.parse({ codeTtlSeconds: 60 }).codeTtlSeconds;
    const clock = new ManualClock();
    const { code, record } = issue(clock, 'ch-1', ttl);
    clock.advance(60_000);
    expect(checkCode(record, code, { challengeId: 'ch-1', pepper: PEPPER, clock })).toBe('expired');
  });

  it('refuses a wrong code', () => {
    const clock = new ManualClock();
    const { code, record } = issue(clock);
    const wrong = code === '000000' ? '000001' : '000000';
    expect(checkCode(record, wrong, { challengeId: 'ch-1', pepper: PEPPER, clock })).toBe('mismatch');
  });

  it('refuses a code from one challenge in another', () => {
    const clock = new ManualClock();
    const a = issue(clock, 'ch-A');
    issue(clock, 'ch-B');
    // The code of A, typed while answering B, checked against A's record or B's: never valid.
    expect(checkCode(a.record, a.code, { challengeId: 'ch-B', pepper: PEPPER, clock })).toBe('mismatch');
    const forgedForB: IssuedCodeRecord = { ...a.record, challengeId: 'ch-B' };
    expect(checkCode(forgedForB, a.code, { challengeId: 'ch-B', pepper: PEPPER, clock })).toBe('mismatch');
  });

  it('accepts on host B a code issued by host A sharing the store and the pepper', () => {
    const hostAClock = new ManualClock(Date.UTC(2026, 2, 1, 9, 0, 0));
    const hostBClock = new ManualClock(Date.UTC(2026, 2, 1, 9, 0, 40));
    const pepperFromConfig = PEPPER.toString('base64');
    const { code, record } = issueCode({ challengeId: 'ch-lb', pepper: Buffer.from(pepperFromConfig, 'base64'), clock: hostAClock });
    // What goes through the shared store is plain data.
    const stored = JSON.parse(JSON.stringify(record)) as IssuedCodeRecord;
    const onHostB = { challengeId: 'ch-lb', pepper: Buffer.from(pepperFromConfig, 'base64'), clock: hostBClock };
    expect(checkCode(stored, code, onHostB)).toBe('valid');
    // A host with another pepper (misconfigured) cannot verify it.
    expect(checkCode(stored, code, { ...onHostB, pepper: randomBytes(32) })).toBe('mismatch');
  });
});

describe('PINs', () => {
  const box = new SecretBox([{ id: 'k1', key: randomBytes(32) }]);

  it('are hashed (Argon2id) and sealed with the key ring as pepper, bound to their user', async () => {
    const pin = generatePin(6);
    expect(pin).toMatch(/^\d{6}$/);
    const h1 = await hashPin(pin, box, 'u1');
    const h2 = await hashPin(pin, box, 'u1');
    expect(h1).toMatch(/^fg1\.k1\./);
    expect(box.decryptText(h1, 'pin:u1')).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(h1).not.toBe(h2);
    expect(h1).not.toContain(pin);
    expect(await verifyPin(pin, h1, box, 'u1')).toEqual({ ok: true, needsRehash: false });
    expect((await verifyPin(pin === '000000' ? '111111' : '000000', h1, box, 'u1')).ok).toBe(false);
    // Copied onto another user's row, it matches nothing.
    expect((await verifyPin(pin, h1, box, 'u2')).ok).toBe(false);
  });

  it('a stolen database alone does not give a PIN up: without the key the stored value holds no hash to attack', async () => {
    const stored = await hashPin('482913', box, 'u1');
    const otherRing = new SecretBox([{ id: 'k1', key: randomBytes(32) }]);
    expect((await verifyPin('482913', stored, otherRing, 'u1')).ok).toBe(false);
    expect(stored).not.toMatch(/argon2|scrypt/);
  });

  it('still verifies a PIN stored before (bare scrypt, N written out), and asks for it to be stored again', async () => {
    // scrypt("123456", salt 01..10, N=32768, r=8, p=1, 32 bytes), computed with Python's hashlib.
    const legacy = 'scrypt$32768$8$1$AQIDBAUGBwgJCgsMDQ4PEA$oLQGCwlTzJiub1QvfmWKL4GQoPJo4tnGDXCvy4a6Aqg';
    expect(await verifyPin('123456', legacy, box, 'u1')).toEqual({ ok: true, needsRehash: true });
    expect(await verifyPin('123457', legacy, box, 'u1')).toEqual({ ok: false, needsRehash: false });
  });

  it('refuses a malformed stored value', async () => {
    expect((await verifyPin('1234', 'plain$1234', box, 'u1')).ok).toBe(false);
    expect((await verifyPin('1234', 'scrypt$x$8$1$aa$bb', box, 'u1')).ok).toBe(false);
    expect((await verifyPin('1234', 'fg1.k1.AAAA.BBBB', box, 'u1')).ok).toBe(false);
  });
});

describe('send limits', () => {
  const policy = codeDeliveryPolicySchema.parse({});
  const t0 = Date.UTC(2026, 0, 1);

  it('allows the first send', () => {
    expect(decideSend({ policy, now: t0, challengeSends: [], userSends: [] })).toEqual({ allowed: true });
  });

  it('allows a resend only after the delay', () => {
    const sends = [t0];
    expect(decideSend({ policy, now: t0 + 10_000, challengeSends: sends, userSends: sends })).toEqual({
      allowed: false,
      reason: 'RESEND_TOO_SOON',
      retryAfterMs: 20_000,
    });
    expect(decideSend({ policy, now: t0 + 30_000, challengeSends: sends, userSends: sends })).toEqual({ allowed: true });
  });

  it('caps the sends per challenge', () => {
    const sends = [t0, t0 + 60_000, t0 + 120_000];
    expect(decideSend({ policy, now: t0 + 600_000, challengeSends: sends, userSends: sends })).toEqual({
      allowed: false,
      reason: 'CHALLENGE_SEND_LIMIT',
      retryAfterMs: null,
    });
  });

  it('caps the sends per user in a rolling hour, across challenges', () => {
    const userSends = Array.from({ length: 10 }, (_, i) => t0 + i * 60_000);
    const now = t0 + 15 * 60_000;
    const d = decideSend({ policy, now, challengeSends: [], userSends });
    expect(d).toEqual({ allowed: false, reason: 'USER_SEND_LIMIT', retryAfterMs: 45 * 60_000 });
    expect(decideSend({ policy, now: t0 + 3_600_001, challengeSends: [], userSends })).toEqual({ allowed: true });
  });
});
