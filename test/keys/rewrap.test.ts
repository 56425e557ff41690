import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/store.js';
import type { Kysely } from 'kysely';
import { migrateAdapters } from '../../src/store/adapter/adapter-migrations.js';
import { builtinAdapters } from '../../adapters/index.js';
import { SecretBox } from '../../src/store/secret-box.js';
import { ManualClock } from '../../src/kit/clock.js';
import { REWRAP_CURSOR_KEY, countValuesUsingKey, rewrapAll } from '../../src/keys/rewrap.js';
import { totpSecretContext } from '../../src/factors/totp-factor.js';
import { startPostgres, type TestPostgres } from '../support/postgres.js';
import { makeTempDir } from '../support/host-harness.js';
import { SEALED_COLUMNS, adapterBoxes, openAll, plain, seedSealedRows } from './support/sealed-rows.js';

const k1 = { id: 'k1', key: randomBytes(32) };
const k2 = { id: 'k2', key: randomBytes(32) };
const k3 = { id: 'k3', key: randomBytes(32) };
const PER_COLUMN = 7;

function suite(name: string, open: () => Promise<{ store: Store; done(): Promise<void> }>) {
  describe(`keys rewrap on ${name}`, () => {
    let store: Store;
    let done: () => Promise<void>;
    const clock = new ManualClock();
    const before = new SecretBox([k1], clock);
    const after = new SecretBox([k1, k2], clock);

    beforeAll(async () => {
      ({ store, done } = await open());
      await seedSealedRows(store.db, before, PER_COLUMN);
    }, 60_000);
    afterAll(async () => done?.());

    it('counts, per column, the values each key still encrypts', async () => {
      const counts = await countValuesUsingKey(store.db, SEALED_COLUMNS, 'k1');
      expect(counts.map((c) => c.column)).toEqual(SEALED_COLUMNS.map((c) => `${c.table}.${c.column}`));
      expect(counts.every((c) => c.count === PER_COLUMN)).toBe(true);
      expect((await countValuesUsingKey(store.db, SEALED_COLUMNS, 'k2')).every((c) => c.count === 0)).toBe(true);
    });

    it('stops half-way, resumes from its saved cursor, and leaves every value under the new key with its plaintext', async () => {
      let batches = 0;
      await expect(
        rewrapAll(store.db, after, SEALED_COLUMNS, clock, {
          batchSize: 3,
          adapterBox: adapterBoxes([k1, k2], clock),
          onBatch: () => {
            if (++batches === 4) throw new Error('stopped by the test');
          },
        }),
      ).rejects.toThrow('stopped by the test');
      // Three batches of 3 done in the first column (7 rows: 3 + 3 + 1), then one in the second.
      const cursor = await sql<{ value: string }>`select value from kv where key = ${REWRAP_CURSOR_KEY}`.execute(store.db);
      expect(JSON.parse(cursor.rows[0]!.value)).toEqual({ target: 'k2', column: `${SEALED_COLUMNS[1]!.table}.${SEALED_COLUMNS[1]!.column}`, after: `${SEALED_COLUMNS[1]!.table}-0002` });
      const midway = await countValuesUsingKey(store.db, SEALED_COLUMNS, 'k1');
      expect(midway[0]!.count).toBe(0);
      expect(midway[1]!.count).toBe(PER_COLUMN - 3);
      expect(midway[2]!.count).toBe(PER_COLUMN);

      const report = await rewrapAll(store.db, after, SEALED_COLUMNS, clock, { batchSize: 3, adapterBox: adapterBoxes([k1, k2], clock) });
      expect(report.resumedFrom).toMatchObject({ target: 'k2', after: `${SEALED_COLUMNS[1]!.table}-0002` });
      // The resumed run starts at the stopped column, past the rows already done.
      expect(report.columns[0]).toMatchObject({ column: `${SEALED_COLUMNS[1]!.table}.${SEALED_COLUMNS[1]!.column}`, scanned: PER_COLUMN - 3, resealed: PER_COLUMN - 3 });
      expect(report.columns.slice(1).every((c) => c.resealed === PER_COLUMN && c.failed.length === 0)).toBe(true);

      // The adapters' columns (sealed with the host's box before 2.0) now open only with their own subkeys.
      await expect(openAll(store.db, new SecretBox([k2], clock))).rejects.toMatchObject({ code: 'SECRET_TAMPERED' });
      const values = await openAll(store.db, new SecretBox([k2], clock), adapterBoxes([k2], clock));
      expect(values).toHaveLength(SEALED_COLUMNS.length * PER_COLUMN);
      for (const v of values) expect(v.kid).toBe('k2');
      for (const col of SEALED_COLUMNS) {
        const name = `${col.table}.${col.column}`;
        expect(values.filter((v) => v.column === name).map((v) => v.plaintext)).toEqual(Array.from({ length: PER_COLUMN }, (_, i) => plain(name, i)));
      }
      expect((await countValuesUsingKey(store.db, SEALED_COLUMNS, 'k1')).every((c) => c.count === 0)).toBe(true);
      const left = await sql`select value from kv where key = ${REWRAP_CURSOR_KEY}`.execute(store.db);
      expect(left.rows).toHaveLength(0);
    });

    it('loses no write a host makes between its read and its write-back (conditional update)', async () => {
      const ring = new SecretBox([k1, k2, k3], clock);
      const report = await rewrapAll(store.db, ring, SEALED_COLUMNS, clock, {
        batchSize: 4,
        adapterBox: adapterBoxes([k1, k2, k3], clock),
        onPageRead: async ({ column, keys }) => {
          if (column !== 'factors.secret_enc' || !keys.includes('factors-0001')) return;
          // A host re-enrols this factor meanwhile (it still writes with k2: it has not restarted).
          const fresh = after.encrypt('re-enrolled', totpSecretContext('factors-0001'));
          await sql`update factors set secret_enc = ${fresh} where id = 'factors-0001'`.execute(store.db);
        },
      });
      expect(report.columns.find((c) => c.column === 'factors.secret_enc')).toMatchObject({ changed: 1, resealed: PER_COLUMN - 1 });
      const row = await store.db.selectFrom('factors').select('secret_enc').where('id', '=', 'factors-0001').executeTakeFirstOrThrow();
      expect(ring.decryptText(row.secret_enc!, totpSecretContext('factors-0001'))).toBe('re-enrolled');
      // Still under k2: the next run moves it, and retire k2 would be refused until then.
      expect((await countValuesUsingKey(store.db, SEALED_COLUMNS, 'k2')).find((c) => c.column === 'factors.secret_enc')!.count).toBe(1);
      const again = await rewrapAll(store.db, ring, SEALED_COLUMNS, clock, { batchSize: 4, adapterBox: adapterBoxes([k1, k2, k3], clock) });
      expect(again.columns.reduce((n, c) => n + c.resealed, 0)).toBe(1);
    });

    it('passes over a declared column whose table this store does not have (a plugin that never ran here)', async () => {
      const ghost = { table: 'plugin_never_ran', key: 'id', column: 'secret_enc', context: () => 'x' };
      const report = await rewrapAll(store.db, after, [...SEALED_COLUMNS, ghost], clock, { batchSize: 50, adapterBox: adapterBoxes([k1, k2], clock) });
      expect(report.columns.map((c) => c.column)).not.toContain('plugin_never_ran.secret_enc');
      expect((await countValuesUsingKey(store.db, [ghost], 'k1'))).toEqual([]);
    });

    it('reports a value it cannot open by table and row, leaves it as it was, and goes on', async () => {
      const stranger = new SecretBox([{ id: 'gone', key: randomBytes(32) }], clock);
      const orphan = stranger.encrypt('sealed with a key no longer in the ring', totpSecretContext('factors-0003'));
      await sql`update factors set secret_enc = ${orphan} where id = 'factors-0003'`.execute(store.db);
      const ring4 = [k1, k2, k3, { id: 'k4', key: randomBytes(32) }];
      const k4 = new SecretBox(ring4, clock);
      const report = await rewrapAll(store.db, k4, SEALED_COLUMNS, clock, { batchSize: 50, adapterBox: adapterBoxes(ring4, clock) });
      const factors = report.columns.find((c) => c.column === 'factors.secret_enc')!;
      expect(factors.failed).toEqual([{ key: 'factors-0003', reason: 'unknown key id "gone"' }]);
      expect(JSON.stringify(report)).not.toContain('sealed with a key');
      const row = await store.db.selectFrom('factors').select('secret_enc').where('id', '=', 'factors-0003').executeTakeFirstOrThrow();
      expect(row.secret_enc).toBe(orphan);
      expect((await countValuesUsingKey(store.db, SEALED_COLUMNS, 'gone')).find((c) => c.column === 'factors.secret_enc')!.count).toBe(1);
    });
  });
}

suite('SQLite', async () => {
  const dir = makeTempDir();
  const store = await openStore({ driver: 'sqlite', file: join(dir, 'fg.db') });
  await migrateAdapters(store.db as Kysely<unknown>, builtinAdapters);
  return {
    store,
    async done() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

let pg: TestPostgres | undefined;
suite('PostgreSQL', async () => {
  pg = await startPostgres();
  const store = await openStore({ driver: 'postgres', connectionString: pg.url, poolSize: 4 });
  await migrateAdapters(store.db as Kysely<unknown>, builtinAdapters);
  return {
    store,
    async done() {
      await store.close();
      await pg?.stop();
    },
  };
});
