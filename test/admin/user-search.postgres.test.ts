/**
 * The console's user search on PostgreSQL: the same prefix ranges, on the "C"-collated
 * lower(col) indexes of migration 024, answer case-insensitively and only by prefix; and the
 * planner can use them (EXPLAIN with sequential scans off names the index).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { startPostgres, type TestPostgres } from '../support/postgres.js';
import { openStore, type Store } from '../../src/store/store.js';
import { UserRepository } from '../../src/users/user-repository.js';
import { ManualClock } from '../../src/kit/clock.js';
import { searchUsers } from '../../src/admin/user-search.js';
import { checkLastSignIns } from './last-sign-in-case.js';

let pg: TestPostgres;
let store: Store;
const clock = new ManualClock(Date.UTC(2026, 2, 1));

beforeAll(async () => {
  pg = await startPostgres();
  store = await openStore({ driver: 'postgres', connectionString: pg.url, poolSize: 2 });
  const users = new UserRepository(store.db, clock);
  await users.upsertFromDirectory({ externalId: 'a', username: 'alice', upn: 'Alice.Martin@Corp.Example', displayName: 'Alice Martin', email: 'alice@example.test', mobile: '+33612345678', disabled: false }, 'file');
  await users.upsertFromDirectory({ externalId: 'b', username: 'bob', displayName: 'Bob Durand', email: 'bob@example.test', disabled: false }, 'file');
}, 60_000);

afterAll(async () => {
  await store?.close();
  await pg?.stop();
});

const names = async (query: string) => (await searchUsers(store.db, { query, page: 0, pageSize: 25, now: clock.now() })).users.map((u) => u.username);

describe('user search on PostgreSQL', () => {
  it('matches a case-insensitive prefix of each searched column, and only a prefix', async () => {
    expect(await names('ALI')).toEqual(['alice']);
    expect(await names('alice.martin@corp')).toEqual(['alice']);
    expect(await names('+3361')).toEqual(['alice']);
    expect(await names('bob d')).toEqual(['bob']);
    expect(await names('martin')).toEqual([]);
    expect(await names('')).toEqual(['alice', 'bob']);
  });

  it('can answer from the C-collated expression indexes', async () => {
    const plan = await store.db.connection().execute(async (db) => {
      await sql`SET enable_seqscan = off`.execute(db);
      const r = await sql<{ 'QUERY PLAN': string }>`EXPLAIN SELECT id FROM users WHERE lower(email) COLLATE "C" >= ${'ali'} AND lower(email) COLLATE "C" < ${'ali\u{10FFFF}'}`.execute(db);
      await sql`RESET enable_seqscan`.execute(db);
      return r.rows.map((row) => row['QUERY PLAN']).join('\n');
    });
    expect(plan).toContain('users_email_search');
  });

  it('lists each user with their own newest sign-in try', async () => {
    await checkLastSignIns(store);
  });
});
