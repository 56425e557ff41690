/**
 * The sweep of expired rows in chunks (src/host/sweep-expired.ts), on SQLite and PostgreSQL: a
 * backlog several chunks long goes entirely, the rows still valid stay, and other work gets the
 * event loop between two chunks (one DELETE of a big backlog held a server's loop for most of a
 * second).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { openStore, type Store } from '../../src/store/store.js';
import { CORE_EXPIRY, SWEEP_CHUNK, sweepExpired } from '../../src/host/sweep-expired.js';
import { ManualClock } from '../../src/kit/clock.js';
import { startPostgres, type TestPostgres } from '../support/postgres.js';

const NOW = Date.UTC(2026, 0, 1);
const silent = pino({ level: 'silent' });

async function seedUsedIds(store: Store, expired: number, live: number): Promise<void> {
  const rows = [
    ...Array.from({ length: expired }, (_, i) => ({ scope: 'saml-request', id: `old-${i}`, expires_at: NOW - 1 - (i % 1000) })),
    ...Array.from({ length: live }, (_, i) => ({ scope: 'saml-request', id: `live-${i}`, expires_at: NOW + 60_000 })),
  ];
  for (let i = 0; i < rows.length; i += 500) await store.db.insertInto('used_ids').values(rows.slice(i, i + 500)).execute();
}

/**
 * `inProcess`: the store runs in this thread (SQLite), so other work can only run between chunks
 * if the sweep yields; on PostgreSQL every statement waits on the network and the order would
 * hold even for a single DELETE: there the test proves the count and the rows left, not the chunking
 * (which the SQLite case proves for the shared sweep code).
 */
function cases(open: () => Promise<Store>, inProcess: boolean): void {
  let store: Store;
  beforeAll(async () => {
    store = await open();
  });
  afterAll(async () => {
    await store?.close();
  });

  it('deletes a backlog of several chunks, keeps the valid rows, and lets other work run between chunks', async () => {
    const expired = 2 * SWEEP_CHUNK + 345;
    await seedUsedIds(store, expired, 7);
    const order: string[] = [];
    setImmediate(() => order.push('other work'));
    const deleted = await sweepExpired([{ owner: 'core', db: store.db, rules: CORE_EXPIRY }], new ManualClock(NOW), silent);
    order.push('sweep done');
    expect(deleted).toBe(expired);
    const left = await store.db.selectFrom('used_ids').select('id').orderBy('id').execute();
    expect(left.map((r) => r.id)).toEqual(Array.from({ length: 7 }, (_, i) => `live-${i}`));
    if (inProcess) expect(order).toEqual(['other work', 'sweep done']);
    // Nothing left to do: the next pass deletes nothing.
    expect(await sweepExpired([{ owner: 'core', db: store.db, rules: CORE_EXPIRY }], new ManualClock(NOW), silent)).toBe(0);
  });
}

describe('sweepExpired on SQLite', () => {
  cases(() => openStore({ driver: 'sqlite', file: ':memory:' }), true);
});

describe('sweepExpired on PostgreSQL', () => {
  let pg: TestPostgres;
  beforeAll(async () => {
    pg = await startPostgres();
  }, 60_000);
  afterAll(async () => {
    await pg?.stop();
  });
  cases(() => openStore({ driver: 'postgres', connectionString: pg.url, poolSize: 2 }), false);
});
