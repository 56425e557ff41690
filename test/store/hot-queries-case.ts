/**
 * The hot-path statements compiled once (src/store/prepared-query.ts), against a real store:
 * shared by the SQLite and PostgreSQL tests so both dialects run the same assertions.
 */
import { randomBytes } from 'node:crypto';
import type { Request } from 'express';
import { expect } from 'vitest';
import { preparedOn, prepareQuery } from '../../src/store/prepared-query.js';
import type { Store } from '../../src/store/store.js';
import { StoreReplayCache } from '../../src/host/replay-cache.js';
import { AuditLog } from '../../src/audit/audit-log.js';
import { createLogger } from '../../src/audit/logger.js';
import { SessionStore, hashToken } from '../../src/http/sessions.js';
import { CookiePolicy } from '../../src/http/cookies.js';
import { ManualClock } from '../../src/kit/clock.js';
import { UserRepository } from '../../src/users/user-repository.js';
import { FactorgateError } from '../../src/kit/errors.js';

export async function checkPreparedQuery(store: Store): Promise<void> {
  const { db } = store;
  const upsert = prepareQuery<{ key: string; value: string; at: number }, unknown>(db, (q, p) =>
    q
      .insertInto('kv')
      .values({ key: p('key'), value: p('value'), updated_at: p('at') })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value: p('value'), updated_at: p('at') })),
  );
  // Constants of the shape stay as they were compiled; named parameters change per run.
  const read = prepareQuery<{ prefix: string }, { key: string; value: string; updated_at: number }>(db, (q, p) =>
    q.selectFrom('kv').selectAll().where('key', '>=', p('prefix')).where('value', '<>', 'hidden').orderBy('key').limit(10),
  );
  expect(upsert.sql).not.toContain('pq-a');
  await upsert.run({ key: 'pq-a', value: 'one', at: 1 });
  await upsert.run({ at: 2, value: 'two', key: 'pq-b' });
  await upsert.run({ key: 'pq-c', value: 'hidden', at: 3 });
  const upd = await upsert.run({ key: 'pq-a', value: 'three', at: 4 });
  expect(Number(upd.numAffectedRows)).toBe(1);
  expect((await read.run({ prefix: 'pq-' })).rows).toEqual([
    { key: 'pq-a', value: 'three', updated_at: 4 },
    { key: 'pq-b', value: 'two', updated_at: 2 },
  ]);
  expect((await read.run({ prefix: 'pq-b' })).rows.map((r) => r.key)).toEqual(['pq-b']);
  await expect(upsert.run({ key: 'pq-d', value: 'x' } as never)).rejects.toThrow(FactorgateError);
  expect(await db.selectFrom('kv').select('key').where('key', '=', 'pq-d').executeTakeFirst()).toBeUndefined();

  // preparedOn: compiled once per handle and name, then reused; a transaction's handle gets its own,
  // and a statement run on it is part of that transaction (rolled back with it).
  let builds = 0;
  const byKey = (h: typeof db) =>
    preparedOn<{ key: string }, { value: string }>(h, 'pq value by key', (q, p) => {
      builds++;
      return q.selectFrom('kv').select('value').where('key', '=', p('key'));
    });
  expect(byKey(db)).toBe(byKey(db));
  expect(builds).toBe(1);
  expect((await byKey(db).run({ key: 'pq-b' })).rows).toEqual([{ value: 'two' }]);
  expect((await byKey(db).run({ key: 'pq-a' })).rows).toEqual([{ value: 'three' }]);
  const setValue = (h: typeof db) => preparedOn<{ key: string; value: string }, unknown>(h, 'pq set value', (q, p) => q.updateTable('kv').set({ value: p('value') }).where('key', '=', p('key')));
  await db
    .transaction()
    .execute(async (trx) => {
      expect(byKey(trx)).not.toBe(byKey(db));
      expect(Number((await setValue(trx).run({ key: 'pq-b', value: 'in-trx' })).numAffectedRows)).toBe(1);
      expect((await byKey(trx).run({ key: 'pq-b' })).rows).toEqual([{ value: 'in-trx' }]);
      throw new Error('roll back');
    })
    .catch((err: unknown) => expect((err as Error).message).toBe('roll back'));
  expect((await byKey(db).run({ key: 'pq-b' })).rows).toEqual([{ value: 'two' }]);
}

