/**
 * The small keyed state an adapter gets when it needs no tables of its own: JSON values under
 * keys, each with an expiry, in the core table `adapter_state`, keyed by adapter so one adapter
 * never sees another's keys. `take` is single-use on both stores: one DELETE … RETURNING, so
 * two hosts racing for the same key cannot both get the value.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import type { Clock } from '../../kit/clock.js';

export interface KeyedState {
  /** Stores `value` (JSON-serialisable) under `key` for `ttlMs`, replacing what was there. */
  put(key: string, value: unknown, ttlMs: number): Promise<void>;
  /** The live value under `key`, or null (absent or expired). */
  get<T = unknown>(key: string): Promise<T | null>;
  /** The live value under `key`, removed in the same statement: only one caller ever gets it. */
  take<T = unknown>(key: string): Promise<T | null>;
  delete(key: string): Promise<void>;
}

const MAX_KEY = 200;

function checkKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY) throw new TypeError(`state key must be 1-${MAX_KEY} characters`);
}

export function keyedState(db: Kysely<Database>, adapter: string, clock: Clock): KeyedState {
  return {
    async put(key, value, ttlMs) {
      checkKey(key);
      if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new TypeError('state ttlMs must be a positive number');
      const json = JSON.stringify(value);
      if (json === undefined) throw new TypeError('state value must be JSON-serialisable');
      const expires_at = clock.now() + ttlMs;
      await db
        .insertInto('adapter_state')
        .values({ adapter, key, value: json, expires_at })
        .onConflict((oc) => oc.columns(['adapter', 'key']).doUpdateSet({ value: json, expires_at }))
        .execute();
    },
    async get<T>(key: string) {
      checkKey(key);
      const row = await db
        .selectFrom('adapter_state')
        .select('value')
        .where('adapter', '=', adapter)
        .where('key', '=', key)
        .where('expires_at', '>', clock.now())
        .executeTakeFirst();
      return row ? (JSON.parse(row.value) as T) : null;
    },
    async take<T>(key: string) {
      checkKey(key);
      const row = await db
        .deleteFrom('adapter_state')
        .where('adapter', '=', adapter)
        .where('key', '=', key)
        .where('expires_at', '>', clock.now())
        .returning('value')
        .executeTakeFirst();
      return row ? (JSON.parse(row.value) as T) : null;
    },
    async delete(key) {
      checkKey(key);
      await db.deleteFrom('adapter_state').where('adapter', '=', adapter).where('key', '=', key).execute();
    },
  };
}
