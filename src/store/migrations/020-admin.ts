import type { Kysely } from 'kysely';

/**
 * Help-desk operations (issue 18). `user_bypasses`: one-time bypasses an admin grants; the
 * challenge engine claims one (sets `used_at`) to let exactly one sign-in skip the second factor
 * before `expires_at`. `users.admin_disabled`: a disable set by an admin, kept apart from the
 * directory's `disabled` so the next directory refresh does not silently re-enable the user.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('user_bypasses')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('granted_by', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('used_at', 'bigint')
    .addColumn('challenge_id', 'text')
    .execute();
  await db.schema.createIndex('user_bypasses_user').on('user_bypasses').columns(['user_id', 'expires_at']).execute();
  await db.schema.alterTable('users').addColumn('admin_disabled', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  // Reports group a time range of one kind of event: (event, ts) keeps them off a full scan.
  await db.schema.createIndex('audit_events_event_ts').on('audit_events').columns(['event', 'ts']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('audit_events_event_ts').execute();
  await db.schema.alterTable('users').dropColumn('admin_disabled').execute();
  await db.schema.dropTable('user_bypasses').execute();
}
