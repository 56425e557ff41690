import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { cachingSqliteDatabase } from '../../src/store/statement-cache.js';

interface Db {
  t: { id: number; v: string };
}

function open(max?: number) {
  const raw = new SQLite(':memory:');
  const cached = cachingSqliteDatabase(raw, max);
  const db = new Kysely<Db>({ dialect: new SqliteDialect({ database: cached }) });
  return { raw, cached, db };
}

describe('SQLite prepared-statement cache', () => {
  it('reuses one statement per SQL text, with fresh parameters each time', async () => {
    const { cached, db } = open();
    await sql`create table t (id integer primary key, v text not null)`.execute(db);
    for (let i = 1; i <= 5; i++) await db.insertInto('t').values({ id: i, v: `v${i}` }).execute();
    const before = cached.cachedStatements;
    for (let i = 1; i <= 5; i++) {
      const row = await db.selectFrom('t').selectAll().where('id', '=', i).executeTakeFirst();
      expect(row).toEqual({ id: i, v: `v${i}` });
    }
    expect(cached.cachedStatements).toBe(before + 1);
    expect(await db.selectFrom('t').selectAll().where('id', '=', 99).executeTakeFirst()).toBeUndefined();
    const upd = await db.updateTable('t').set({ v: 'x' }).where('id', '<=', 2).executeTakeFirst();
    expect(upd.numUpdatedRows).toBe(2n);
    await db.destroy();
  });

  it('keeps at most the configured number of statements, dropping the least recently used', async () => {
    const { raw, cached, db } = open(3);
    await sql`create table t (id integer primary key, v text not null)`.execute(db);
    const shapes = [
      () => db.selectFrom('t').select('id').execute(),
      () => db.selectFrom('t').select('v').execute(),
      () => db.selectFrom('t').selectAll().execute(),
      () => db.selectFrom('t').select(['id', 'v']).where('id', '>', 0).execute(),
    ];
    for (const run of shapes) await run();
    expect(cached.cachedStatements).toBe(3);
    const first = cached.prepare('select "v" from "t"');
    expect(cached.prepare('select "v" from "t"')).toBe(first);
    expect(raw.open).toBe(true);
    await db.destroy();
    expect(raw.open).toBe(false);
    expect(cached.cachedStatements).toBe(0);
  });

  it('prepares a fresh statement while the cached one is busy iterating', () => {
    const raw = new SQLite(':memory:');
    const cached = cachingSqliteDatabase(raw);
    raw.exec('create table t (id integer primary key); insert into t values (1), (2), (3);');
    const s1 = cached.prepare('select id from t order by id');
    const it1 = s1.iterate([]);
    expect(it1.next().value).toEqual({ id: 1 });
    const s2 = cached.prepare('select id from t order by id');
    expect(s2).not.toBe(s1);
    expect(s2.all([])).toEqual([{ id: 1 }, { id: 2 }, { id: 3 }]);
    expect([...it1]).toEqual([{ id: 2 }, { id: 3 }]);
    expect(cached.prepare('select id from t order by id')).toBe(s1);
    cached.close();
  });

  it('keeps working across a schema change', () => {
    const raw = new SQLite(':memory:');
    const cached = cachingSqliteDatabase(raw);
    raw.exec('create table t (id integer primary key, v text); insert into t values (1, \'a\');');
    expect(cached.prepare('select * from t').all([])).toEqual([{ id: 1, v: 'a' }]);
    raw.exec('alter table t add column w text default \'z\'');
    expect(cached.prepare('select * from t').all([])).toEqual([{ id: 1, v: 'a', w: 'z' }]);
    cached.close();
  });
});
