/**
 * Adapter-owned state on both stores: the forms proxy's and the bridge's tables moved out of the
 * core keep their rows on upgrade; an adapter's handle reaches its own tables only; its
 * migrations are recorded per adapter and cannot create another's tables; the keyed state's
 * `take` is single-use under a race; the sweep deletes what adapters declare.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql, type Migration } from 'kysely';
import SQLite from 'better-sqlite3';
import pino from 'pino';
import { migrations as coreMigrations } from '../../src/store/migrations/index.js';
import { openStore, type Store, type StoreOptions } from '../../src/store/store.js';
import { migrateAdapter, migrateAdapters } from '../../src/store/adapter/adapter-migrations.js';
import { OwnTablesOnly } from '../../src/store/adapter/own-tables-only.js';
import { keyedState } from '../../src/store/adapter/keyed-state.js';
import { CORE_EXPIRY, sweepExpired } from '../../src/host/sweep-expired.js';
import { ManualClock } from '../../src/kit/clock.js';
import { builtinAdapters } from '../../adapters/index.js';
import { legacy007, legacy008 } from './fixtures/legacy-adapter-migrations.js';
import { makeTempDir } from '../support/host-harness.js';
import { startPostgres, type TestPostgres } from '../support/postgres.js';

const NOW = Date.UTC(2026, 0, 1);
const silent = pino({ level: 'silent' });

/** The core migrations as released before the move (007 and 008 still creating the adapters' tables). */
function releasedMigrations(): Record<string, Migration> {
  const out: Record<string, Migration> = {};
  for (const [name, m] of Object.entries(coreMigrations)) {
    if (name >= '016') continue;
    out[name] = name === '007-forms-proxy' ? legacy007 : name === '008-saml-bridge' ? legacy008 : m;
  }
  return out;
}

async function buildReleasedStore(db: Kysely<unknown>): Promise<void> {
  const migrator = new Migrator({ db, provider: { getMigrations: () => Promise.resolve(releasedMigrations()) }, allowUnorderedMigrations: true });
  const { error } = await migrator.migrateToLatest();
  if (error) throw error;
  await sql`insert into users (id, username, source, disabled, failed_attempts, created_at, updated_at) values ('u1', 'alice', 'file', 0, 0, ${NOW}, ${NOW})`.execute(db);
  await sql`insert into forms_proxy_pending (id, app, username, bind_hash, held_kind, held_enc, state, created_at, expires_at) values ('p1', 'wiki', 'alice', 'b', 'reply', 'fg1.x.y.z', 'held', ${NOW}, ${NOW + 60_000})`.execute(db);
  await sql`insert into forms_proxy_sessions (id, app, user_id, methods, created_at, last_seen_at, expires_at) values ('s1', 'wiki', 'u1', '["totp"]', ${NOW}, ${NOW}, ${NOW + 3_600_000})`.execute(db);
  await sql`insert into saml_bridge_requests (id, upstream, browser_hash, payload_enc, created_at, expires_at) values ('r1', 'corp', 'h', 'fg1.a.b.c', ${NOW}, ${NOW + 60_000})`.execute(db);
}

