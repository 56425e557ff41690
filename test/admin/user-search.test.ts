/** The console's user search on SQLite: each listed user's last sign-in try (see last-sign-in-case.ts). */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { openStore, type Store } from '../../src/store/store.js';
import { checkLastSignIns } from './last-sign-in-case.js';

let store: Store;
beforeAll(async () => {
  store = await openStore({ driver: 'sqlite', file: ':memory:' });
});
afterAll(async () => {
  await store?.close();
});

describe('user search on SQLite', () => {
  it('lists each user with their own newest sign-in try', async () => {
    await checkLastSignIns(store);
  });
});
