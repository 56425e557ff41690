/** The hot-path statements compiled once, on SQLite (the PostgreSQL run is in postgres-store.test.ts). */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { openStore, type Store } from '../../src/store/store.js';
import { checkHotQueries, checkPreparedQuery } from './hot-queries-case.js';

let store: Store;
beforeAll(async () => {
  store = await openStore({ driver: 'sqlite', file: ':memory:' });
});
afterAll(async () => {
  await store?.close();
});

describe('statements compiled once, on SQLite', () => {
  it('run with each call\'s named parameters, keep the shape\'s constants, refuse a missing parameter', async () => {
    await checkPreparedQuery(store);
  });
  it('serve the user look-ups, the replay cache, the audit insert and the session read (with its user)', async () => {
    await checkHotQueries(store);
  });
});
