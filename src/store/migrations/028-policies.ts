import type { Kysely } from 'kysely';

/**
 * Policies (issue 20). `users.groups`: the directory groups of the user (JSON list of names, as
 * the directory last said), which per-group policy rules match. `users.password_changed_at`: the
 * directory's pwdLastSet/pwdChangedTime, when it exposes one: a newer value revokes remembered
 * devices. `users.fraud_blocked_at`: set by a "this wasn't me" report under fraud mode block;
 * the second factor is refused until an admin clears it. `remembered_devices`: one row per
 * "remember this device" cookie (the cookie names the row and is bound to its user and app);
 * `revoked_at` ends one and keeps it for the history. `fraud_reports`: every report, for the
 * console and the audit. `pending_logins.step_up`: the relying party asked for a multi-factor
 * context (SAML step-up), carried from the adapter through /login into the challenge.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('users').addColumn('groups', 'text').execute();
  await db.schema.alterTable('users').addColumn('password_changed_at', 'bigint').execute();
  await db.schema.alterTable('users').addColumn('fraud_blocked_at', 'bigint').execute();
  await db.schema.alterTable('pending_logins').addColumn('step_up', 'integer').execute();
  await db.schema
    .createTable('remembered_devices')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('app', 'text', (c) => c.notNull())
    .addColumn('browser_label', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_used_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('revoked_at', 'bigint')
    .addColumn('revoked_reason', 'text')
    .execute();
  await db.schema.createIndex('remembered_devices_user').on('remembered_devices').columns(['user_id', 'revoked_at']).execute();
  await db.schema
    .createTable('fraud_reports')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('challenge_id', 'text')
    .addColumn('method', 'text')
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('mode', 'text', (c) => c.notNull())
    .addColumn('client_ip', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('cleared_at', 'bigint')
    .addColumn('cleared_by', 'text')
    .execute();
  await db.schema.createIndex('fraud_reports_created').on('fraud_reports').columns(['created_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('fraud_reports').execute();
  await db.schema.dropTable('remembered_devices').execute();
  await db.schema.alterTable('pending_logins').dropColumn('step_up').execute();
  await db.schema.alterTable('users').dropColumn('fraud_blocked_at').execute();
  await db.schema.alterTable('users').dropColumn('password_changed_at').execute();
  await db.schema.alterTable('users').dropColumn('groups').execute();
}
