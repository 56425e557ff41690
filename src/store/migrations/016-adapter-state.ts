import { sql, type Kysely } from 'kysely';

/**
 * Adapters' keyed state (`host.state`: put/get/take/delete with expiry), keyed by adapter so one
 * never reads another's keys; and the case-insensitive users indexes for finding the user an
 * upstream assertion names by UPN or email (made by 008 until the bridge's table left the core;
 * `ifNotExists` keeps them where 008 ran).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('adapter_state')
    .addColumn('adapter', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    // JSON text; adapters seal secrets themselves (host.secrets) before putting them here.
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('adapter_state_pk', ['adapter', 'key'])
    .execute();
  await db.schema.createIndex('adapter_state_expires').on('adapter_state').column('expires_at').execute();
  await db.schema.createIndex('users_upn_lower').ifNotExists().on('users').expression(sql`lower(upn)`).execute();
  await db.schema.createIndex('users_email_lower').ifNotExists().on('users').expression(sql`lower(email)`).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('adapter_state').execute();
}
