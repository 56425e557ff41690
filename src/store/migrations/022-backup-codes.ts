import type { Kysely } from 'kysely';

/**
 * Backup codes (issue 19): the way back in when the phone is lost. One row per code of a user's
 * current set; only its Argon2id hash is kept (`src/hashing/secret-hash.ts`), so a copied
 * database yields no usable code. `used_at` is written by one conditional UPDATE, so a code is
 * accepted once, on any host. A new set deletes the old one in the same transaction.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('backup_codes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('code_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('used_at', 'bigint')
    .execute();
  await db.schema.createIndex('backup_codes_user').on('backup_codes').column('user_id').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('backup_codes').execute();
}
