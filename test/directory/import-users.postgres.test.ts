/**
 * The importer on PostgreSQL: the temporary table of seen ids lives on one pinned pool
 * connection, batches are transactions on it, and other queries keep flowing meanwhile.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type TestPostgres } from '../support/postgres.js';
import { openStore, type Store } from '../../src/store/store.js';
import { importUsers } from '../../src/directory/import-users.js';
import { MemoryDirectory, makeUser } from '../support/ldap-memory-directory.js';

let pg: TestPostgres;
let store: Store;

beforeAll(async () => {
  pg = await startPostgres();
  store = await openStore({ driver: 'postgres', connectionString: pg.url, poolSize: 3 });
}, 60_000);

afterAll(async () => {
  await store?.close();
  await pg?.stop();
});

describe('importUsers on PostgreSQL', () => {
  it('imports, re-imports idempotently, disables the absent, and survives a failure mid-listing', async () => {
    const dir = new MemoryDirectory(Array.from({ length: 1200 }, (_, i) => makeUser(i)));
    expect(await importUsers({ directory: dir, db: store.db, batchSize: 250 })).toMatchObject({ added: 1200, errors: 0 });
    expect(await importUsers({ directory: dir, db: store.db, batchSize: 250 })).toMatchObject({ unchanged: 1200, added: 0, updated: 0, disabled: 0 });
    dir.users = dir.users.slice(0, 1000);
    expect(await importUsers({ directory: dir, db: store.db, batchSize: 250 })).toMatchObject({ unchanged: 1000, disabled: 200 });

    dir.users = [...dir.users, ...Array.from({ length: 500 }, (_, i) => makeUser(5000 + i))];
    dir.failAfter = 1300;
    await expect(importUsers({ directory: dir, db: store.db, batchSize: 250 })).rejects.toThrow('mid-way');
    const n = await store.db.selectFrom('users').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    // 1200 earlier rows + one complete batch of new users (users 1000-1249 of the listing).
    expect(Number(n.n)).toBe(1450);
    const disabled = await store.db.selectFrom('users').select((eb) => eb.fn.countAll<string>().as('n')).where('disabled', '=', 1).executeTakeFirstOrThrow();
    expect(Number(disabled.n)).toBe(200);
  });
});
