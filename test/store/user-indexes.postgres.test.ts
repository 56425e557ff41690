/**
 * Migration 026 on PostgreSQL: the default-collation copies of the UPN and e-mail indexes are
 * gone, and the look-ups by UPN and e-mail (the users repository's, the token import's) answer
 * case-insensitively from the "C"-collated indexes that remain (EXPLAIN with sequential scans
 * off names them), as the console's prefix search does.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { startPostgres, type TestPostgres } from '../support/postgres.js';
import { openStore, type Store } from '../../src/store/store.js';
import { UserRepository } from '../../src/users/user-repository.js';
import { ManualClock } from '../../src/kit/clock.js';
import { userKey } from '../../src/store/user-keys.js';

let pg: TestPostgres;
let store: Store;
const clock = new ManualClock(Date.UTC(2026, 2, 1));

beforeAll(async () => {
  pg = await startPostgres();
  store = await openStore({ driver: 'postgres', connectionString: pg.url, poolSize: 2 });
}, 60_000);

afterAll(async () => {
  await store?.close();
  await pg?.stop();
});

describe('users indexes on PostgreSQL', () => {
  it('keeps one index per lower(upn) and lower(email), in the "C" collation, and the username search index', async () => {
    const { rows } = await sql<{ indexname: string; indexdef: string }>`SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'users'`.execute(store.db);
    const names = rows.map((r) => r.indexname);
    expect(names).not.toContain('users_upn_lower');
    expect(names).not.toContain('users_email_lower');
    for (const col of ['username', 'upn', 'email']) expect(rows.find((r) => r.indexname === `users_${col}_search`)?.indexdef).toContain('COLLATE "C"');
  });

  it('finds users by UPN or e-mail in any case, through the "C"-collated indexes', async () => {
    const users = new UserRepository(store.db, clock);
    const alice = await users.upsertFromDirectory({ externalId: 'a', username: 'alice', upn: 'Alice@Corp.Example', email: 'Alice.M@Corp.Example', disabled: false }, 'file');
    await users.upsertFromDirectory({ externalId: 'b', username: 'bob', upn: 'bob@corp.example', email: 'bob@corp.example', disabled: false }, 'file');
    expect((await users.findOneBy('upn', 'ALICE@corp.example'))?.id).toBe(alice.id);
    expect((await users.findOneBy('email', 'alice.m@CORP.example'))?.id).toBe(alice.id);
    expect(await users.findOneBy('upn', 'carol@corp.example')).toBeNull();

    const plans = await store.db.connection().execute(async (db) => {
      await sql`SET enable_seqscan = off`.execute(db);
      const explain = async (query: { compile(): { sql: string; parameters: readonly unknown[] } }): Promise<string> => {
        const { sql: text, parameters } = query.compile();
        const r = await sql<{ 'QUERY PLAN': string }>`EXPLAIN ${sql.raw(text.replace(/\$(\d+)/g, (_, n: string) => `'${String(parameters[Number(n) - 1])}'`))}`.execute(db);
        return r.rows.map((row) => row['QUERY PLAN']).join('\n');
      };
      const out = {
        upn: await explain(db.selectFrom('users').selectAll().where(userKey(db, 'upn'), '=', sql<string>`lower(${'A@x'})`)),
        email: await explain(db.selectFrom('users').selectAll().where(userKey(db, 'email'), '=', sql<string>`lower(${'A@x'})`)),
        upnIn: await explain(db.selectFrom('users').select('id').where((eb) => eb.or([eb('username', 'in', ['a', 'b']), eb(userKey(db, 'upn'), 'in', ['a@x', 'b@x'])]))),
      };
      await sql`RESET enable_seqscan`.execute(db);
      return out;
    });
    expect(plans.upn).toContain('users_upn_search');
    expect(plans.email).toContain('users_email_search');
    expect(plans.upnIn).toContain('users_upn_search');
  });
});
