/**
 * The token repository on PostgreSQL, two hosts (two pools) sharing one database: the same
 * migration and queries as SQLite, counters beyond 2^53 kept exact as fixed-width text, UPN
 * matching with lower(), and one code accepted once when both hosts verify it concurrently.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/store.js';
import { SecretBox } from '../../src/store/secret-box.js';
import { ManualClock } from '../../src/kit/clock.js';
import { UserRepository } from '../../src/users/user-repository.js';
import { generateHotp, generateTotpForStep, totpStep } from '../../src/otp/index.js';
import { TokenRepository } from '../../src/tokens/token-repository.js';
import type { ImportedToken } from '../../src/tokens/index.js';
import { startPostgres, type TestPostgres } from '../support/postgres.js';

const clock = new ManualClock(Date.UTC(2026, 2, 1, 9, 0, 10));
const secrets = new SecretBox([{ id: 'k1', key: Buffer.alloc(32, 4) }]);
const token = (serial: string, extra: Partial<ImportedToken>): ImportedToken => ({
  serial,
  secret: Buffer.alloc(20, serial.length),
  kind: 'hotp',
  algorithm: 'SHA1',
  digits: 6,
  period: 30,
  counter: 0n,
  ...extra,
});

describe('tokens on PostgreSQL shared by two hosts', () => {
  let pg: TestPostgres;
  let a: Store;
  let b: Store;
  let tokensA: TokenRepository;
  let tokensB: TokenRepository;
  let adaId: string;

  beforeAll(async () => {
    pg = await startPostgres();
    a = await openStore({ driver: 'postgres', connectionString: pg.url, poolSize: 4 });
    b = await openStore({ driver: 'postgres', connectionString: pg.url, poolSize: 4 });
    tokensA = new TokenRepository(a.db, secrets, clock);
    tokensB = new TokenRepository(b.db, secrets, clock);
    const ada = await new UserRepository(a.db, clock).upsertFromDirectory({ externalId: 'e-ada', username: 'ada', upn: 'Ada.Lovelace@Corp.example', disabled: false }, 'test');
    adaId = ada.id;
  }, 60_000);

  afterAll(async () => {
    await a?.close();
    await b?.close();
    await pg?.stop();
  });

  it('imports all or nothing, matching users by UPN case-insensitively', async () => {
    const bad = await tokensA.importTokens({ tokens: [token('PG-1', { userId: 'ada.lovelace@corp.EXAMPLE' }), token('PG-X', { userId: 'nobody' })], problems: [] });
    expect(bad).toMatchObject({ stored: false, imported: 0, problems: [{ code: 'UNKNOWN_USER', serial: 'PG-X' }] });
    expect(await tokensB.list()).toEqual([]);

    const big = (1n << 62n) + 5n;
    const ok = await tokensA.importTokens({
      tokens: [token('PG-1', { userId: 'ada.lovelace@corp.EXAMPLE' }), token('PG-BIG', { userId: 'ada', counter: big }), token('PG-T', { userId: 'ada', kind: 'totp', secret: Buffer.alloc(20, 9) })],
      problems: [],
    });
    expect(ok).toMatchObject({ stored: true, imported: 3, assigned: 3 });
    const listed = await tokensB.list({ username: 'ADA' });
    expect(listed.map((t) => [t.serial, t.counter])).toEqual([
      ['PG-1', 0n],
      ['PG-BIG', big],
      ['PG-T', 0n],
    ]);
  });

  it('accepts an HOTP code once when both hosts verify it at the same moment', async () => {
    const code = generateHotp(Buffer.alloc(20, 'PG-1'.length), 3);
    const results = await Promise.all([1, 2, 3, 4].map((i) => (i % 2 ? tokensA : tokensB).verifyForUser(adaId, code, clock.now())));
    expect(results.filter((r) => r.ok)).toEqual([{ ok: true, serial: 'PG-1', tokenId: expect.any(String) as string }]);
    expect(results.filter((r) => !r.ok).map((r) => !r.ok && r.reason)).toEqual(['REPLAY', 'REPLAY', 'REPLAY']);
    expect((await tokensA.list()).find((t) => t.serial === 'PG-1')!.counter).toBe(4n);
  });

  it('advances a counter beyond 2^53 exactly, and claims a TOTP step once', async () => {
    const big = (1n << 62n) + 5n;
    const secret = Buffer.alloc(20, 'PG-BIG'.length);
    expect(await tokensB.verifyForUser(adaId, generateHotp(secret, big + 1n), clock.now())).toMatchObject({ ok: true, serial: 'PG-BIG' });
    expect((await tokensA.list()).find((t) => t.serial === 'PG-BIG')!.counter).toBe(big + 2n);

    const step = totpStep(clock.now(), { period: 30, t0: 0 });
    const code = generateTotpForStep(Buffer.alloc(20, 9), step + 1);
    const both = await Promise.all([tokensA.verifyForUser(adaId, code, clock.now()), tokensB.verifyForUser(adaId, code, clock.now())]);
    expect(both.filter((r) => r.ok)).toHaveLength(1);
    expect((await tokensA.list()).find((t) => t.serial === 'PG-T')!.driftSteps).toBe(1);
  });

  it('resynchronises an HOTP token from another host', async () => {
    const secret = Buffer.alloc(20, 'PG-1'.length);
    expect(await tokensB.resync('PG-1', generateHotp(secret, 80), generateHotp(secret, 81))).toEqual({ kind: 'hotp', nextCounter: 82n });
    expect(await tokensA.verifyForUser(adaId, generateHotp(secret, 81), clock.now())).toEqual({ ok: false, reason: 'REPLAY' });
    expect(await tokensA.verifyForUser(adaId, generateHotp(secret, 82), clock.now())).toMatchObject({ ok: true });
  });
});
