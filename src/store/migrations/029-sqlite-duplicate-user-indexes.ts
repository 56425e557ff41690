import { PostgresAdapter, sql, type Kysely } from 'kysely';

/**
 * On SQLite, migration 016's `users_upn_lower` and `users_email_lower` index exactly what 024's
 * `users_upn_search` and `users_email_search` index (`lower(upn)`, `lower(email)`, both in the
 * BINARY collation), so every user row was written into two identical B-trees per column: the
 * directory import paid for both (bench/README, "LDAP import"). The look-ups by UPN or email use
 * the search indexes just as well, so the duplicates go.
 *
 * On PostgreSQL the two are not duplicates: the search indexes are built in the "C" collation for
 * the console's prefix ranges, while `lower(upn) = lower($1)` compares in the column's collation
 * and can only use the default-collation index. There both stay.
 */
const DUPLICATES = ['users_upn_lower', 'users_email_lower'] as const;

function isPostgres(db: Kysely<unknown>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

export async function up(db: Kysely<unknown>): Promise<void> {
  if (isPostgres(db)) return;
  for (const name of DUPLICATES) await db.schema.dropIndex(name).ifExists().execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  if (isPostgres(db)) return;
  await db.schema.createIndex('users_upn_lower').ifNotExists().on('users').expression(sql`lower(upn)`).execute();
  await db.schema.createIndex('users_email_lower').ifNotExists().on('users').expression(sql`lower(email)`).execute();
}
