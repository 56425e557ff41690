import { describe, expect, it } from 'vitest';
import { generateSync } from 'otplib';
import type { FactorRow } from '../../src/store/schema.js';
import { SecretBox } from '../../src/store/secret-box.js';
import type { UserRecord } from '../../src/api/host-api.js';
import { decodeBase32, encodeBase32, generateTotpForStep, type OtpAlgorithm } from '../../src/otp/index.js';
import { createTotpFactor, groupSecret, otpauthUri, TOTP_SECRET_BYTES, type TotpConfig } from '../../src/factors/index.js';
import { totpSecretContext } from '../../src/factors/totp-factor.js';

const secrets = new SecretBox([{ id: 'k1', key: Buffer.alloc(32, 3) }]);
const user: UserRecord = {
  id: 'u1', username: 'ada', externalId: 'x', upn: null, displayName: 'Ada', givenName: 'Ada', surname: 'Lovelace',
  email: 'ada@example.test', phone: null, mobile: null, disabled: false,
};
const defaults: TotpConfig = { algorithm: 'SHA1', digits: 6, period: 30, window: 1 };

function row(id: string, secret: Buffer, params: object, extra: Partial<FactorRow> = {}): FactorRow {
  return {
    id, user_id: user.id, kind: 'totp', label: null, secret_enc: secrets.encrypt(secret, totpSecretContext(id)),
    params: JSON.stringify(params), is_default: 1, confirmed: 1, last_used_step: null, created_at: 0, last_used_at: null, ...extra,
  };
}

// RFC 6238 Appendix B: the seeds are the ASCII digits repeated to the hash's output length.
const SEEDS: Record<OtpAlgorithm, Buffer> = {
  SHA1: Buffer.from('12345678901234567890'),
  SHA256: Buffer.from('12345678901234567890123456789012'),
  SHA512: Buffer.from('1234567890123456789012345678901234567890123456789012345678901234'),
};
const APPENDIX_B: [number, Record<OtpAlgorithm, string>][] = [
  [59, { SHA1: '94287082', SHA256: '46119246', SHA512: '90693936' }],
  [1111111109, { SHA1: '07081804', SHA256: '68084774', SHA512: '25091201' }],
  [1111111111, { SHA1: '14050471', SHA256: '67062674', SHA512: '99943326' }],
  [1234567890, { SHA1: '89005924', SHA256: '91819424', SHA512: '93441116' }],
  [2000000000, { SHA1: '69279037', SHA256: '90698825', SHA512: '38618901' }],
  [20000000000, { SHA1: '65353130', SHA256: '77737706', SHA512: '47863826' }],
];

