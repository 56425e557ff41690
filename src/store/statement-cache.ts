/**
 * Kysely's SQLite driver prepares every query it runs: `db.prepare(sql)` parses and plans the SQL
 * again each time, which on a signed-in SSO request (seven small queries) cost more than running
 * them. Kysely compiles values to `?` parameters, so the SQL text of a query shape is stable and
 * its prepared statement can be reused: this wraps the better-sqlite3 handle so `prepare` answers
 * from a bounded most-recently-used cache.
 *
 * better-sqlite3 runs a statement to completion synchronously (`all`, `run`), so one statement can
 * serve every caller in turn. The exception is `iterate` (Kysely's `stream()`), which holds the
 * statement open between rows; a statement that is still `busy` is never handed out again, a
 * fresh one is prepared instead. SQLite re-prepares a cached statement by itself after a schema
 * change (`sqlite3_prepare_v3`), so migrations need no special care.
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

/** Enough for every query shape the host and its adapters run, with room to spare. */
export const DEFAULT_STATEMENT_CACHE_SIZE = 500;

export interface CachingSqliteDatabase extends SqliteDatabase {
  /** Statements currently cached (for tests). */
  readonly cachedStatements: number;
}

export function cachingSqliteDatabase(db: BetterSqlite3.Database, maxStatements = DEFAULT_STATEMENT_CACHE_SIZE): CachingSqliteDatabase {
  // A Map iterates in insertion order: re-inserting on every hit keeps the least recently used first.
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    get cachedStatements() {
      return cache.size;
    },
    close() {
      cache.clear();
      db.close();
    },
    prepare(sql: string): SqliteStatement {
      const hit = cache.get(sql);
      if (hit !== undefined) {
        if (hit.busy) return db.prepare(sql);
        cache.delete(sql);
        cache.set(sql, hit);
        return hit;
      }
      const stmt = db.prepare(sql);
      cache.set(sql, stmt);
      if (cache.size > maxStatements) cache.delete(cache.keys().next().value!);
      return stmt;
    },
  };
}
