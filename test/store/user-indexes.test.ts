import { join } from 'node:path';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/store.js';
import { UserRepository } from '../../src/users/user-repository.js';
import { systemClock } from '../../src/kit/clock.js';
import { makeTempDir } from '../support/host-harness.js';

/** Migration 029: on SQLite each users column gets one lower() index, and the look-ups still use it. */
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
      const users = new UserRepository(store.db, systemClock);
      const alice = await users.upsertFromDirectory({ externalId: 'a', username: 'alice', upn: 'Alice@Corp.Example', email: 'Alice.M@Corp.Example', disabled: false }, 'file');
      await users.upsertFromDirectory({ externalId: 'b', username: 'bob', upn: 'bob@corp.example', email: 'bob@corp.example', disabled: false }, 'file');
      expect((await users.findOneBy('upn', 'ALICE@corp.example'))?.id).toBe(alice.id);
      expect((await users.findOneBy('email', 'alice.m@CORP.example'))?.id).toBe(alice.id);
      expect((await users.findOneBy('upn', 'carol@corp.example'))).toBeNull();
    } finally {
      await store.close();
    }
  });
});