describe('TOTP factor', () => {
  const factor = createTotpFactor({ secrets, config: { ...defaults, window: 0 }, issuer: 'factorgate' });

  for (const [seconds, codes] of APPENDIX_B) {
    for (const algorithm of ['SHA1', 'SHA256', 'SHA512'] as const) {
      it(`accepts the RFC 6238 Appendix B code at T=${seconds} with ${algorithm}`, async () => {
        const r = row(`f-${algorithm}`, SEEDS[algorithm], { algorithm, digits: 8, period: 30 });
        const v = await factor.verify({ user, factorRow: r, code: codes[algorithm], now: seconds * 1000 });
        expect(v).toEqual({ ok: true, step: Math.floor(seconds / 30) });
        const wrong = await factor.verify({ user, factorRow: r, code: codes[algorithm === 'SHA1' ? 'SHA256' : 'SHA1'], now: seconds * 1000 });
        expect(wrong).toEqual({ ok: false, reason: 'MISMATCH' });
      });
    }
  }

  it('refuses a code for a step at or before the last accepted one (RFC 6238 §5.2)', async () => {
    const f = createTotpFactor({ secrets, config: defaults, issuer: 'x' });
    const secret = Buffer.alloc(20, 9);
    const now = 1_700_000_000_000;
    const step = Math.floor(now / 30_000);
    const used = row('r1', secret, { algorithm: 'SHA1', digits: 6, period: 30 }, { last_used_step: step });
    expect(await f.verify({ user, factorRow: used, code: generateTotpForStep(secret, step), now })).toEqual({ ok: false, reason: 'REPLAY' });
    expect(await f.verify({ user, factorRow: used, code: generateTotpForStep(secret, step - 1), now })).toEqual({ ok: false, reason: 'REPLAY' });
    expect(await f.verify({ user, factorRow: used, code: generateTotpForStep(secret, step + 1), now })).toEqual({ ok: true, step: step + 1 });
  });

  it('accepts ±1 step by default, ±N when configured, and nothing beyond (window edges)', async () => {
    const secret = Buffer.alloc(20, 5);
    const r = row('w1', secret, { algorithm: 'SHA1', digits: 6, period: 30 });
    // On the first second of a step, and on its last second.
    for (const now of [1_700_000_010_000 - (1_700_000_010_000 % 30_000), 1_700_000_010_000 - (1_700_000_010_000 % 30_000) + 29_999]) {
      const step = Math.floor(now / 30_000);
      const one = createTotpFactor({ secrets, config: defaults, issuer: 'x' });
      const at = (s: number) => one.verify({ user, factorRow: r, code: generateTotpForStep(secret, s), now });
      expect((await at(step - 1)).ok).toBe(true);
      expect((await at(step + 1)).ok).toBe(true);
      expect(await at(step - 2)).toEqual({ ok: false, reason: 'MISMATCH' });
      expect(await at(step + 2)).toEqual({ ok: false, reason: 'MISMATCH' });
      const two = createTotpFactor({ secrets, config: { ...defaults, window: 2 }, issuer: 'x' });
      expect((await two.verify({ user, factorRow: r, code: generateTotpForStep(secret, step - 2), now })).ok).toBe(true);
      expect((await two.verify({ user, factorRow: r, code: generateTotpForStep(secret, step + 3), now })).ok).toBe(false);
    }
  });

  it('uses the parameters frozen at enrolment, not the host defaults of today', async () => {
    const secret = Buffer.alloc(20, 6);
    const r = row('p1', secret, { algorithm: 'SHA256', digits: 8, period: 60 });
    const f = createTotpFactor({ secrets, config: defaults, issuer: 'x' });
    const now = 1_700_000_000_000;
    const code = generateTotpForStep(secret, Math.floor(now / 60_000), { algorithm: 'SHA256', digits: 8, period: 60 });
    expect(await f.verify({ user, factorRow: r, code, now })).toMatchObject({ ok: true });
  });

  it('accepts a code from otplib 13, as an authenticator app would compute it', async () => {
    const f = createTotpFactor({ secrets, config: defaults, issuer: 'x' });
    const material = await f.enrolment!.create({ user, factorId: 'o1', now: 0 });
    const r: FactorRow = { ...row('o1', Buffer.alloc(1), {}), secret_enc: material.secretEnc, params: JSON.stringify(material.params) };
    const base32 = encodeBase32(secrets.decrypt(material.secretEnc!, totpSecretContext('o1')));
    const epoch = 1_800_000_000;
    const code = generateSync({ secret: base32, epoch });
    expect(await f.verify({ user, factorRow: r, code, now: epoch * 1000 })).toMatchObject({ ok: true });
  });

  it('draws 160-bit secrets from the CSPRNG, sealed at rest and bound to their factor id', async () => {
    const f = createTotpFactor({ secrets, config: defaults, issuer: 'x' });
    const a = await f.enrolment!.create({ user, factorId: 'a', now: 0 });
    const b = await f.enrolment!.create({ user, factorId: 'b', now: 0 });
    const sa = secrets.decrypt(a.secretEnc!, totpSecretContext('a'));
    const sb = secrets.decrypt(b.secretEnc!, totpSecretContext('b'));
    expect(sa.length * 8).toBe(160);
    expect(TOTP_SECRET_BYTES).toBe(20);
    expect(sa.equals(sb)).toBe(false);
    expect(a.secretEnc).not.toContain(encodeBase32(sa));
    expect(a.params).toEqual({ algorithm: 'SHA1', digits: 6, period: 30 });
    // A sealed secret copied onto another factor row does not open.
    const moved: FactorRow = { ...row('b', Buffer.alloc(1), {}), secret_enc: a.secretEnc };
    expect(await f.verify({ user, factorRow: moved, code: '123456', now: 0 })).toEqual({ ok: false, reason: 'UNUSABLE' });
  });

  it('refuses malformed input without computing anything', async () => {
    const f = createTotpFactor({ secrets, config: defaults, issuer: 'x' });
    const r = row('m1', Buffer.alloc(20, 1), { algorithm: 'SHA1', digits: 6, period: 30 });
    for (const code of ['', '12345', '1234567', 'abcdef', '١٢٣٤٥٦']) {
      expect(await f.verify({ user, factorRow: r, code, now: 1_700_000_000_000 })).toEqual({ ok: false, reason: 'MALFORMED' });
    }
  });

  it('builds the otpauth URI of the Key Uri Format and an inline SVG QR code with the secret as text', async () => {
    const uri = otpauthUri({ issuer: 'Acme Secure', account: 'ada@example.test', secretBase32: 'JBSWY3DPEHPK3PXP', params: { algorithm: 'SHA1', digits: 6, period: 30 } });
    expect(uri).toBe('otpauth://totp/Acme%20Secure:ada%40example.test?secret=JBSWY3DPEHPK3PXP&issuer=Acme%20Secure&algorithm=SHA1&digits=6&period=30');
    expect(groupSecret('ABCDEFGHIJKLMNOP')).toBe('ABCD EFGH IJKL MNOP');

    const f = createTotpFactor({ secrets, config: defaults, issuer: 'Acme' });
    const m = await f.enrolment!.create({ user, factorId: 'q1', now: 0 });
    const r: FactorRow = { ...row('q1', Buffer.alloc(1), {}), secret_enc: m.secretEnc, params: JSON.stringify(m.params), confirmed: 0 };
    expect(f.isEnrolled(r)).toBe(false);
    const htmlOut = (await f.enrolment!.render({ user, factorRow: r, locale: 'en' })).value;
    expect(htmlOut).toMatch(/<svg[^>]*aria-hidden="true"/);
    expect(htmlOut).not.toContain('<script');
    const text = /id="totp-secret"[^>]*>([A-Z2-7 ]+)</.exec(htmlOut)![1]!.replace(/ /g, '');
    const decoded = decodeBase32(text);
    expect(decoded.ok && decoded.bytes.equals(secrets.decrypt(m.secretEnc!, totpSecretContext('q1')))).toBe(true);
    expect((await f.enrolment!.render({ user, factorRow: r, locale: 'fr' })).value).toContain('Scannez ce code QR');
  });

  it('offers the otpauth URI as a link beside the QR code, for a phone that cannot scan its own screen', async () => {
    const f = createTotpFactor({ secrets, config: defaults, issuer: 'Acme & Co' });
    const m = await f.enrolment!.create({ user, factorId: 'q2', now: 0 });
    const r: FactorRow = { ...row('q2', Buffer.alloc(1), {}), secret_enc: m.secretEnc, params: JSON.stringify(m.params), confirmed: 0 };
    const htmlOut = (await f.enrolment!.render({ user, factorRow: r, locale: 'en' })).value;
    // The link sits in the same step as the QR code, and its URI is escaped for the attribute.
    const step = /<li>(?:(?!<\/li>)[\s\S])*class="qr"(?:(?!<\/li>)[\s\S])*<\/li>/.exec(htmlOut)![0];
    const rawHref = /<a href="([^"]+)" id="totp-link"/.exec(step)![1]!;
    expect(rawHref).not.toMatch(/&(?!amp;)/);
    const href = rawHref.replace(/&amp;/g, '&');
    const link = new URL(href);
    expect(link.protocol).toBe('otpauth:');
    expect(link.searchParams.get('issuer')).toBe('Acme & Co');
    const decoded = decodeBase32(link.searchParams.get('secret')!);
    expect(decoded.ok && decoded.bytes.equals(secrets.decrypt(m.secretEnc!, totpSecretContext('q2')))).toBe(true);
    expect(step).toContain('Open this link instead');
    expect((await f.enrolment!.render({ user, factorRow: r, locale: 'fr' })).value).toContain('Ouvrez plutôt ce lien');
  });
});
