import { PostgresAdapter, sql, type Kysely } from 'kysely';

/**
 * The /admin console (issue 18). `admin_sessions`: a console session apart from the single
 * sign-on one (its own cookie, shorter idle time, bound to the browser that passed the second
 * factor), stored as the SHA-256 of its token. The `users_*_search` indexes serve the console's
 * case-insensitive prefix search (`lower(col) >= p AND lower(col) < p || U+10FFFF`): on
 * PostgreSQL they are built in the "C" collation, whose byte order makes that range exactly the
 * strings starting with `p` (a linguistic collation does not promise it); SQLite's BINARY is
 * already byte order.
 */
export const SEARCH_COLUMNS = ['username', 'upn', 'email', 'display_name', 'phone', 'mobile'] as const;

function isPostgres(db: Kysely<unknown>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('admin_sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('admin_name', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('browser_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('admin_sessions_expires').on('admin_sessions').column('expires_at').execute();
  const collate = isPostgres(db) ? sql` COLLATE "C"` : sql``;
  for (const col of SEARCH_COLUMNS) {
    await sql`CREATE INDEX ${sql.id(`users_${col}_search`)} ON users ((lower(${sql.id(col)})${collate}))`.execute(db);
  }
  // The list's "last sign-in and result": the newest audit row of a user, by index.
  await db.schema.createIndex('audit_events_user_ts').on('audit_events').columns(['user_id', 'ts']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('audit_events_user_ts').execute();
  for (const col of SEARCH_COLUMNS) await db.schema.dropIndex(`users_${col}_search`).execute();
  await db.schema.dropTable('admin_sessions').execute();
}
