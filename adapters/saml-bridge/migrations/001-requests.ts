import type { Kysely } from 'kysely';

/**
 * The SAML bridge: AuthnRequests sent to an upstream IdP and not yet answered (one row per
 * request id, bound to the browser that started it, consumed once by the Response that names it
 * in InResponseTo).
 *
 * Until host API 1.3 the core's migration 008 created this same table; `ifNotExists` adopts it,
 * rows and all, on a store that ran it (the core's 008 is now empty; the users indexes it made
 * are the core's own, in 016).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('saml_bridge_requests')
    .ifNotExists()
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('upstream', 'text', (c) => c.notNull())
    // SHA-256 of the bridge cookie of the browser that was sent upstream.
    .addColumn('browser_hash', 'text', (c) => c.notNull())
    // The requesting adapter's name, continuation, relying party and policy, envelope-encrypted.
    .addColumn('payload_enc', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('saml_bridge_requests_expires').ifNotExists().on('saml_bridge_requests').column('expires_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('saml_bridge_requests').execute();
}
