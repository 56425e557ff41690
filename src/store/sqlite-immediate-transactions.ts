/**
 * Kysely's SQLite driver opens every transaction with a deferred `begin`. A deferred transaction
 * that reads, then writes, cannot wait for another connection's write lock: SQLite does not call
 * the busy handler when a read transaction asks to become a write one (it could deadlock), so
 * the write fails at once with SQLITE_BUSY, whatever `busy_timeout` says (measured: 1 ms, against
 * 2 s of waiting for an autocommit write). `begin immediate` takes the write lock first, and
 * waiting for it honours `busy_timeout`. Every transaction in factorgate writes, so none loses
 * concurrency by it.
 */
import type { SqliteDatabase, SqliteStatement } from 'kysely';

export function immediateTransactions(db: SqliteDatabase): SqliteDatabase {
  return {
    close: () => db.close(),
    prepare: (sql: string): SqliteStatement => db.prepare(sql.trim().toLowerCase() === 'begin' ? 'begin immediate' : sql),
  };
}
