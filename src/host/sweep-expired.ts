/**
 * The sweep of expired rows, every few minutes on whichever host runs (each pass is idempotent):
 * the core's own tables, and whatever each running adapter declares in `expiry` (run on the
 * adapter's own handle, so a declaration can only name the adapter's tables). The host knows no
 * adapter table by name.
 */
import type { Kysely } from 'kysely';
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

/** One pass: deletes every declared table's rows older than its column allows; failures are logged. */
export async function sweepExpired(targets: readonly SweepTarget[], clock: Clock, logger: Logger): Promise<number> {
  const now = clock.now();
  let deleted = 0;
  await Promise.all(
    targets.flatMap((t) =>
      t.rules.map(async (rule) => {
        try {
          const r = await t.db.deleteFrom(rule.table).where(rule.column, '<', now - (rule.graceMs ?? 0)).executeTakeFirst();
          deleted += Number(r.numDeletedRows);
        } catch (err) {
          logger.warn({ err, owner: t.owner, table: rule.table }, 'sweep of expired rows failed');
        }
      }),
    ),
  );
  return deleted;
}
