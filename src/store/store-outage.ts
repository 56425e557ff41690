/**
 * Whether an error means the store cannot be used right now (PostgreSQL down or restarting,
 * the network to it cut, SQLite locked past its busy timeout, its disk full or gone read-only),
 * as opposed to a bug or bad data. Such errors answer 503 "temporarily unavailable" and are
 * logged once per interval instead of a 500 with a stack per request.
 */

/** SQLite result codes (better-sqlite3's `code`; extended codes start with these). */
const SQLITE_OUTAGE = /^SQLITE_(BUSY|LOCKED|IOERR|CANTOPEN|FULL|READONLY|PROTOCOL)/;

/** Node network errors on the way to PostgreSQL. */
const NETWORK_OUTAGE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);

/**
 * PostgreSQL SQLSTATEs: class 08 connection exception, 57P01–57P03 admin/crash shutdown and
 * "cannot connect now", 53300 too many connections (PostgreSQL Appendix A).
 */
const PG_OUTAGE = /^(08...|57P0[123]|53300)$/;

/** What node-postgres says when a connection or the pool goes away. */
const PG_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|connection error and is not queryable|Cannot use a pool after calling end/i;

function isOutageItself(err: object): boolean {
  const e = err as { code?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  if (SQLITE_OUTAGE.test(code) || NETWORK_OUTAGE.has(code) || PG_OUTAGE.test(code)) return true;
  return typeof e.message === 'string' && PG_MESSAGES.test(e.message);
}

/** Looks through `cause` chains and AggregateErrors (Node reports a refused localhost as one). */
export function isStoreOutage(err: unknown, depth = 0): boolean {
  if (typeof err !== 'object' || err === null || depth > 8) return false;
  if (isOutageItself(err)) return true;
  if (err instanceof AggregateError && err.errors.some((e) => isStoreOutage(e, depth + 1))) return true;
  return isStoreOutage((err as { cause?: unknown }).cause, depth + 1);
}