export async function checkHotQueries(store: Store): Promise<void> {
  const clock = new ManualClock(Date.UTC(2026, 6, 1));
  const users = new UserRepository(store.db, clock);
  const ada = await users.upsertFromDirectory({ externalId: 'hq-ada', username: 'HQ-Ada', email: 'ada@example.test', groups: ['Staff'], disabled: false }, 'test');
  expect(await users.findByUsername('hq-ADA')).toEqual(ada);
  expect(await users.findById(ada.id)).toEqual(ada);
  expect(await users.findById('no-such-id')).toBeNull();

  // Replay cache: the first use wins, a live repeat is refused, an expired entry is taken over.
  const replay = new StoreReplayCache(store.db, clock);
  expect(await replay.markUsed('hq', 'req-1', clock.now() + 1000)).toBe(true);
  expect(await replay.markUsed('hq', 'req-1', clock.now() + 1000)).toBe(false);
  expect(await replay.markUsed('hq-other', 'req-1', clock.now() + 1000)).toBe(true);
  clock.advance(1000);
  expect(await replay.markUsed('hq', 'req-1', clock.now() + 1000)).toBe(true);
  expect(await replay.markUsed('hq', 'req-1', clock.now() + 1000)).toBe(false);

  // Audit: every column written as given.
  const audit = new AuditLog(store.db, clock, createLogger({ level: 'silent' }));
  await audit.record({ event: 'hq-event', result: 'failure', user: ada, method: 'totp', denyReason: 'WRONG_CODE', clientIp: '192.0.2.7', adapter: 'saml-idp', relyingParty: 'rp-1', challengeId: 'ch-1', deviceToken: 'dev-1', detail: 'd' });
  await audit.record({ event: 'hq-event', result: 'success', username: 'nobody' });
  const rows = await store.db.selectFrom('audit_events').selectAll().where('event', '=', 'hq-event').orderBy('result').execute();
  expect(rows).toMatchObject([
    { user_id: ada.id, username: 'hq-ada', email: 'ada@example.test', method: 'totp', result: 'failure', deny_reason: 'WRONG_CODE', client_ip: '192.0.2.7', adapter: 'saml-idp', relying_party: 'rp-1', challenge_id: 'ch-1', device_token: 'dev-1', detail: 'd', ts: clock.now() },
    { user_id: null, username: 'nobody', method: null, result: 'success', deny_reason: null, detail: null },
  ]);
  expect(rows[0]!.id).not.toBe(rows[1]!.id);

  // Session: read with its user in one go; expired and idle sessions are dropped; a disabled user's refused.
  const sessions = new SessionStore(store.db, clock, new CookiePolicy('http://localhost'), 3600_000, 600_000);
  const token = randomBytes(32).toString('base64url');
  const data = JSON.stringify({ methods: ['totp'], multiFactor: true, authnInstant: clock.now(), data: { x: 1 } });
  await store.db.insertInto('sessions').values({ id: hashToken(token), user_id: ada.id, data, created_at: clock.now(), last_seen_at: clock.now(), expires_at: clock.now() + 3600_000 }).execute();
  const req = { headers: { cookie: `fg_session=${token}` } } as Request;
  const s = await sessions.get(req);
  expect(s).toMatchObject({ id: hashToken(token), userId: ada.id, methods: ['totp'], multiFactor: true, data: { x: 1 }, identity: null, expiresAt: clock.now() + 3600_000 });
  expect(s!.user).toEqual(ada);
  clock.advance(120_000);
  await sessions.get(req); // touched: seen again more than a minute later
  expect((await store.db.selectFrom('sessions').select('last_seen_at').where('id', '=', hashToken(token)).executeTakeFirstOrThrow()).last_seen_at).toBe(clock.now());
  await store.db.updateTable('users').set({ disabled: 1 }).where('id', '=', ada.id).execute();
  expect(await sessions.get(req)).toBeNull();
  await store.db.updateTable('users').set({ disabled: 0 }).where('id', '=', ada.id).execute();
  clock.advance(600_000);
  expect(await sessions.get(req)).toBeNull();
  expect(await store.db.selectFrom('sessions').select('id').where('id', '=', hashToken(token)).executeTakeFirst()).toBeUndefined();
  expect(await sessions.get({ headers: { cookie: `fg_session=${randomBytes(32).toString('base64url')}` } } as Request)).toBeNull();

  // The sign-in's refresh from the directory (compiled per set of columns, run in its transaction):
  // by external id, then by sign-in name when the id changed; a directory without groups keeps them.
  clock.advance(1000);
  expect(await users.upsertFromDirectory({ externalId: 'hq-ada', username: 'HQ-Ada', email: 'ada2@example.test', groups: ['Staff', 'Ops'], disabled: false }, 'test')).toMatchObject({ id: ada.id, email: 'ada2@example.test', groups: ['Staff', 'Ops'] });
  expect(await users.upsertFromDirectory({ externalId: 'hq-ada-moved', username: 'hq-ada', email: 'ada3@example.test', disabled: false }, 'test')).toMatchObject({ id: ada.id, externalId: 'hq-ada-moved' });
  expect(await users.findById(ada.id)).toMatchObject({ externalId: 'hq-ada-moved', email: 'ada3@example.test', groups: ['Staff', 'Ops'] });
  const stored = await store.db.selectFrom('users').select(['updated_at', 'last_sign_in_at', 'source']).where('id', '=', ada.id).executeTakeFirstOrThrow();
  expect(stored).toEqual({ updated_at: clock.now(), last_sign_in_at: clock.now(), source: 'test' });
}
