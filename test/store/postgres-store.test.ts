import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/store.js';
import { migrations } from '../../src/store/migrations/index.js';
import { StoreReplayCache } from '../../src/host/replay-cache.js';
import { UserRepository } from '../../src/users/user-repository.js';
import { ManualClock } from '../../src/kit/clock.js';
import { startPostgres, type TestPostgres } from '../support/postgres.js';
import { checkHotQueries, checkPreparedQuery } from './hot-queries-case.js';

describe('PostgreSQL store (same interface as SQLite)', () => {
  let pg: TestPostgres;
  let a: Store;
  let b: Store;
  beforeAll(async () => {
    pg = await startPostgres();
    a = await openStore({ driver: 'postgres', connectionString: pg.url, poolSize: 4 });
    // A second host on the same database: migrations already applied, nothing to do.
    b = await openStore({ driver: 'postgres', connectionString: pg.url, poolSize: 4 });
  }, 60_000);
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await pg?.stop();
  });

  it('survives the server dropping an idle pooled connection: reported, replaced, queries go on', async () => {
    const errors: Error[] = [];
    const c = await openStore({ driver: 'postgres', connectionString: pg.url, poolSize: 2, onConnectionError: (err) => errors.push(err) });
    try {
      await sql`select 1`.execute(c.db);
      // Another session ends every other backend of this database, as an administrator or a failover would.
      await sql`select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`.execute(a.db);
      for (let i = 0; i < 50 && errors.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(errors.length).toBeGreaterThan(0);
      expect(String(errors[0]!.message)).toMatch(/terminating connection/);
      await expect(sql`select 1 as one`.execute(c.db)).resolves.toMatchObject({ rows: [{ one: 1 }] });
    } finally {
      await c.close();
    }
  });

  it('runs the same migrations', async () => {
    const rows = await a.db.selectFrom('kysely_migration' as never).select('name' as never).execute();
    expect(rows.map((r) => (r as { name: string }).name).sort()).toEqual(Object.keys(migrations).sort());
  });

  it('reads epoch-millisecond columns back as numbers and shares users between hosts', async () => {
    const clock = new ManualClock(1_790_000_000_123);
    const alice = await new UserRepository(a.db, clock).upsertFromDirectory({ externalId: 'x1', username: 'Élodie', disabled: false }, 'test');
    const seen = await b.db.selectFrom('users').selectAll().where('id', '=', alice.id).executeTakeFirstOrThrow();
    expect(seen.created_at).toBe(1_790_000_000_123);
    expect(typeof seen.created_at).toBe('number');
    expect(seen.username).toBe('élodie');
  });

  it('refuses a one-time id seen by another host (replay cache), atomically under concurrency', async () => {
    const clock = new ManualClock();
    const ra = new StoreReplayCache(a.db, clock);
    const rb = new StoreReplayCache(b.db, clock);
    const exp = clock.now() + 60_000;
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? ra : rb).markUsed('assertion', 'id-1', exp)));
    expect(results.filter(Boolean)).toHaveLength(1);
    clock.advance(61_000);
    expect(await ra.markUsed('assertion', 'id-1', clock.now() + 60_000)).toBe(true);
  });

  it('runs statements compiled once with each call\'s named parameters ($n placeholders), constants kept, a missing parameter refused', async () => {
    await checkPreparedQuery(a);
  });

  it('serves the user look-ups, the replay cache, the audit insert and the session read (with its user) from compiled statements', async () => {
    await checkHotQueries(a);
  });
});
