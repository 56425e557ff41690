import type { Kysely } from 'kysely';

/**
 * Third-party OATH hardware tokens (issue 9): imported from a vendor's PSKC or CSV file,
 * assigned to at most one user, verified by the `oath` factor.
 *
 * - `counter` is the next HOTP counter expected, written as 20 zero-padded decimal digits: RFC
 *   4226 §5.2 counters run to 2^64 − 1, beyond both SQLite's signed INTEGER and a JavaScript
 *   number, and fixed-width digits compare correctly as text in both dialects, so the replay
 *   guard stays one conditional UPDATE (`… WHERE counter <= :matched`).
 * - `last_used_step` is the last accepted TOTP time step (RFC 6238 §5.2) and `drift_steps`
 *   the token's learnt clock offset (RFC 6238 §6); both unused by HOTP tokens.
 * - `secret_enc` is sealed with the secret box under `oath:<serial>:secret`.
 * - A user's deletion leaves the token in stock, unassigned, rather than destroying it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('oath_tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('serial', 'text', (c) => c.notNull().unique())
    .addColumn('user_id', 'text', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('algorithm', 'text', (c) => c.notNull())
    .addColumn('digits', 'integer', (c) => c.notNull())
    .addColumn('period', 'integer', (c) => c.notNull())
    .addColumn('counter', 'text', (c) => c.notNull())
    .addColumn('drift_steps', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_used_step', 'bigint')
    .addColumn('secret_enc', 'text', (c) => c.notNull())
    .addColumn('issuer', 'text')
    .addColumn('manufacturer', 'text')
    .addColumn('model', 'text')
    .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('last_used_at', 'bigint')
    .execute();
  await db.schema.createIndex('oath_tokens_user').on('oath_tokens').column('user_id').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('oath_tokens').execute();
}
