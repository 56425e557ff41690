import type { Kysely } from 'kysely';

/**
 * Created the forms proxy's tables until they moved into the adapter
 * (adapters/forms-proxy/migrations/001-tables.ts, which adopts them where this ran). Kept, empty,
 * because stores that ran it record its name and the migrator refuses a recorded name that is gone.
 */
export async function up(_db: Kysely<unknown>): Promise<void> {}

export async function down(_db: Kysely<unknown>): Promise<void> {}