function suite(name: string, open: () => Promise<{ options: StoreOptions; raw: () => Kysely<unknown> }>): void {
  describe(`adapter state on ${name}`, () => {
    let store: Store;

    beforeAll(async () => {
      const { options, raw } = await open();
      const legacy = raw();
      await buildReleasedStore(legacy);
      await legacy.destroy();
      store = await openStore(options);
      await migrateAdapters(store.db as Kysely<unknown>, builtinAdapters);
    });
    afterAll(async () => {
      await store?.close();
    });

    it('keeps the forms proxy and bridge rows made by the released core migrations after the upgrade', async () => {
      const db = store.db as Kysely<unknown>;
      expect((await sql<{ id: string }>`select id from forms_proxy_pending`.execute(db)).rows).toEqual([{ id: 'p1' }]);
      expect((await sql<{ id: string; user_id: string }>`select id, user_id from forms_proxy_sessions`.execute(db)).rows).toEqual([{ id: 's1', user_id: 'u1' }]);
      expect((await sql<{ id: string; payload_enc: string }>`select id, payload_enc from saml_bridge_requests`.execute(db)).rows).toEqual([{ id: 'r1', payload_enc: 'fg1.a.b.c' }]);
      // Recorded per adapter, under the adapter's own prefix.
      expect((await sql<{ name: string }>`select name from forms_proxy_migrations`.execute(db)).rows.map((r) => r.name)).toEqual(['001-tables']);
      expect((await sql<{ name: string }>`select name from saml_bridge_migrations`.execute(db)).rows.map((r) => r.name)).toEqual(['001-requests']);
      // The user-delete cascade made by the released migration still holds.
      await sql`delete from users where id = 'u1'`.execute(db);
      expect((await sql`select id from forms_proxy_sessions`.execute(db)).rows).toHaveLength(0);
    });

    it('gives an adapter a handle to its own tables only', async () => {
      const own = (store.db as Kysely<unknown>).withPlugin(new OwnTablesOnly('forms-proxy')) as unknown as Kysely<Record<string, { id: string }>>;
      expect(await own.selectFrom('forms_proxy_pending').select('id').execute()).toEqual([{ id: 'p1' }]);
      await expect(own.selectFrom('users').select('id').execute()).rejects.toMatchObject({ code: 'FORBIDDEN', detail: expect.stringContaining('table users') });
      await expect(own.selectFrom('saml_bridge_requests').select('id').execute()).rejects.toMatchObject({ code: 'FORBIDDEN' });
      // Reached through a join or a subquery, or written as raw SQL, it is refused all the same.
      await expect(
        own
          .selectFrom('forms_proxy_pending')
          .where('id', 'in', (eb) => eb.selectFrom('sessions').select('id'))
          .selectAll()
          .execute(),
      ).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(sql`select * from users`.execute(own)).rejects.toMatchObject({ code: 'FORBIDDEN', detail: expect.stringContaining('raw SQL') });
    });

    it('refuses an adapter migration that touches a table outside its prefix, and records nothing', async () => {
      const db = store.db as Kysely<unknown>;
      await expect(
        migrateAdapter(db, 'hello', {
          '001-steal': { up: (m) => m.schema.createTable('users_copy').addColumn('id', 'text').execute() },
        }),
      ).rejects.toMatchObject({ code: 'STORE_ERROR', detail: expect.stringContaining('adapter hello: migration 001-steal failed') });
      expect(await db.introspection.getTables().then((t) => t.map((x) => x.name))).not.toContain('users_copy');
      expect((await sql`select name from hello_migrations`.execute(db)).rows).toHaveLength(0);
      expect(await migrateAdapter(db, 'hello', { '001-counter': { up: (m) => m.schema.createTable('hello_counter').addColumn('n', 'integer').execute() } })).toEqual(['001-counter']);
      expect(await migrateAdapter(db, 'hello', { '001-counter': { up: () => Promise.reject(new Error('ran twice')) } })).toEqual([]);
    });

    it('keyed state: per adapter, expiring, and take is single-use under a race', async () => {
      const clock = new ManualClock(NOW);
      const a = keyedState(store.db, 'adapter-a', clock);
      const b = keyedState(store.db, 'adapter-b', clock);
      await a.put('k', { n: 1 }, 60_000);
      expect(await a.get('k')).toEqual({ n: 1 });
      expect(await b.get('k')).toBeNull();
      await b.put('k', 'b-value', 60_000);
      expect(await a.get('k')).toEqual({ n: 1 });

      const takes = await Promise.all(Array.from({ length: 20 }, () => a.take<{ n: number }>('k')));
      expect(takes.filter((t) => t !== null)).toEqual([{ n: 1 }]);
      expect(await b.get('k')).toBe('b-value');

      await a.put('short', 1, 1000);
      clock.advance(1001);
      expect(await a.get('short')).toBeNull();
      expect(await a.take('short')).toBeNull();
      await a.delete('short');
    });

    it('sweeps the expired rows adapters declare through their own handles, and the core tables', async () => {
      const clock = new ManualClock(NOW + 2 * 3_600_000);
      const db = store.db as Kysely<unknown>;
      await sql`insert into saml_bridge_requests (id, upstream, browser_hash, payload_enc, created_at, expires_at) values ('r2', 'corp', 'h', 'x', ${NOW}, ${NOW + 10 * 3_600_000})`.execute(db);
      await keyedState(store.db, 'adapter-c', new ManualClock(NOW)).put('old', 1, 1000);
      const bridge = builtinAdapters.find((d) => d.name === 'saml-bridge')!;
      const deleted = await sweepExpired(
        [
          { owner: 'core', db, rules: CORE_EXPIRY },
          { owner: 'saml-bridge', db: db.withPlugin(new OwnTablesOnly('saml-bridge')), rules: bridge.expiry! },
          // A declaration naming another adapter's table is refused by the handle: nothing deleted, a log line.
          { owner: 'rogue', db: db.withPlugin(new OwnTablesOnly('rogue')), rules: [{ table: 'forms_proxy_pending', column: 'expires_at' }] },
        ],
        clock,
        silent,
      );
      expect(deleted).toBeGreaterThanOrEqual(2);
      expect((await sql<{ id: string }>`select id from saml_bridge_requests`.execute(db)).rows).toEqual([{ id: 'r2' }]);
      expect((await sql`select key from adapter_state where adapter = 'adapter-c'`.execute(db)).rows).toHaveLength(0);
      expect((await sql`select id from forms_proxy_pending`.execute(db)).rows).toHaveLength(1);
    });
  });
}

suite('SQLite', async () => {
  const file = join(makeTempDir(), 'fg.db');
  return { options: { driver: 'sqlite', file }, raw: () => new Kysely<unknown>({ dialect: new SqliteDialect({ database: new SQLite(file) }) }) };
});

describe('on PostgreSQL', () => {
  let pg: TestPostgres;
  beforeAll(async () => {
    pg = await startPostgres();
  });
  afterAll(async () => {
    await pg?.stop();
  });
  suite('PostgreSQL', async () => {
    const { default: pgLib } = await import('pg');
    return {
      options: { driver: 'postgres', connectionString: pg.url, poolSize: 4 },
      raw: () => new Kysely<unknown>({ dialect: new PostgresDialect({ pool: new pgLib.Pool({ connectionString: pg.url, max: 2 }) }) }),
    };
  });
});
