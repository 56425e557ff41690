import type { Kysely } from 'kysely';

/**
 * Created the SAML bridge's request table and the users' lower(upn)/lower(email) indexes until the
 * table moved into the adapter (adapters/saml-bridge/migrations/001-requests.ts, which adopts it
 * where this ran) and the indexes into the core's 016. Kept, empty, because stores that ran it
 * record its name and the migrator refuses a recorded name that is gone.
 */
export async function up(_db: Kysely<unknown>): Promise<void> {}

export async function down(_db: Kysely<unknown>): Promise<void> {}
