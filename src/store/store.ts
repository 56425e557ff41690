/**
 * Opens the store: Kysely over better-sqlite3 (WAL, foreign keys on) by default, or over
 * PostgreSQL (`pg`) when several hosts share state. Both run the same migrations and queries.
 */
import { existsSync, accessSync, constants } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, type MigrationProvider, type Migration } from 'kysely';
import type { Database } from './schema.js';
import { migrations } from './migrations/index.js';
import { cachingSqliteDatabase } from './statement-cache.js';
import { immediateTransactions } from './sqlite-immediate-transactions.js';
import { ensurePrivateDir, preparePrivateDatabaseFile } from './private-files.js';
import { startWalCheckpointer, type WalCheckpointer } from './wal-checkpointer.js';
import { FactorgateError } from '../kit/errors.js';

export type StoreOptions =
  | {
      driver: 'sqlite';
      file: string;
      /** WAL checkpoints on a worker thread instead of inside request commits (the host; see wal-checkpointer.ts). */
      backgroundCheckpoints?: boolean;
      /** The checkpoint worker failed; checkpoints run on the request connection again. */
      onCheckpointError?: (err: Error) => void;
    }
  | {
      driver: 'postgres';
      connectionString: string;
      poolSize?: number;
      /** An idle pooled connection failed (server restart, failover); the pool replaces it. */
      onConnectionError?: (err: Error) => void;
    };

export interface Store {
  readonly db: Kysely<Database>;
  readonly driver: 'sqlite' | 'postgres';
  /** Resolves when the database accepts a write (for /readyz). */
  ping(): Promise<void>;
  /** The SQLite store's background checkpointer, when it runs one (tests). */
  readonly checkpointer?: WalCheckpointer | undefined;
  close(): Promise<void>;
}

class StaticMigrations implements MigrationProvider {
  constructor(private readonly all: Record<string, Migration>) {}
  getMigrations(): Promise<Record<string, Migration>> {
    return Promise.resolve(this.all);
  }
}

function openSqlite(file: string): { db: Kysely<Database>; sqlite: SQLite.Database } {
  if (file !== ':memory:') {
    const dir = dirname(file);
    try {
      // A folder that does not exist yet is created private; an existing one may be shared
      // (the host tightens its own data folder: see ensurePrivateDir in createHost).
      if (!existsSync(dir)) ensurePrivateDir(dir);
      accessSync(dir, constants.W_OK);
    } catch (cause) {
      throw new FactorgateError('STORE_ERROR', { detail: `data folder ${dir} is not writable`, cause });
    }
    try {
      preparePrivateDatabaseFile(file);
    } catch (cause) {
      throw new FactorgateError('STORE_ERROR', { detail: `database file ${file} cannot be created or made private`, cause });
    }
  }
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('foreign_keys = ON');
  // Two hosts on one file (the HA test, or a restart overlapping its predecessor) wait for
  // each other's short write transactions instead of failing with SQLITE_BUSY.
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('synchronous = NORMAL');
  // Prepared statements are reused across queries of the same shape (see statement-cache.ts).
  // Transactions take the write lock up front, so they too wait up to busy_timeout (see the module).
  return { sqlite, db: new Kysely<Database>({ dialect: new SqliteDialect({ database: immediateTransactions(cachingSqliteDatabase(sqlite)) }) }) };
}

export const PG_CONNECT_TIMEOUT_MS = 5000;

/** `pg` is loaded only for a PostgreSQL store (about 15 MB of RSS a SQLite host does not carry). */
async function openPostgres(connectionString: string, poolSize: number, onConnectionError?: (err: Error) => void): Promise<Kysely<Database>> {
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({
    connectionString,
    max: poolSize,
    // A server that does not answer (a host gone, packets dropped) fails a request in 5 s with
    // 503 "temporarily unavailable", instead of it hanging until the kernel gives up (minutes).
    connectionTimeoutMillis: PG_CONNECT_TIMEOUT_MS,
    // int8 columns hold epoch milliseconds, well inside Number's exact range.
    types: {
      getTypeParser: ((oid: number, format?: string) =>
        oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
    },
  });
  // Without a listener, an idle connection dropped by the server (a restart, a failover, the
  // administrator's pg_terminate_backend) would be an unhandled 'error' event and end the process.
  pool.on('error', (err) => onConnectionError?.(err));
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

export async function migrateToLatest(db: Kysely<Database>): Promise<string[]> {
  // Features add migrations independently; a database that already ran a later-numbered one
  // must still accept an earlier one added afterwards (each migration touches its own tables).
  const migrator = new Migrator({ db, provider: new StaticMigrations(migrations), allowUnorderedMigrations: true });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    throw new FactorgateError('STORE_ERROR', {
      detail: `migration ${failed?.migrationName ?? '?'} failed: ${error instanceof Error ? error.message : String(error)}`,
      cause: error,
    });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** Opens the database and runs pending migrations. */
export async function openStore(options: StoreOptions): Promise<Store> {
  let db: Kysely<Database>;
  let sqlite: SQLite.Database | undefined;
  try {
    if (options.driver === 'sqlite') ({ db, sqlite } = openSqlite(options.file));
    else db = await openPostgres(options.connectionString, options.poolSize ?? 10, options.onConnectionError);
  } catch (cause) {
    if (cause instanceof FactorgateError) throw cause;
    throw new FactorgateError('STORE_ERROR', { detail: `cannot open the ${options.driver} store: ${(cause as Error).message}`, cause });
  }
  try {
    await migrateToLatest(db);
  } catch (err) {
    await db.destroy();
    throw err;
  }
  const checkpointer =
    options.driver === 'sqlite' && options.backgroundCheckpoints && options.file !== ':memory:' && sqlite
      ? startWalCheckpointer(options.file, sqlite, options.onCheckpointError ? { onError: options.onCheckpointError } : {})
      : undefined;
  let closed = false;
  return {
    db,
    driver: options.driver,
    checkpointer,
    async ping() {
      // A write, not a read: a read passes on a database locked for writing, a full disk or a
      // read-only replica, none of which can serve a sign-in.
      await db
        .insertInto('kv')
        .values({ key: 'readyz.write-probe', value: 'ok', updated_at: 0 })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value: 'ok' }))
        .execute();
    },
    async close() {
      if (closed) return;
      closed = true;
      await checkpointer?.close();
      await db.destroy();
    },
  };
}
