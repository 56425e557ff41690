/**
 * Runs an adapter's own migrations: recorded per adapter in `<prefix>_migrations` (so adapters
 * add, order and name theirs without touching the core's list), each run with the adapter's
 * restricted handle, so a migration can only create or change tables named `<prefix>_…`.
 */
import { Migrator, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { FactorgateError } from '../../kit/errors.js';
import { OwnTablesOnly, tablePrefix } from './own-tables-only.js';

/** One step of an adapter's schema; `db` reaches only the adapter's own tables. */
export interface AdapterMigration {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a migration creates the tables its types describe
  up(db: Kysely<any>): Promise<void>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  down?(db: Kysely<any>): Promise<void>;
}

class ScopedMigrations implements MigrationProvider {
  constructor(
    private readonly adapter: string,
    private readonly all: Readonly<Record<string, AdapterMigration>>,
  ) {}
  getMigrations(): Promise<Record<string, Migration>> {
    const plugin = new OwnTablesOnly(this.adapter);
    const out: Record<string, Migration> = {};
    for (const [name, m] of Object.entries(this.all)) {
      out[name] = {
        up: (db) => m.up(db.withPlugin(plugin)),
        ...(m.down ? { down: (db: Kysely<unknown>) => m.down!(db.withPlugin(plugin)) } : {}),
      };
    }
    return Promise.resolve(out);
  }
}

/** Brings `adapter`'s tables up to date; answers the names of the migrations it ran. */
export async function migrateAdapter(db: Kysely<unknown>, adapter: string, migrations: Readonly<Record<string, AdapterMigration>>): Promise<string[]> {
  if (Object.keys(migrations).length === 0) return [];
  const prefix = tablePrefix(adapter);
  const migrator = new Migrator({
    db,
    provider: new ScopedMigrations(adapter, migrations),
    migrationTableName: `${prefix}_migrations`,
    migrationLockTableName: `${prefix}_migrations_lock`,
  });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    throw new FactorgateError('STORE_ERROR', {
      detail: `adapter ${adapter}: migration ${failed?.migrationName ?? '?'} failed: ${error instanceof Error ? error.message : String(error)}`,
      cause: error,
    });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** Every adapter's tables, in registration order (a registered adapter's tables exist, configured or not). */
export async function migrateAdapters(db: Kysely<unknown>, adapters: readonly { name: string; migrations?: Readonly<Record<string, AdapterMigration>> | undefined }[]): Promise<void> {
  for (const a of adapters) await migrateAdapter(db, a.name, a.migrations ?? {});
}
