import type { Kysely } from 'kysely';

/**
 * Regulation of primary authentication (issue 16): one row per regulated subject, an account
 * (`a:` + the normalised sign-in name) or a client (`c:` + its address, an IPv6 client by its
 * /64). `failures` counts the tries in the window that began at `window_start`, each reserved
 * before the password is checked; `banned_until` (0: none) refuses every try until then, and
 * `ban_ms` is the length of the last ban, which the next one doubles. Every host sharing the
 * store reads and writes the same rows.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('regulation_counters')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('window_start', 'bigint', (c) => c.notNull())
    .addColumn('failures', 'integer', (c) => c.notNull())
    .addColumn('banned_until', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('ban_ms', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.createIndex('regulation_counters_window').on('regulation_counters').column('window_start').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('regulation_counters').execute();
}
