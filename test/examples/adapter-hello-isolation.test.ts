/**
 * What keeps the example plugin (examples/adapter-hello, loaded from its source as a plugin's
 * code) to itself on a real host: its database handle refuses another adapter's table (and raw
 * SQL) with FORBIDDEN before anything runs, its secret box opens none of another adapter's sealed
 * values (SECRET_TAMPERED, whatever context it names), its keyed state does not see the other's
 * keys, and its view of the host carries no raw store, configuration or host-wide secret box.
 */
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import helloPlugin from '../../examples/adapter-hello/src/index.js';
import type { AdapterDefinition, HostApi } from '../../src/api/host-api.js';
import { isFactorgateError } from '../../src/kit/errors.js';
import { startHost, type RunningHost } from '../support/host-harness.js';

interface NotesTables {
  notes_private: { id: string; body: string };
}

const seen: { hello?: HostApi<unknown>; notes?: HostApi<NotesTables> } = {};

/** The example as the host loads it, keeping the view of the host it is given. */
const hello: AdapterDefinition = {
  ...helloPlugin,
  create(host, config) {
    seen.hello = host;
    return helloPlugin.create(host as never, config as never);
  },
};

/** Another plugin with a table and sealed values of its own. */
const notes: AdapterDefinition<{ note: string }, NotesTables> = {
  name: 'notes',
  configKey: 'notes',
  mountPath: '/notes',
  hostApi: '^2.0',
  configSchema: z.strictObject({ note: z.string().default('the note') }),
  migrations: {
    '001-private': { up: (db) => db.schema.createTable('notes_private').addColumn('id', 'text', (c) => c.primaryKey()).addColumn('body', 'text', (c) => c.notNull()).execute() },
  },
  async create(host) {
    seen.notes = host;
    return { async resume() {} };
  },
};

let h: RunningHost;
let sealedNote: string;

async function refusal(run: () => Promise<unknown>): Promise<{ code: string; detail: string }> {
  try {
    await run();
  } catch (err) {
    if (isFactorgateError(err)) return { code: err.code, detail: String(err.detail) };
    throw err;
  }
  throw new Error('expected a refusal');
}

beforeAll(async () => {
  h = await startHost({ adapters: [hello, notes], config: { adapters: { hello: {}, notes: {} } } });
  await seen.notes!.db.insertInto('notes_private').values({ id: 'n1', body: 'private to notes' }).execute();
  sealedNote = seen.notes!.secrets.encrypt('sealed by notes', 'notes:note:n1');
  await seen.notes!.state.put('shared-looking-key', { owner: 'notes' }, 60_000);
});

afterAll(async () => h?.close());

describe('the example plugin cannot reach another adapter', () => {
  it('its handle refuses the other adapter table, a core table and raw SQL with FORBIDDEN, before any query runs', async () => {
    const db = seen.hello!.db as Kysely<Record<string, Record<string, unknown>>>;
    expect(await refusal(() => db.selectFrom('notes_private').selectAll().execute())).toEqual({
      code: 'FORBIDDEN',
      detail: 'adapter hello may only use its own tables (hello_*): table notes_private',
    });
    expect(await refusal(() => db.selectFrom('users').selectAll().execute())).toMatchObject({ code: 'FORBIDDEN', detail: expect.stringContaining('table users') });
    expect(await refusal(() => db.deleteFrom('notes_private').execute())).toMatchObject({ code: 'FORBIDDEN' });
    expect(await refusal(() => sql`select body from notes_private`.execute(db))).toMatchObject({ code: 'FORBIDDEN', detail: expect.stringContaining('raw SQL') });
    // The row is there and the owner reads it: the refusal is the handle's, not an empty table.
    expect(await seen.notes!.db.selectFrom('notes_private').select('body').execute()).toEqual([{ body: 'private to notes' }]);
    // Its own table it does reach.
    expect(await (db as Kysely<Record<string, Record<string, unknown>>>).selectFrom('hello_visits').selectAll().execute()).toEqual([]);
  });

  it('its secret box cannot open a value the other adapter sealed, under the right context or any other', () => {
    expect(seen.notes!.secrets.decryptText(sealedNote, 'notes:note:n1')).toBe('sealed by notes');
    for (const context of ['notes:note:n1', 'hello:note:n1', '']) {
      expect(() => seen.hello!.secrets.decrypt(sealedNote, context)).toThrow(expect.objectContaining({ code: 'SECRET_TAMPERED' }));
    }
    // Nor can the host's own box: the value is under the notes adapter's subkeys alone.
    expect(() => h.host.api.secrets.decrypt(sealedNote, 'notes:note:n1')).toThrow(expect.objectContaining({ code: 'SECRET_TAMPERED' }));
    // And the other way round.
    const mine = seen.hello!.secrets.encrypt('sealed by hello', 'hello:x');
    expect(() => seen.notes!.secrets.decrypt(mine, 'hello:x')).toThrow(expect.objectContaining({ code: 'SECRET_TAMPERED' }));
    // Derived keys differ per adapter for the same purpose.
    expect(seen.hello!.secrets.deriveKey('p').equals(seen.notes!.secrets.deriveKey('p'))).toBe(false);
  });

  it('its keyed state does not see the other adapter keys', async () => {
    expect(await seen.notes!.state.get('shared-looking-key')).toEqual({ owner: 'notes' });
    expect(await seen.hello!.state.get('shared-looking-key')).toBeNull();
    expect(await seen.hello!.state.take('shared-looking-key')).toBeNull();
    expect(await seen.notes!.state.get('shared-looking-key')).toEqual({ owner: 'notes' });
  });

  it('its view of the host has no raw store, no configuration and no host-wide secret box, even at run time', () => {
    const view = seen.hello! as unknown as Record<string, unknown>;
    for (const removed of ['store', 'config']) expect(view[removed], removed).toBeUndefined();
    expect(view.secrets).not.toBe(h.host.api.secrets);
    expect(Object.isFrozen(view)).toBe(true);
    expect(seen.hello!.version).toBe('2.2.0');
    expect(seen.hello!.server).toEqual({
      listen: { host: '127.0.0.1', port: Number(new URL(h.url).port) },
      trustedProxies: [],
      defaultLocale: 'en',
      challengeTtlMs: h.host.config.challenge.ttlSeconds * 1000,
      outsideGroup: 'deny',
    });
  });
});
