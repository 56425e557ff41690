import { PostgresAdapter, sql, type Kysely } from 'kysely';

/**
 * Users indexes no query needs (issue 25 item 4: an import writes every user row into each of
 * the table's B-trees). Every query on users was checked with EXPLAIN (QUERY PLAN) on both
 * stores (test/store/user-indexes.test.ts); the queries name the indexed expressions through
 * src/store/user-keys.ts.
 * - SQLite: `users_username_search` (lower(username), 024). Sign-in names are stored folded
 *   (NFKC, then lower case), on which SQLite's ASCII lower() is the identity, so the console's
 *   prefix search ranges over `username` on its unique index.
 * - PostgreSQL: `users_upn_lower` and `users_email_lower` (016, default collation), copies of
 *   024's `users_upn_search` / `users_email_search` in the "C" collation: an equality under a
 *   deterministic collation is byte equality, so the look-ups by UPN and e-mail use those.
 */
function isPostgres(db: Kysely<unknown>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

export async function up(db: Kysely<unknown>): Promise<void> {
  const redundant = isPostgres(db) ? ['users_upn_lower', 'users_email_lower'] : ['users_username_search'];
  for (const name of redundant) await db.schema.dropIndex(name).ifExists().execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  if (isPostgres(db)) {
    await db.schema.createIndex('users_upn_lower').ifNotExists().on('users').expression(sql`lower(upn)`).execute();
    await db.schema.createIndex('users_email_lower').ifNotExists().on('users').expression(sql`lower(email)`).execute();
  } else {
    await sql`CREATE INDEX IF NOT EXISTS users_username_search ON users ((lower(username)))`.execute(db);
  }
}
