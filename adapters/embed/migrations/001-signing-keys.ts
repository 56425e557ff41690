import type { Kysely } from 'kysely';

/**
 * The ES256 keys that sign results: the private key sealed with the adapter's secret box (so
 * `keys rewrap` re-seals it under the current ring key), the public JWK published at
 * `/embed/jwks.json`. A key signs from `created_at` (a successor is made ahead) until `retire_at`, stays published until `expires_at`, and is
 * swept after that.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('embed_signing_keys')
    .ifNotExists()
    .addColumn('kid', 'text', (c) => c.primaryKey())
    .addColumn('private_key', 'text', (c) => c.notNull())
    .addColumn('public_jwk', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('retire_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('embed_signing_keys').execute();
}
