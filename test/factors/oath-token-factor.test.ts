/**
 * The `oath` factor over the token repository on a real SQLite store: HOTP look-ahead and
 * counter advance (RFC 4226 §7.2, §7.4), TOTP drift learnt per token (RFC 6238 §6), no reuse
 * of a counter or step (RFC 6238 §5.2), several tokens per user, disabled and unassigned
 * tokens refused, and one code accepted once by two hosts sharing the store. HOTP codes come
 * from `oathtool`, an implementation independent of ours.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/store.js';
import { SecretBox } from '../../src/store/secret-box.js';
import { ManualClock } from '../../src/kit/clock.js';
import { UserRepository } from '../../src/users/user-repository.js';
import type { UserRecord } from '../../src/api/host-api.js';
import type { FactorRow } from '../../src/store/schema.js';
import { generateHotp, generateTotpForStep, totpStep } from '../../src/otp/index.js';
import { createOathTokenFactor } from '../../src/factors/oath-token-factor.js';
import { createDefaultFactors } from '../../src/factors/index.js';
import { rootConfigSchema } from '../../src/config/schema.js';
import { TokenRepository, secretContext } from '../../src/tokens/token-repository.js';
import type { ImportedToken } from '../../src/tokens/index.js';

const KEY = Buffer.alloc(32, 3);
const HOTP_SECRET_HEX = '3132333435363738393031323334353637383930';
const TOTP_SECRET_HEX = '000102030405060708090a0b0c0d0e0f10111213';

const opened: Store[] = [];
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close();
});

function oathtoolHotp(hex: string, counter: number, digits = 6): string {
  return execFileSync('oathtool', ['--hotp', '-d', String(digits), '-c', String(counter), hex], { encoding: 'utf8' }).trim();
}

function hotpToken(serial: string, extra: Partial<ImportedToken> = {}): ImportedToken {
  return { serial, secret: Buffer.from(HOTP_SECRET_HEX, 'hex'), kind: 'hotp', algorithm: 'SHA1', digits: 6, period: 30, counter: 0n, ...extra };
}

function totpToken(serial: string, extra: Partial<ImportedToken> = {}): ImportedToken {
  return { serial, secret: Buffer.from(TOTP_SECRET_HEX, 'hex'), kind: 'totp', algorithm: 'SHA1', digits: 6, period: 30, counter: 0n, ...extra };
}

async function setup(file = join(mkdtempSync(join(tmpdir(), 'fg-oath-')), 'factorgate.db'), clock = new ManualClock(Date.UTC(2026, 2, 1, 9, 0, 10))) {
  const store = await openStore({ driver: 'sqlite', file });
  opened.push(store);
  const secrets = new SecretBox([{ id: 'k1', key: KEY }]);
  const users = new UserRepository(store.db, clock);
  const tokens = new TokenRepository(store.db, secrets, clock);
  const factor = createOathTokenFactor({ tokens });
  const ada = await users.upsertFromDirectory({ externalId: 'e-ada', username: 'ada', upn: 'ada@corp.example', disabled: false }, 'test');
  const ben = await users.upsertFromDirectory({ externalId: 'e-ben', username: 'ben', disabled: false }, 'test');
  const methodRow = async (user: UserRecord): Promise<FactorRow | undefined> =>
    store.db.selectFrom('factors').selectAll().where('user_id', '=', user.id).where('kind', '=', 'oath').executeTakeFirst();
  const verify = async (user: UserRecord, code: string) => {
    const row = (await methodRow(user)) ?? ({ id: 'none', kind: 'oath' } as FactorRow);
    return factor.verify({ user, factorRow: row, code, now: clock.now() });
  };
  const tokenRow = (serial: string) => store.db.selectFrom('oath_tokens').selectAll().where('serial', '=', serial).executeTakeFirstOrThrow();
  return { file, store, secrets, clock, users, tokens, factor, ada, ben, methodRow, verify, tokenRow };
}

describe('the oath factor: HOTP tokens (RFC 4226)', () => {
  it('accepts the next code and advances the counter past it', async () => {
    const s = await setup();
    await s.tokens.importTokens({ tokens: [hotpToken('H-1', { userId: 'ada' })], problems: [] });
    expect(oathtoolHotp(HOTP_SECRET_HEX, 0)).toBe(generateHotp(Buffer.from(HOTP_SECRET_HEX, 'hex'), 0)); // RFC 4226 Appendix D: 755224
    expect(await s.verify(s.ada, oathtoolHotp(HOTP_SECRET_HEX, 0))).toEqual({ ok: true });
    expect((await s.tokenRow('H-1')).counter).toBe('00000000000000000001');
  });

  it('looks ahead 10 counters for presses that never reached us, and no further', async () => {
    const s = await setup();
    await s.tokens.importTokens({ tokens: [hotpToken('H-1', { userId: 'ada' })], problems: [] });
    expect(await s.verify(s.ada, oathtoolHotp(HOTP_SECRET_HEX, 11))).toEqual({ ok: false, reason: 'MISMATCH' });
    expect(await s.verify(s.ada, oathtoolHotp(HOTP_SECRET_HEX, 10))).toEqual({ ok: true });
    expect((await s.tokenRow('H-1')).counter).toBe('00000000000000000011');
    // The look-ahead now starts at 11: 21 is inside it, 32 is not.
    expect(await s.verify(s.ada, oathtoolHotp(HOTP_SECRET_HEX, 32))).toEqual({ ok: false, reason: 'MISMATCH' });
    expect(await s.verify(s.ada, oathtoolHotp(HOTP_SECRET_HEX, 21))).toEqual({ ok: true });
  });

  it('refuses a used counter, and a skipped one below the counter', async () => {
    const s = await setup();
    await s.tokens.importTokens({ tokens: [hotpToken('H-1', { userId: 'ada' })], problems: [] });
    const code = oathtoolHotp(HOTP_SECRET_HEX, 3);
    expect(await s.verify(s.ada, code)).toEqual({ ok: true });
    expect(await s.verify(s.ada, code)).toEqual({ ok: false, reason: 'REPLAY' });
    expect(await s.verify(s.ada, oathtoolHotp(HOTP_SECRET_HEX, 1))).toEqual({ ok: false, reason: 'REPLAY' });
    expect((await s.tokenRow('H-1')).counter).toBe('00000000000000000004');
  });

  it('starts from the counter the vendor file gives, and checks 8-digit tokens', async () => {
    const s = await setup();
    await s.tokens.importTokens({ tokens: [hotpToken('H-8', { userId: 'ada', counter: 1000n, digits: 8 })], problems: [] });
    expect(await s.verify(s.ada, oathtoolHotp(HOTP_SECRET_HEX, 999, 8))).toEqual({ ok: false, reason: 'REPLAY' });
    expect(await s.verify(s.ada, oathtoolHotp(HOTP_SECRET_HEX, 1002, 8))).toEqual({ ok: true });
    expect(await s.verify(s.ada, oathtoolHotp(HOTP_SECRET_HEX, 1003, 8).slice(0, 6))).toEqual({ ok: false, reason: 'MALFORMED' });
  });

  it('keeps counters beyond 2^53 exact (stored as fixed-width text)', async () => {
    const s = await setup();
    const big = (1n << 60n) + 7n;
    await s.tokens.importTokens({ tokens: [hotpToken('H-BIG', { userId: 'ada', counter: big })], problems: [] });
    const secret = Buffer.from(HOTP_SECRET_HEX, 'hex');
    expect(await s.verify(s.ada, generateHotp(secret, big + 2n))).toEqual({ ok: true });
    expect(BigInt((await s.tokenRow('H-BIG')).counter)).toBe(big + 3n);
    expect((await s.tokens.list())[0]!.counter).toBe(big + 3n);
  });

  it('accepts a code once when two hosts sharing the store verify it at the same moment', async () => {
    const a = await setup();
    await a.tokens.importTokens({ tokens: [hotpToken('H-1', { userId: 'ada' })], problems: [] });
    const b = await setup(a.file, a.clock);
    const code = oathtoolHotp(HOTP_SECRET_HEX, 2);
    const results = await Promise.all([a.verify(a.ada, code), b.verify(a.ada, code), a.verify(a.ada, code), b.verify(a.ada, code)]);
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok)).toEqual([
      { ok: false, reason: 'REPLAY' },
      { ok: false, reason: 'REPLAY' },
      { ok: false, reason: 'REPLAY' },
    ]);
  });
});

describe('the oath factor: TOTP tokens (RFC 6238)', () => {
  const secret = Buffer.from(TOTP_SECRET_HEX, 'hex');
  const codeAt = (step: number) => generateTotpForStep(secret, step);

  it('accepts ±1 step, refuses 2 steps away, and refuses a used step', async () => {
    const s = await setup();
    await s.tokens.importTokens({ tokens: [totpToken('T-1', { userId: 'ada' })], problems: [] });
    const now = totpStep(s.clock.now(), { period: 30, t0: 0 });
    expect(await s.verify(s.ada, codeAt(now + 2))).toEqual({ ok: false, reason: 'MISMATCH' });
    expect(await s.verify(s.ada, codeAt(now - 2))).toEqual({ ok: false, reason: 'MISMATCH' });
    expect(await s.verify(s.ada, codeAt(now - 1))).toEqual({ ok: true });
    expect(await s.verify(s.ada, codeAt(now - 1))).toEqual({ ok: false, reason: 'REPLAY' });
    expect(await s.verify(s.ada, codeAt(now))).toEqual({ ok: true });
    expect(await s.verify(s.ada, codeAt(now))).toEqual({ ok: false, reason: 'REPLAY' });
    // An earlier step than the last accepted one is refused even though it is in the window.
    expect(await s.verify(s.ada, codeAt(now - 1))).toEqual({ ok: false, reason: 'REPLAY' });
    expect((await s.tokenRow('T-1')).last_used_step).toBe(now);
  });

  it('remembers each token’s drift, so a token whose clock runs ahead keeps working', async () => {
    const s = await setup();
    await s.tokens.importTokens({ tokens: [totpToken('T-FAST', { userId: 'ada' }), totpToken('T-OTHER', { userId: 'ben' })], problems: [] });
    const now = totpStep(s.clock.now(), { period: 30, t0: 0 });
    expect(await s.verify(s.ada, codeAt(now + 1))).toEqual({ ok: true });
    expect((await s.tokenRow('T-FAST')).drift_steps).toBe(1);

    // Ten minutes later the token is two steps ahead: inside the window centred on its drift.
    s.clock.advance(600_000);
    const later = totpStep(s.clock.now(), { period: 30, t0: 0 });
    expect(await s.verify(s.ada, codeAt(later + 2))).toEqual({ ok: true });
    expect((await s.tokenRow('T-FAST')).drift_steps).toBe(2);
    // Another token with the same secret but no learnt drift refuses the same offset.
    expect(await s.verify(s.ben, codeAt(later + 3))).toEqual({ ok: false, reason: 'MISMATCH' });
    expect((await s.tokenRow('T-OTHER')).drift_steps).toBe(0);
  });

  it('starts from the drift a PSKC file gives (<TimeDrift>)', async () => {
    const s = await setup();
    await s.tokens.importTokens({ tokens: [totpToken('T-D', { userId: 'ada', driftSteps: -4 })], problems: [] });
    const now = totpStep(s.clock.now(), { period: 30, t0: 0 });
    expect(await s.verify(s.ada, codeAt(now - 5))).toEqual({ ok: true });
  });

  it('checks 60-second, 8-digit SHA-256 tokens with their own parameters', async () => {
    const s = await setup();
    const key = Buffer.from('3132333435363738393031323334353637383930313233343536373839303132', 'hex');
    // A copy: the import wipes the secret buffers it is given.
    const token = totpToken('T-256', { userId: 'ada', secret: Buffer.from(key), algorithm: 'SHA256', digits: 8, period: 60 });
    await s.tokens.importTokens({ tokens: [token], problems: [] });
    expect(token.secret.equals(Buffer.alloc(32))).toBe(true);
    const step = totpStep(s.clock.now(), { period: 60, t0: 0 });
    const hex = key.toString('hex');
    const code = execFileSync('oathtool', ['--totp=sha256', '-d', '8', '-s', '60', '-N', `@${Math.floor(s.clock.now() / 1000)}`, hex], { encoding: 'utf8' }).trim();
    expect(code).toBe(generateTotpForStep(key, step, { algorithm: 'SHA256', digits: 8 }));
    expect(await s.verify(s.ada, code)).toEqual({ ok: true });
  });
});

describe('the oath factor: a user’s tokens', () => {
  it('lets a user holding two tokens sign in with either, as one method', async () => {
    const s = await setup();
    await s.tokens.importTokens({ tokens: [hotpToken('H-1', { userId: 'ada' }), totpToken('T-1', { userId: 'ada@CORP.example' })], problems: [] });
    const methods = await s.store.db.selectFrom('factors').selectAll().where('user_id', '=', s.ada.id).execute();
    expect(methods).toHaveLength(1);
    expect(methods[0]).toMatchObject({ kind: 'oath', confirmed: 1, is_default: 1, secret_enc: null });
    expect(s.factor.isEnrolled(methods[0]!)).toBe(true);

    expect(await s.verify(s.ada, oathtoolHotp(HOTP_SECRET_HEX, 0))).toEqual({ ok: true });
    const step = totpStep(s.clock.now(), { period: 30, t0: 0 });
    expect(await s.verify(s.ada, generateTotpForStep(Buffer.from(TOTP_SECRET_HEX, 'hex'), step))).toEqual({ ok: true });
    expect((await s.tokenRow('H-1')).last_used_at).toBe(s.clock.now());
    expect((await s.tokenRow('T-1')).last_used_step).toBe(step);
  });

  it('refuses a disabled token, and drops the method when the user holds no enabled token', async () => {
    const s = await setup();
    await s.tokens.importTokens({ tokens: [hotpToken('H-1', { userId: 'ada' }), hotpToken('H-2', { userId: 'ada', secret: Buffer.alloc(20, 0x42) })], problems: [] });
    await s.tokens.setDisabled('H-1', true);
    expect(await s.verify(s.ada, oathtoolHotp(HOTP_SECRET_HEX, 0))).toEqual({ ok: false, reason: 'MISMATCH' });
    expect(await s.verify(s.ada, generateHotp(Buffer.alloc(20, 0x42), 0))).toEqual({ ok: true });
    expect(await s.methodRow(s.ada)).toBeDefined();

    await s.tokens.setDisabled('H-2', true);
    expect(await s.methodRow(s.ada)).toBeUndefined();
    expect(await s.verify(s.ada, generateHotp(Buffer.alloc(20, 0x42), 1))).toEqual({ ok: false, reason: 'UNUSABLE' });
    expect((await s.tokenRow('H-1')).counter).toBe('00000000000000000000');

    await s.tokens.setDisabled('H-1', false);
    expect(await s.verify(s.ada, oathtoolHotp(HOTP_SECRET_HEX, 0))).toEqual({ ok: true });
  });

  it('refuses the code of a token taken back from the user, and accepts it for its new holder', async () => {
    const s = await setup();
    await s.tokens.importTokens({ tokens: [hotpToken('H-1', { userId: 'ada' })], problems: [] });
    expect(await s.tokens.unassign('H-1')).toBe('ada');
    expect(await s.methodRow(s.ada)).toBeUndefined();
    expect(await s.verify(s.ada, oathtoolHotp(HOTP_SECRET_HEX, 0))).toEqual({ ok: false, reason: 'UNUSABLE' });
    await s.tokens.assign('H-1', 'BEN');
    expect(await s.verify(s.ben, oathtoolHotp(HOTP_SECRET_HEX, 0))).toEqual({ ok: true });
  });

  it('keeps the user’s own default method first and adds the token method beside it', async () => {
    const s = await setup();
    await s.store.db
      .insertInto('factors')
      .values({ id: 'f-totp', user_id: s.ada.id, kind: 'totp', label: null, secret_enc: null, params: '{}', is_default: 1, confirmed: 1, last_used_step: null, created_at: 1, last_used_at: null })
      .execute();
    await s.tokens.importTokens({ tokens: [hotpToken('H-1', { userId: 'ada' })], problems: [] });
    expect(await s.methodRow(s.ada)).toMatchObject({ is_default: 0, confirmed: 1 });
  });

  it('seals each secret bound to its serial: not in the row, not movable to another token', async () => {
    const s = await setup();
    await s.tokens.importTokens({ tokens: [hotpToken('H-1', { userId: 'ada' }), hotpToken('H-2', { userId: 'ada' })], problems: [] });
    const one = await s.tokenRow('H-1');
    expect(one.secret_enc).toMatch(/^fg1\.k1\./);
    expect(s.secrets.decrypt(one.secret_enc, secretContext('H-1')).toString('hex')).toBe(HOTP_SECRET_HEX);
    await s.store.db.updateTable('oath_tokens').set({ secret_enc: one.secret_enc }).where('serial', '=', 'H-2').execute();
    await s.tokens.setDisabled('H-1', true);
    // H-2 now carries H-1's sealed secret: it fails to open, so the token cannot be used.
    expect(await s.verify(s.ada, oathtoolHotp(HOTP_SECRET_HEX, 0))).toEqual({ ok: false, reason: 'UNUSABLE' });

    const bytes = Buffer.concat([readFileSync(s.file), ...(existsSync(`${s.file}-wal`) ? [readFileSync(`${s.file}-wal`)] : [])]);
    expect(bytes.includes(Buffer.from(HOTP_SECRET_HEX, 'hex'))).toBe(false);
    expect(bytes.includes(Buffer.from(HOTP_SECRET_HEX, 'ascii'))).toBe(false);
  });

  it('is one of the host’s factors when the store is given', () => {
    const config = rootConfigSchema.parse({});
    const secrets = new SecretBox([{ id: 'k1', key: KEY }]);
    expect(createDefaultFactors({ secrets, config }).map((f) => f.kind)).toEqual(['totp']);
    // The table is never queried here; a store handle is all the factor needs at creation.
    const db = {} as Parameters<typeof createDefaultFactors>[0]['db'];
    const kinds = createDefaultFactors({ secrets, config, db }).map((f) => f.kind);
    expect(kinds).toEqual(['totp', 'oath', 'backup-code']);
    const oath = createDefaultFactors({ secrets, config, db })[1]!;
    expect(oath.label('en')).toBe('Hardware token');
    expect(oath.label('fr')).toBe('Jeton matériel');
    expect(oath.enrolment).toBeUndefined();
  });
});
