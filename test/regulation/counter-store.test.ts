/**
 * The regulation counters on both stores: one statement per operation, so parallel tries on
 * several connections (PostgreSQL pool, two hosts) never exceed the limit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type Store } from '../../src/store/store.js';
import { banIfFull, clearSubject, giveBackTry, purgeCounters, refusedUntil, reserveTry, settleSuccess } from '../../src/regulation/counter-store.js';
import { startPostgres, type TestPostgres } from '../support/postgres.js';

const policy = { limit: 5, findMs: 300_000, banMs: 300_000, maxBanMs: 3_600_000 };
const T0 = Date.UTC(2026, 2, 1, 9, 0, 0);

function suite(name: string, open: () => Promise<Store[]>, close: () => Promise<void>) {
  describe(name, () => {
    let stores: Store[] = [];
    beforeAll(async () => {
      stores = await open();
    }, 60_000);
    afterAll(async () => {
      await Promise.all(stores.map((s) => s.close()));
      await close();
    });

    it('lets exactly `limit` of 40 parallel tries through, over two connections pools', async () => {
      const results = await Promise.all(Array.from({ length: 40 }, (_, i) => reserveTry(stores[i % 2]!.db, 'a:parallel', T0, policy)));
      expect(results.filter((n) => n !== null).sort()).toEqual([1, 2, 3, 4, 5]);
      // The failures arrive: one of them (only one) sets the ban.
      const bans = await Promise.all(Array.from({ length: 5 }, (_, i) => banIfFull(stores[i % 2]!.db, 'a:parallel', T0 + 10, policy)));
      expect(bans.filter((b) => b !== null)).toEqual([T0 + 10 + 300_000]);
      expect(await reserveTry(stores[0]!.db, 'a:parallel', T0 + 20, policy)).toBeNull();
      expect(await refusedUntil(stores[0]!.db, 'a:parallel', T0 + 20, policy)).toBe(T0 + 10 + 300_000);
    });

    it('doubles a repeated ban up to maxBanMs, and forgets the growth after maxBanMs without one', async () => {
      const db = stores[0]!.db;
      const key = 'c:192.0.2.1';
      let now = T0;
      const lengths: number[] = [];
      for (let round = 0; round < 6; round++) {
        for (let i = 0; i < 5; i++) expect(await reserveTry(db, key, now, policy)).toBe(i + 1);
        const until = await banIfFull(db, key, now, policy);
        lengths.push(until! - now);
        now = until!;
      }
      expect(lengths.map((ms) => ms / 60_000)).toEqual([5, 10, 20, 40, 60, 60]);
      now += policy.maxBanMs;
      for (let i = 0; i < 5; i++) await reserveTry(db, key, now, policy);
      expect((await banIfFull(db, key, now, policy))! - now).toBe(300_000);
    });

    it('gives back a try, clears an account, starts a new window, and purges what is over', async () => {
      const db = stores[0]!.db;
      for (let i = 0; i < 5; i++) await reserveTry(db, 'a:give', T0, policy);
      expect(await reserveTry(db, 'a:give', T0, policy)).toBeNull();
      await giveBackTry(db, 'a:give');
      expect(await reserveTry(db, 'a:give', T0, policy)).toBe(5);
      await clearSubject(db, 'a:give');
      for (let i = 0; i < 5; i++) expect(await reserveTry(db, 'a:give', T0, policy)).toBe(i + 1);
      // The window ends: a new one starts at 1.
      expect(await reserveTry(db, 'a:give', T0 + policy.findMs, policy)).toBe(1);
      const row = await db.selectFrom('regulation_counters').selectAll().where('key', '=', 'a:give').executeTakeFirstOrThrow();
      expect(row).toEqual({ key: 'a:give', window_start: T0 + policy.findMs, failures: 1, banned_until: 0, ban_ms: 0 });
      expect(await purgeCounters(db, T0 + 2 * policy.findMs + 1, policy)).toBeGreaterThanOrEqual(1);
      expect(await db.selectFrom('regulation_counters').selectAll().where('key', '=', 'a:give').executeTakeFirst()).toBeUndefined();
    });

    it('settles a right password in one statement: the client gets its try back, the account is cleared, other subjects are untouched', async () => {
      const db = stores[0]!.db;
      const row = (key: string) => db.selectFrom('regulation_counters').selectAll().where('key', '=', key).executeTakeFirstOrThrow();
      // The client: 3 tries counted in its window. The account: 5 failures banned it for 5 minutes
      // (ban_ms remembers 300 000, so a next ban would be longer), then 4 more once that ban ended.
      for (let i = 0; i < 3; i++) await reserveTry(db, 'c:198.51.100.7', T0, policy);
      for (let i = 0; i < 5; i++) await reserveTry(db, 'a:settle', T0, policy);
      const until = await banIfFull(db, 'a:settle', T0, policy);
      for (let i = 0; i < 4; i++) await reserveTry(db, 'a:settle', until!, policy);
      await reserveTry(db, 'a:bystander', T0, policy);
      const clientBefore = await row('c:198.51.100.7');
      expect(clientBefore).toMatchObject({ failures: 3, window_start: T0, ban_ms: 0 });
      await settleSuccess(db, 'c:198.51.100.7', 'a:settle');
      // One try given back; the client's window (window_start) and ban history (ban_ms) unchanged.
      expect(await row('c:198.51.100.7')).toEqual({ ...clientBefore, failures: 2, banned_until: 0 });
      expect(await row('a:settle')).toMatchObject({ failures: 0, banned_until: 0, ban_ms: 300_000 });
      expect(await row('a:bystander')).toMatchObject({ failures: 1 });
      // A client whose tries were all given back stays at 0 (never negative), as giveBackTry.
      await settleSuccess(db, 'c:198.51.100.7', 'a:settle');
      await settleSuccess(db, 'c:198.51.100.7', 'a:settle');
      await settleSuccess(db, 'c:198.51.100.7', 'a:settle');
      expect(await row('c:198.51.100.7')).toMatchObject({ failures: 0 });
      // A banned client keeps its ban: only the account's run of failures ends.
      for (let i = 0; i < 5; i++) await reserveTry(db, 'c:203.0.113.9', T0, policy);
      const clientBan = await banIfFull(db, 'c:203.0.113.9', T0, policy);
      await settleSuccess(db, 'c:203.0.113.9', 'a:settle');
      expect(await row('c:203.0.113.9')).toMatchObject({ banned_until: clientBan });
    });
  });
}

const file = join(mkdtempSync(join(tmpdir(), 'fg-reg-')), 'factorgate.db');
suite(
  'regulation counters on SQLite',
  async () => [await openStore({ driver: 'sqlite', file }), await openStore({ driver: 'sqlite', file })],
  async () => {},
);

let pg: TestPostgres | undefined;
suite(
  'regulation counters on PostgreSQL',
  async () => {
    pg = await startPostgres();
    const a = await openStore({ driver: 'postgres', connectionString: pg.url, poolSize: 8 });
    const b = await openStore({ driver: 'postgres', connectionString: pg.url, poolSize: 8 });
    return [a, b];
  },
  async () => {
    await pg?.stop();
  },
);
