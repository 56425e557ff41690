import { join } from 'node:path';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/store.js';
import { migrations } from '../../src/store/migrations/index.js';
import { FactorgateError } from '../../src/kit/errors.js';
import { makeTempDir } from '../support/host-harness.js';

describe('SQLite store', () => {
  it('runs every migration at start, in WAL mode with foreign keys on, and reopens idempotently', async () => {
    const file = join(makeTempDir(), 'nested', 'fg.db');
    const store = await openStore({ driver: 'sqlite', file });
    const applied = await store.db.selectFrom('kysely_migration' as never).select('name' as never).execute();
    expect(applied.map((r) => (r as { name: string }).name)).toEqual(Object.keys(migrations).sort());
    const mode = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(store.db);
    expect(mode.rows[0]?.journal_mode).toBe('wal');
    const fk = await sql<{ foreign_keys: number }>`pragma foreign_keys`.execute(store.db);
    expect(fk.rows[0]?.foreign_keys).toBe(1);
    // A factor for a user that does not exist is refused (foreign key).
    await expect(
      store.db.insertInto('factors').values({ id: 'f', user_id: 'nobody', kind: 'totp', label: null, secret_enc: null, params: '{}', is_default: 0, confirmed: 0, last_used_step: null, created_at: 1, last_used_at: null }).execute(),
    ).rejects.toThrow(/FOREIGN KEY/);
    await store.close();
    const again = await openStore({ driver: 'sqlite', file });
    await again.ping();
    await again.close();
  });

  it('fails with a clear STORE_ERROR when the data folder cannot be created', async () => {
    const err = await openStore({ driver: 'sqlite', file: '/dev/null/fg/fg.db' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FactorgateError);
    expect((err as FactorgateError).code).toBe('STORE_ERROR');
    expect((err as FactorgateError).detail).toMatch(/data folder \/dev\/null\/fg is not writable/);
  });
});
