import type { Kysely } from 'kysely';

/**
 * Codes sent by SMS, voice or email (issue 10), and what the limits on sending them count.
 *
 * - `delivered_codes`: one row per code sent, bound to its challenge. Only an HMAC of the code is
 *   kept (`code_hash`, see `src/delivery/codes.ts`), so a copied database yields no usable code
 *   (NIST SP 800-63B §5.1.3.2 treats the out-of-band secret like any other authenticator secret).
 *   A "press #" call has no code: `callback_hash` is the SHA-256 of the unguessable token in its
 *   callback URL, and `confirmed_at` is set when the provider reports the key press.
 *   `consumed_at` is written by one conditional UPDATE, so a code is accepted once, on any host.
 * - `delivery_sends`: every send attempted (failures too: a refusing provider is no reason to let
 *   an attacker try without limit), counted per challenge and per user by `decideSend`.
 * - `user_pins`: the scrypt hash of a user's PIN for "code + PIN" mode.
 * - `user_notifications`: which enrolment mails a user was sent (`users notify --all-new`).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('delivered_codes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('challenge_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('factor_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('mode', 'text', (c) => c.notNull())
    .addColumn('code_hash', 'text')
    .addColumn('callback_hash', 'text', (c) => c.unique())
    .addColumn('issued_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('confirmed_at', 'bigint')
    .addColumn('consumed_at', 'bigint')
    .addColumn('provider_message_id', 'text')
    .execute();
  await db.schema.createIndex('delivered_codes_challenge').on('delivered_codes').columns(['challenge_id', 'factor_id']).execute();
  await db.schema.createIndex('delivered_codes_expires').on('delivered_codes').column('expires_at').execute();

  await db.schema
    .createTable('delivery_sends')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('challenge_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('sent_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('delivery_sends_user').on('delivery_sends').columns(['user_id', 'sent_at']).execute();
  await db.schema.createIndex('delivery_sends_challenge').on('delivery_sends').column('challenge_id').execute();

  await db.schema
    .createTable('user_pins')
    .addColumn('user_id', 'text', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
    .addColumn('pin_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('user_notifications')
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('method', 'text', (c) => c.notNull())
    .addColumn('sent_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('user_notifications_pk', ['user_id', 'event'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ['user_notifications', 'user_pins', 'delivery_sends', 'delivered_codes']) {
    await db.schema.dropTable(t).execute();
  }
}
