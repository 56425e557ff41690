import { join } from 'node:path';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/store.js';
import { UserRepository } from '../../src/users/user-repository.js';
import { systemClock } from '../../src/kit/clock.js';
import { makeTempDir } from '../support/host-harness.js';
import { userKey } from '../../src/store/user-keys.js';
import { SEARCH_COLUMNS } from '../../src/store/migrations/024-admin-console.js';
import { searchUsers } from '../../src/admin/user-search.js';

/**
 * Migrations 029 and 026: on SQLite each users column gets one index, and every query on users
 * still uses one (EXPLAIN QUERY PLAN): look-ups by id, name, directory id, UPN and e-mail, the
 * import's batch look-up, and the console's prefix search on each column.
 */
describe('SQLite users indexes', () => {
  it('keeps one index per lower(upn)/lower(email) and finds users by UPN or email through it', async () => {
    const store = await openStore({ driver: 'sqlite', file: join(makeTempDir(), 'fg.db') });
    try {
      const indexes = await sql<{ name: string; sql: string | null }>`select name, sql from sqlite_master where type = 'index' and tbl_name = 'users'`.execute(store.db);
      const byExpression = new Map<string, string[]>();
      for (const row of indexes.rows) {
        const expr = /ON\s+"?users"?\s*\((.*)\)\s*$/is.exec(row.sql ?? '')?.[1]?.replace(/[\s"()]/g, '').toLowerCase();
        if (expr) byExpression.set(expr, [...(byExpression.get(expr) ?? []), row.name]);
      }
      // No two indexes on the same expression: each would be a second B-tree every row is written into.
      for (const [expr, names] of byExpression) expect(names, expr).toHaveLength(1);
      expect(indexes.rows.map((r) => r.name)).not.toContain('users_upn_lower');
      expect(indexes.rows.map((r) => r.name)).not.toContain('users_email_lower');

      for (const col of ['upn', 'email']) {
        const plan = await sql<{ detail: string }>`explain query plan select * from users where lower(${sql.ref(col)}) = lower(${'A@corp.example'}) limit 2`.execute(store.db);
        expect(plan.rows.map((r) => r.detail).join(' | ')).toMatch(new RegExp(`USING INDEX users_${col}_search`));
      }
      // 026: usernames are stored folded, so their unique index serves the console's ranges.
      expect(indexes.rows.map((r) => r.name)).not.toContain('users_username_search');
      const plans = async (query: { compile(): { sql: string; parameters: readonly unknown[] } }): Promise<string> => {
        const { sql: text, parameters } = query.compile();
        const r = await sql<{ detail: string }>`explain query plan ${sql.raw(text.replace(/\?/g, () => `'${String(parameters[0]).replace(/'/g, "''")}'`))}`.execute(store.db);
        return r.rows.map((row) => row.detail).join(' | ');
      };
      for (const col of SEARCH_COLUMNS) {
        const range = store.db.selectFrom('users').select('id').where(userKey(store.db, col), '>=', 'al').where(userKey(store.db, col), '<', 'al\u{10FFFF}');
        expect(await plans(range), col).toMatch(/SEARCH users USING (COVERING )?INDEX/);
      }
      const everyColumn = store.db
        .selectFrom('users')
        .select('id')
        .where((eb) => eb.or(SEARCH_COLUMNS.map((col) => eb.and([eb(userKey(store.db, col), '>=', 'al'), eb(userKey(store.db, col), '<', 'al\u{10FFFF}')]))))
        .orderBy('username')
        .limit(26);
      expect(await plans(everyColumn)).toMatch(/^MULTI-INDEX OR/);
      expect(await plans(everyColumn)).not.toMatch(/SCAN users/);
      for (const [what, query] of [
        ['id', store.db.selectFrom('users').selectAll().where('id', '=', 'x')],
        ['username', store.db.selectFrom('users').selectAll().where('username', '=', 'x')],
        ['external_id', store.db.selectFrom('users').selectAll().where('external_id', '=', 'x')],
        ['the import batch', store.db.selectFrom('users').selectAll().where((eb) => eb.or([eb('external_id', 'in', ['x', 'y']), eb('username', 'in', ['x', 'y'])]))],
      ] as const) {
        expect(await plans(query), what).not.toMatch(/SCAN users/);
      }

      const users = new UserRepository(store.db, systemClock);
      const alice = await users.upsertFromDirectory({ externalId: 'a', username: 'alice', upn: 'Alice@Corp.Example', email: 'Alice.M@Corp.Example', disabled: false }, 'file');
      await users.upsertFromDirectory({ externalId: 'b', username: 'bob', upn: 'bob@corp.example', email: 'bob@corp.example', disabled: false }, 'file');
      expect((await users.findOneBy('upn', 'ALICE@corp.example'))?.id).toBe(alice.id);
      expect((await users.findOneBy('email', 'alice.m@CORP.example'))?.id).toBe(alice.id);
      expect((await users.findOneBy('upn', 'carol@corp.example'))).toBeNull();
      const found = async (query: string) => (await searchUsers(store.db, { query, page: 0, pageSize: 25, now: 0 })).users.map((u) => u.username);
      expect(await found('AL')).toEqual(['alice']);
      expect(await found('bo')).toEqual(['bob']);
      expect(await found('lice')).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
