/**
 * One-time identifiers shared by every host on the store: the primary key makes the second
 * insert of the same id fail, atomically, on SQLite and PostgreSQL alike.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import type { ReplayCache } from '../api/host-api.js';
import type { Clock } from '../kit/clock.js';

export class StoreReplayCache implements ReplayCache {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
  ) {}

  async markUsed(scope: string, id: string, expiresAt: number): Promise<boolean> {
    const now = this.clock.now();
    // One statement: a new id is inserted; an expired entry no longer protects anything and is
    // taken over; a live one is left alone, and nothing is inserted or updated (a replay).
    const r = await this.db
      .insertInto('used_ids')
      .values({ scope, id, expires_at: expiresAt })
      .onConflict((oc) => oc.columns(['scope', 'id']).doUpdateSet({ expires_at: expiresAt }).where('used_ids.expires_at', '<=', now))
      .executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0n) > 0;
  }
}
