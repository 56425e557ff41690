/**
 * The adapter's own table: one row per user, counting the greetings they earned. Its name starts
 * with the adapter's prefix (`hello_`), as the host requires of every table an adapter creates;
 * the handle the host gives the adapter reaches this table and no other.
 */
import type { AdapterMigration, HostApi } from 'factorgate/adapter';

/** What `host.db` is typed to: the tables the migrations below create. */
export interface HelloTables {
  hello_visits: { user_id: string; visits: number };
}

/** Run by the host at start, in name order, each once (recorded in `hello_migrations`). */
export const migrations: Readonly<Record<string, AdapterMigration>> = {
  '001-visits': {
    async up(db) {
      await db.schema
        .createTable('hello_visits')
        .addColumn('user_id', 'text', (c) => c.primaryKey())
        .addColumn('visits', 'integer', (c) => c.notNull())
        .execute();
    },
  },
};

/**
 * Adds one visit for `userId` and answers the new count. One statement (an upsert that returns
 * the row), so two hosts sharing the store never lose a visit; it runs the same on SQLite and
 * PostgreSQL.
 */
export async function countVisit(db: HostApi<HelloTables>['db'], userId: string): Promise<number> {
  const row = await db
    .insertInto('hello_visits')
    .values({ user_id: userId, visits: 1 })
    .onConflict((oc) => oc.column('user_id').doUpdateSet((eb) => ({ visits: eb('hello_visits.visits', '+', 1) })))
    .returning('visits')
    .executeTakeFirstOrThrow();
  return Number(row.visits);
}
