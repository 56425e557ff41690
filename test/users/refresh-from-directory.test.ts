/**
 * The sign-in's refresh of a known user from the directory (UserRepository.upsertFromDirectory),
 * on both stores: unchanged directory values write the sign-in times only, and any change —
 * to a value, from a value to none and back, of the groups, of the disabled flag, of the
 * source — is written and returned exactly as the full refresh writes it. A test-only trigger on
 * `UPDATE OF username` (it fires whenever a statement sets that column, changed or not: the full
 * refresh does, the sign-in-times shortcut does not) counts the full refreshes, so a tree without
 * the shortcut fails here.
 */
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type Store } from '../../src/store/store.js';
import { UserRepository } from '../../src/users/user-repository.js';
import { ManualClock } from '../../src/kit/clock.js';
import type { Database } from '../../src/store/schema.js';
import type { DirectoryUser } from '../../src/directory/directory.js';
import { startPostgres, type TestPostgres } from '../support/postgres.js';

const T0 = Date.UTC(2026, 2, 1, 9, 0, 0);

/** Test-only: a row in `full_refreshes` for every UPDATE of `users` that sets `username`. */
async function countFullRefreshes(db: Kysely<Database>, driver: 'sqlite' | 'postgres'): Promise<() => Promise<number>> {
  await sql`CREATE TABLE full_refreshes (user_id TEXT NOT NULL)`.execute(db);
  if (driver === 'sqlite') {
    await sql`CREATE TRIGGER count_full_refresh AFTER UPDATE OF username ON users BEGIN INSERT INTO full_refreshes (user_id) VALUES (NEW.id); END`.execute(db);
  } else {
    await sql`CREATE FUNCTION count_full_refresh() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO full_refreshes (user_id) VALUES (NEW.id); RETURN NEW; END $$`.execute(db);
    await sql`CREATE TRIGGER count_full_refresh AFTER UPDATE OF username ON users FOR EACH ROW EXECUTE FUNCTION count_full_refresh()`.execute(db);
  }
  return async () => (await sql<{ n: number | string }>`SELECT count(*) AS n FROM full_refreshes`.execute(db)).rows.map((r) => Number(r.n))[0] ?? 0;
}

function suite(name: string, driver: 'sqlite' | 'postgres', open: () => Promise<Store>, close: () => Promise<void>) {
  describe(name, () => {
    let store: Store;
    beforeAll(async () => {
      store = await open();
    }, 60_000);
    afterAll(async () => {
      await store?.close();
      await close();
    });

    it('writes only the sign-in times when nothing changed, and every change when something did', async () => {
      const clock = new ManualClock(T0);
      const users = new UserRepository(store.db, clock);
      const row = () => store.db.selectFrom('users').selectAll().where('external_id', '=', 'ext-grace').executeTakeFirstOrThrow();
      const grace: DirectoryUser = { externalId: 'ext-grace', username: 'Grace', upn: 'grace@corp.example', displayName: 'Grace Hopper', email: 'grace@example.test', disabled: false, groups: ['mfa', 'staff'] };
      const fullRefreshes = await countFullRefreshes(store.db, driver);
      const first = await users.upsertFromDirectory(grace, 'ldap');
      const created = await row();

      // The same values again: the same row, with the new sign-in times.
      clock.advance(60_000);
      const again = await users.upsertFromDirectory(grace, 'ldap');
      expect(await row()).toEqual({ ...created, updated_at: T0 + 60_000, last_sign_in_at: T0 + 60_000 });
      expect(again).toEqual(first);
      expect(again.id).toBe(first.id);
      expect(await fullRefreshes()).toBe(0);

      // Each kind of change is written, and the record returned says so.
      const changes: Array<[Partial<DirectoryUser>, Record<string, unknown>]> = [
        [{ email: 'grace.hopper@example.test' }, { email: 'grace.hopper@example.test' }],
        [{ upn: undefined }, { upn: null }],
        [{ upn: 'grace@corp.example' }, { upn: 'grace@corp.example' }],
        [{ phone: '+33612345678' }, { phone: '+33612345678' }],
        [{ groups: ['mfa'] }, { groups: '["mfa"]' }],
        [{ disabled: true }, { disabled: 1 }],
        [{ username: 'GRACE.H' }, { username: 'grace.h' }],
      ];
      let current: DirectoryUser = grace;
      let refreshes = 0;
      for (const [change, stored] of changes) {
        clock.advance(1000);
        current = { ...current, ...change };
        const record = await users.upsertFromDirectory(current, 'ldap');
        expect(await row()).toMatchObject({ ...stored, updated_at: clock.now(), last_sign_in_at: clock.now() });
        expect(record.id).toBe(first.id);
        if ('email' in change) expect(record.email).toBe(change.email);
        if ('disabled' in change) expect(record.disabled).toBe(true);
        if ('username' in change) expect(record.username).toBe('grace.h');
        expect(await fullRefreshes(), JSON.stringify(change)).toBe(++refreshes);
      }
      // Another source (an import by another directory) is a change too.
      clock.advance(1000);
      await users.upsertFromDirectory(current, 'file');
      expect(await row()).toMatchObject({ source: 'file', last_sign_in_at: clock.now() });
      expect(await fullRefreshes()).toBe(++refreshes);
      // And once more unchanged: only the times move.
      const before = await row();
      clock.advance(1000);
      await users.upsertFromDirectory(current, 'file');
      expect(await row()).toEqual({ ...before, updated_at: clock.now(), last_sign_in_at: clock.now() });
      expect(await fullRefreshes()).toBe(refreshes);
    });
  });
}

const file = join(mkdtempSync(join(tmpdir(), 'fg-refresh-')), 'factorgate.db');
suite('refresh from the directory on SQLite', 'sqlite', () => openStore({ driver: 'sqlite', file }), async () => {});

let pg: TestPostgres | undefined;
suite(
  'refresh from the directory on PostgreSQL',
  'postgres',
  async () => {
    pg = await startPostgres();
    return openStore({ driver: 'postgres', connectionString: pg.url, poolSize: 2 });
  },
  async () => {
    await pg?.stop();
  },
);
