/**
 * The importer's rules on an in-memory directory: matching, idempotence, conflicts, batches
 * that are all-or-nothing, and disabling (never deleting) users who left.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/store.js';
import { ManualClock } from '../../src/kit/clock.js';
import { foldUsername, importUsers } from '../../src/directory/import-users.js';
import { MemoryDirectory, makeUser } from '../support/ldap-memory-directory.js';

let store: Store;
const clock = new ManualClock();

beforeEach(async () => {
  store = await openStore({ driver: 'sqlite', file: ':memory:' });
});
afterEach(async () => {
  await store.close();
});

const users = () => store.db.selectFrom('users').selectAll().orderBy('username').execute();

describe('importUsers', () => {
  it('adds users with time-ordered ids, then finds nothing to do on a second run', async () => {
    const dir = new MemoryDirectory([makeUser(1), makeUser(2, { email: undefined, phone: '+4930123' })]);
    expect(await importUsers({ directory: dir, db: store.db, clock })).toMatchObject({ added: 2, updated: 0, unchanged: 0, disabled: 0, errors: 0, swept: true });
    const rows = await users();
    // UUIDv7 (RFC 9562 §5.7): version 7, variant 10, the first 48 bits the import's clock in ms;
    // distinct ids of one millisecond, in the order they were written.
    for (const r of rows) {
      expect(r.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(parseInt(r.id.slice(0, 8) + r.id.slice(9, 13), 16)).toBe(clock.now());
    }
    expect(rows[0]!.id < rows[1]!.id).toBe(true);
    expect(rows[1]).toMatchObject({ username: 'user2', email: null, phone: '+4930123', source: 'ldap', disabled: 0 });
    clock.advance(1000);
    expect(await importUsers({ directory: dir, db: store.db, clock })).toMatchObject({ added: 0, updated: 0, unchanged: 2, disabled: 0 });
    expect((await users()).map((r) => r.updated_at)).toEqual(rows.map((r) => r.updated_at));
  });

  it('gives the users of one millisecond ids that ascend in write order over two batches, each with its own random part', async () => {
    const listed = Array.from({ length: 300 }, (_, i) => makeUser(i + 1));
    expect(await importUsers({ directory: new MemoryDirectory(listed), db: store.db, clock, batchSize: 150 })).toMatchObject({ added: 300 });
    const byExternalId = new Map((await users()).map((r) => [r.external_id, r.id]));
    const ids = listed.map((u) => byExternalId.get(u.externalId)!);
    for (const [k, id] of ids.entries()) {
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(clock.now());
      // Within a batch, written in listing order: the counter after the millisecond goes up by one.
      if (k % 150 !== 0) expect(id > ids[k - 1]!, `id ${k}`).toBe(true);
    }
    // The last 40 bits are random: no two alike, and not a counter either.
    const tails = new Set(ids.map((id) => id.slice(-10)));
    expect(tails.size).toBe(300);
    expect(ids.filter((id, k) => k > 0 && parseInt(id.slice(-10), 16) === parseInt(ids[k - 1]!.slice(-10), 16) + 1)).toHaveLength(0);
  });

  it('stores sign-in names case-folded with NFKC', async () => {
    expect(foldUsername('ＪＤｏｅ')).toBe('jdoe');
    await importUsers({ directory: new MemoryDirectory([makeUser(1, { username: 'ＪＤｏｅ' })]), db: store.db, clock });
    expect((await users())[0]!.username).toBe('jdoe');
  });

  it('updates changed attributes and follows a rename by external id', async () => {
    const dir = new MemoryDirectory([makeUser(1)]);
    await importUsers({ directory: dir, db: store.db, clock });
    const before = (await users())[0]!;
    dir.users = [makeUser(1, { username: 'renamed', email: 'new@corp.example' })];
    expect(await importUsers({ directory: dir, db: store.db, clock })).toMatchObject({ updated: 1 });
    const after = (await users())[0]!;
    expect(after).toMatchObject({ id: before.id, username: 'renamed', email: 'new@corp.example' });
  });

  it('adopts a row that has the same sign-in name and no directory id', async () => {
    const id = randomUUID();
    await store.db
      .insertInto('users')
      .values({ id, username: 'user1', external_id: null, source: 'file', disabled: 0, failed_attempts: 0, created_at: 1, updated_at: 1 })
      .execute();
    expect(await importUsers({ directory: new MemoryDirectory([makeUser(1, { username: 'USER1' })]), db: store.db, clock })).toMatchObject({ added: 0, updated: 1 });
    expect((await users())[0]).toMatchObject({ id, source: 'ldap', external_id: makeUser(1).externalId });
  });

  it('refuses a sign-in name that belongs to another directory identity', async () => {
    await importUsers({ directory: new MemoryDirectory([makeUser(1)]), db: store.db, clock });
    const summary = await importUsers({ directory: new MemoryDirectory([makeUser(1), makeUser(2, { username: 'User1' })]), db: store.db, clock });
    expect(summary).toMatchObject({ errors: 1, unchanged: 1, added: 0 });
  });

  it('disables users the directory no longer returns, keeps their factors, and re-enables them when they return', async () => {
    const dir = new MemoryDirectory([makeUser(1), makeUser(2)]);
    await importUsers({ directory: dir, db: store.db, clock });
    const gone = (await users()).find((r) => r.username === 'user2')!;
    await store.db
      .insertInto('factors')
      .values({ id: randomUUID(), user_id: gone.id, kind: 'totp', label: 'phone', secret_enc: 'x', params: '{}', is_default: 1, confirmed: 1, last_used_step: null, created_at: 1, last_used_at: null })
      .execute();
    dir.users = [makeUser(1)];
    expect(await importUsers({ directory: dir, db: store.db, clock })).toMatchObject({ disabled: 1, unchanged: 1 });
    expect((await users()).find((r) => r.id === gone.id)).toMatchObject({ disabled: 1 });
    expect(await store.db.selectFrom('factors').selectAll().where('user_id', '=', gone.id).execute()).toHaveLength(1);
    // Another run does not count them again.
    expect(await importUsers({ directory: dir, db: store.db, clock })).toMatchObject({ disabled: 0 });
    dir.users = [makeUser(1), makeUser(2)];
    expect(await importUsers({ directory: dir, db: store.db, clock })).toMatchObject({ updated: 1 });
    expect((await users()).find((r) => r.id === gone.id)).toMatchObject({ disabled: 0 });
  });

  it('leaves users of other sources alone', async () => {
    await store.db
      .insertInto('users')
      .values({ id: randomUUID(), username: 'local', external_id: null, source: 'file', disabled: 0, failed_attempts: 0, created_at: 1, updated_at: 1 })
      .execute();
    await importUsers({ directory: new MemoryDirectory([makeUser(1)]), db: store.db, clock });
    expect((await users()).find((r) => r.username === 'local')).toMatchObject({ disabled: 0 });
  });

  it('does not disable anyone when only one base was imported', async () => {
    const dir = new MemoryDirectory([makeUser(1), makeUser(2)]);
    await importUsers({ directory: dir, db: store.db, clock });
    dir.users = [makeUser(1)];
    expect(await importUsers({ directory: dir, db: store.db, clock, base: 'ou=Sales,dc=corp,dc=example' })).toMatchObject({ disabled: 0, swept: false });
  });

  it('writes nothing in a dry run but reports what it would do', async () => {
    const dir = new MemoryDirectory([makeUser(1), makeUser(2)]);
    await importUsers({ directory: dir, db: store.db, clock });
    dir.users = [makeUser(1, { email: 'changed@corp.example' }), makeUser(3)];
    const before = await users();
    expect(await importUsers({ directory: dir, db: store.db, clock, dryRun: true })).toMatchObject({ added: 1, updated: 1, disabled: 1, dryRun: true });
    expect(await users()).toEqual(before);
  });

  it('leaves only complete batches when the directory fails mid-listing, and disables nobody', async () => {
    const dir = new MemoryDirectory(Array.from({ length: 1000 }, (_, i) => makeUser(i)));
    await importUsers({ directory: new MemoryDirectory([makeUser(5000)]), db: store.db, clock });
    dir.failAfter = 734;
    await expect(importUsers({ directory: dir, db: store.db, clock, batchSize: 100 })).rejects.toThrow('mid-way');
    const rows = await users();
    // 7 full batches of 100 plus the earlier user; the 34 users of the broken batch are absent.
    expect(rows).toHaveLength(701);
    expect(rows.every((r) => r.disabled === 0 && r.external_id !== null && r.email !== null && r.surname !== null)).toBe(true);
    // The next complete run finishes the job.
    dir.failAfter = undefined;
    expect(await importUsers({ directory: dir, db: store.db, clock, batchSize: 100 })).toMatchObject({ added: 300, unchanged: 700, disabled: 1 });
  });

  it('rolls a whole batch back when a write in it fails', async () => {
    const dir = new MemoryDirectory(Array.from({ length: 10 }, (_, i) => makeUser(i)));
    // A trigger that fails on the 7th insert stands in for a crash mid-transaction.
    const { sql } = await import('kysely');
    await sql`create trigger boom before insert on users when new.username = 'user6' begin select raise(abort, 'boom'); end`.execute(store.db);
    await expect(importUsers({ directory: dir, db: store.db, clock, batchSize: 5 })).rejects.toThrow('boom');
    expect((await users()).map((r) => r.username)).toEqual(['user0', 'user1', 'user2', 'user3', 'user4']);
  });

  it('writes every row with its own values when insert statements are reused across chunks and batches', async () => {
    // 2 × 300 + 150 users: chunks of 256, 32, 8 and 4 rows, then 128, 16, 4 and 2; the SQL of
    // each size is compiled once and run again with the next rows' values.
    const all = Array.from({ length: 750 }, (_, i) =>
      makeUser(i, { displayName: `User ${i}`, phone: i % 3 === 0 ? `+49${i}` : undefined, disabled: i % 7 === 0, email: i % 5 === 0 ? undefined : `user${i}@corp.example` }),
    );
    expect(await importUsers({ directory: new MemoryDirectory(all), db: store.db, clock, batchSize: 300 })).toMatchObject({ added: 750, errors: 0 });
    const byName = new Map((await users()).map((r) => [r.username, r]));
    expect(byName.size).toBe(750);
    for (const u of all) {
      expect(byName.get(u.username)).toMatchObject({
        external_id: u.externalId,
        display_name: u.displayName,
        surname: u.surname,
        email: u.email ?? null,
        phone: u.phone ?? null,
        disabled: u.disabled ? 1 : 0,
        source: 'ldap',
      });
    }
    expect(new Set([...byName.values()].map((r) => r.id)).size).toBe(750);
  });

  it('disables exactly the users missing from a listing longer than the seen-id buffer', async () => {
    const all = Array.from({ length: 9000 }, (_, i) => makeUser(i));
    await importUsers({ directory: new MemoryDirectory(all), db: store.db, clock });
    const gone = new Set([0, 4095, 4096, 4097, 8191, 8192, 8999]);
    const dir = new MemoryDirectory(all.filter((_, i) => !gone.has(i)));
    expect(await importUsers({ directory: dir, db: store.db, clock })).toMatchObject({ unchanged: 9000 - gone.size, disabled: gone.size });
    const disabled = (await users()).filter((r) => r.disabled === 1).map((r) => r.username);
    expect(disabled.sort()).toEqual([...gone].map((i) => `user${i}`).sort());
    // A dry run counts the same way, through the same buffer.
    expect(await importUsers({ directory: new MemoryDirectory(all), db: store.db, clock, dryRun: true })).toMatchObject({ updated: gone.size, disabled: 0 });
  });
});
