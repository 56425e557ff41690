/**
 * One-time identifiers shared by every host on the store: the primary key makes the second
 * insert of the same id fail, atomically, on SQLite and PostgreSQL alike.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import { prepareQuery, type PreparedQuery } from '../store/prepared-query.js';
import type { ReplayCache } from '../api/host-api.js';
import type { Clock } from '../kit/clock.js';

export class StoreReplayCache implements ReplayCache {
  // One statement, compiled once: a new id is inserted; an expired entry no longer protects
  // anything and is taken over; a live one is left alone, and nothing is inserted or updated (a replay).
  readonly #mark: PreparedQuery<{ scope: string; id: string; expiresAt: number; now: number }, unknown>;

  constructor(
    db: Kysely<Database>,
    private readonly clock: Clock,
  ) {
    this.#mark = prepareQuery(db, (q, p) =>
      q
        .insertInto('used_ids')
        .values({ scope: p('scope'), id: p('id'), expires_at: p('expiresAt') })
        .onConflict((oc) => oc.columns(['scope', 'id']).doUpdateSet({ expires_at: p('expiresAt') }).where('used_ids.expires_at', '<=', p('now'))),
    );
  }

  async markUsed(scope: string, id: string, expiresAt: number): Promise<boolean> {
    const r = await this.#mark.run({ scope, id, expiresAt, now: this.clock.now() });
    return Number(r.numAffectedRows ?? 0n) > 0;
  }
}
