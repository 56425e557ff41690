/**
 * The sweep of expired rows, every few minutes on whichever host runs (each pass is idempotent):
 * the core's own tables, and whatever each running adapter declares in `expiry` (run on the
 * adapter's own handle, so a declaration can only name the adapter's tables). The host knows no
 * adapter table by name.
 *
 * Rows go SWEEP_CHUNK at a time, with the event loop free between two statements: one DELETE of
 * five minutes' replay-cache rows (two per SSO response) held a busy server's event loop for
 * 0.7-0.9 s (SQLite runs synchronously), long enough for a sign-in's LDAP connect to time out.
 */
import { SqliteAdapter, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Clock } from '../kit/clock.js';
import type { ExpiryRule } from '../api/host-api.js';

/** The core's expiring rows. */
export const CORE_EXPIRY: readonly ExpiryRule[] = [
  // Challenges and sent codes outlive their expiry by a day (for support cases).
  { table: 'challenges', column: 'expires_at', graceMs: 24 * 3600_000 },
  { table: 'sessions', column: 'expires_at' },
  { table: 'admin_sessions', column: 'expires_at' },
  { table: 'pending_logins', column: 'expires_at' },
  { table: 'delivered_codes', column: 'expires_at', graceMs: 24 * 3600_000 },
  // The send log only as long as a limit can look back (an hour per user, a challenge's lifetime at most).
  { table: 'delivery_sends', column: 'sent_at', graceMs: 2 * 3600_000 },
  { table: 'used_ids', column: 'expires_at' },
  { table: 'adapter_state', column: 'expires_at' },
];

export interface SweepTarget {
  /** Who declared the rules (`core` or the adapter's name), for the log. */
  owner: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tables come from declarations, not types
  db: Kysely<any>;
  rules: readonly ExpiryRule[];
}

/** Rows deleted per statement of a sweep. */
export const SWEEP_CHUNK = 2000;

/** Deletes a table's expired rows, SWEEP_CHUNK per statement (by SQLite's rowid, PostgreSQL's ctid). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tables come from declarations, not types
async function sweepRule(db: Kysely<any>, rule: ExpiryRule, before: number): Promise<number> {
  // A column reference, not raw SQL: an adapter's handle refuses raw SQL (own-tables-only.ts).
  const row = db.getExecutor().adapter instanceof SqliteAdapter ? 'rowid' : 'ctid';
  let deleted = 0;
  for (;;) {
    const expired = db.selectFrom(rule.table).select(row).where(rule.column, '<', before).limit(SWEEP_CHUNK);
    const r = await db.deleteFrom(rule.table).where(row, 'in', expired).executeTakeFirst();
    const n = Number(r.numDeletedRows);
    deleted += n;
    if (n < SWEEP_CHUNK) return deleted;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/** One pass: deletes every declared table's rows older than its column allows; failures are logged. */
export async function sweepExpired(targets: readonly SweepTarget[], clock: Clock, logger: Logger): Promise<number> {
  const now = clock.now();
  let deleted = 0;
  await Promise.all(
    targets.flatMap((t) =>
      t.rules.map(async (rule) => {
        try {
          // Read `deleted` after the await: the rules run concurrently.
          const n = await sweepRule(t.db, rule, now - (rule.graceMs ?? 0));
          deleted += n;
        } catch (err) {
          logger.warn({ err, owner: t.owner, table: rule.table }, 'sweep of expired rows failed');
        }
      }),
    ),
  );
  return deleted;
}
