import type { Kysely } from 'kysely';

/**
 * The forms-proxy adapter's state: logins held while their challenge runs (the app's reply,
 * or in directory mode the user's request, envelope-encrypted), and factorgate's own session
 * per proxied app (each app has its own cookie and lifetimes, so they are not host sessions).
 *
 * Until host API 1.3 the core's migration 007 created these same tables; `ifNotExists` adopts
 * them, rows and all, on a store that ran it (the core's 007 is now empty).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('forms_proxy_pending')
    .ifNotExists()
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('app', 'text', (c) => c.notNull())
    .addColumn('username', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text')
    // SHA-256 of the cookie that binds the held login to the browser on the app's origin.
    .addColumn('bind_hash', 'text', (c) => c.notNull())
    .addColumn('held_kind', 'text', (c) => c.notNull())
    .addColumn('held_enc', 'text', (c) => c.notNull())
    // 'held' → 'challenging' → 'verified' → 'released', or 'denied'.
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('challenge_id', 'text')
    .addColumn('release_hash', 'text')
    .addColumn('methods', 'text')
    .addColumn('multi_factor', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('verified_at', 'bigint')
    .addColumn('released_at', 'bigint')
    .execute();
  await db.schema.createIndex('forms_proxy_pending_expires').ifNotExists().on('forms_proxy_pending').column('expires_at').execute();

  await db.schema
    .createTable('forms_proxy_sessions')
    .ifNotExists()
    // SHA-256 of the cookie value: a stolen database yields no live cookie.
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('app', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('methods', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('forms_proxy_sessions_expires').ifNotExists().on('forms_proxy_sessions').column('expires_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('forms_proxy_sessions').execute();
  await db.schema.dropTable('forms_proxy_pending').execute();
}
