import { sql, type Kysely } from 'kysely';

/**
 * The SAML bridge: AuthnRequests sent to an upstream IdP and not yet answered (one row per
 * request id, bound to the browser that started it, consumed once by the Response that names it
 * in InResponseTo), and case-insensitive indexes for finding the user an upstream assertion
 * names by UPN or email.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('saml_bridge_requests')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('upstream', 'text', (c) => c.notNull())
    // SHA-256 of the bridge cookie of the browser that was sent upstream.
    .addColumn('browser_hash', 'text', (c) => c.notNull())
    // The requesting adapter's name, continuation, relying party and policy, envelope-encrypted.
    .addColumn('payload_enc', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('saml_bridge_requests_expires').on('saml_bridge_requests').column('expires_at').execute();
  await db.schema.createIndex('users_upn_lower').on('users').expression(sql`lower(upn)`).execute();
  await db.schema.createIndex('users_email_lower').on('users').expression(sql`lower(email)`).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('users_email_lower').execute();
  await db.schema.dropIndex('users_upn_lower').execute();
  await db.schema.dropTable('saml_bridge_requests').execute();
}
