/**
 * Issue 16 item 2: the lockout holds under concurrency. Fifty wrong codes fired at once, through
 * two hosts sharing one store, are judged exactly `maxFailures` times on SQLite and on a real
 * PostgreSQL; every other request is refused LOCKED without its code being looked at.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/kit/clock.js';
import { generateTotp } from '../../src/otp/index.js';
import type { StoreOptions } from '../../src/store/store.js';
import { startPostgres, type TestPostgres } from '../support/postgres.js';
import { Browser, addUser, enrol, field, startHarness, tempDbFile, type Harness } from './harness.js';

const MAX_FAILURES = 5;
const PARALLEL = 50;

async function fireParallelWrongCodes(store: () => StoreOptions, username: string) {
  const clock = new ManualClock(Date.UTC(2026, 2, 1, 9, 0, 0));
  const config = { challenge: { lockout: { maxFailures: MAX_FAILURES, lockMinutes: 15 } } };
  const hosts: Harness[] = [await startHarness({ store: store(), clock, config }), await startHarness({ store: store(), clock, config })];
  try {
    const [a, b] = hosts as [Harness, Harness];
    await addUser(a, username);
    const browser = new Browser(a.url);
    const secret = await enrol(a, browser, username);
    clock.advance(60_000);
    const good = generateTotp(secret, clock.now());
    const wrong = good === '000000' ? '111111' : '000000';

    // Ten challenges, each page fetched first (showing a page is not an attempt)…
    const forms: { host: Harness; path: string; csrf: string; method: string }[] = [];
    for (let i = 0; i < 10; i++) {
      const host = i % 2 === 0 ? a : b;
      browser.base = host.url;
      const path = await browser.begin(username);
      const page = await browser.get(path);
      expect(page.status).toBe(200);
      forms.push({ host, path, csrf: field(page.body, '_csrf'), method: field(page.body, 'method') });
    }
    // …then fifty wrong codes at once, five per challenge, spread over both hosts.
    const statuses = await Promise.all(
      Array.from({ length: PARALLEL }, (_, i) => {
        const f = forms[i % forms.length]!;
        return fetch(new URL(f.path, f.host.url), {
          method: 'POST',
          redirect: 'manual',
          headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: [...browser.cookies].map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('; ') },
          body: new URLSearchParams({ _csrf: f.csrf, method: f.method, code: wrong }).toString(),
        }).then(async (r) => {
          await r.text();
          return r.status;
        });
      }),
    );
    const audit = await a.store.db.selectFrom('audit_events').selectAll().where('username', '=', username).execute();
    const user = await a.store.db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirstOrThrow();
    return { statuses, audit, user, clock };
  } finally {
    await Promise.all(hosts.map((h) => h.close()));
  }
}

function expectExactlyMaxJudged(r: Awaited<ReturnType<typeof fireParallelWrongCodes>>) {
  const judged = r.audit.filter((e) => e.event === 'second-factor' && e.result === 'failure');
  expect(judged).toHaveLength(MAX_FAILURES);
  expect(judged.every((e) => e.deny_reason === 'MISMATCH')).toBe(true);
  expect(r.user.failed_attempts).toBe(MAX_FAILURES);
  expect(r.user.locked_until).toBe(r.clock.now() + 15 * 60_000);
  // Nobody got in, nothing crashed: refusals are 401 (neutral page), 403 (the lock page) or 409
  // (challenge already decided).
  expect(r.statuses.every((s) => s === 401 || s === 403 || s === 409)).toBe(true);
  expect(r.audit.filter((e) => e.deny_reason === 'LOCKED').length).toBeGreaterThan(0);
}

describe('lockout under concurrency', () => {
  it(`judges exactly ${MAX_FAILURES} of ${PARALLEL} parallel wrong codes on SQLite (two hosts, one file)`, async () => {
    const file = tempDbFile();
    expectExactlyMaxJudged(await fireParallelWrongCodes(() => ({ driver: 'sqlite', file }), 'ada'));
  }, 60_000);

  describe('on PostgreSQL', () => {
    let pg: TestPostgres;
    beforeAll(async () => {
      pg = await startPostgres();
    }, 60_000);
    afterAll(async () => {
      await pg?.stop();
    });

    it(`judges exactly ${MAX_FAILURES} of ${PARALLEL} parallel wrong codes (two hosts, one database)`, async () => {
      expectExactlyMaxJudged(await fireParallelWrongCodes(() => ({ driver: 'postgres', connectionString: pg.url, poolSize: 10 }), 'grace'));
    }, 60_000);
  });
});

describe('attempt reservation (store functions)', () => {
  it('reserves up to the limit, locks at the last one, refuses after it, gives back a released one, and starts again when the lock runs out', async () => {
    const { openStore } = await import('../../src/store/store.js');
    const { UserRepository } = await import('../../src/users/user-repository.js');
    const { reserveAttempt, releaseAttempt } = await import('../../src/challenge/lockout.js');
    const clock = new ManualClock();
    const store = await openStore({ driver: 'sqlite', file: tempDbFile() });
    try {
      const user = await new UserRepository(store.db, clock).upsertFromDirectory({ externalId: 'x', username: 'ada', disabled: false }, 'test');
      const policy = { maxFailures: 3, lockMinutes: 10 };
      const now = clock.now();
      expect(await reserveAttempt(store.db, user.id, now, policy)).toEqual({ reserved: true, failures: 1, lockedUntil: null });
      expect(await reserveAttempt(store.db, user.id, now, policy)).toEqual({ reserved: true, failures: 2, lockedUntil: null });
      expect(await reserveAttempt(store.db, user.id, now, policy)).toEqual({ reserved: true, failures: 3, lockedUntil: now + 600_000 });
      expect(await reserveAttempt(store.db, user.id, now, policy)).toEqual({ reserved: false, lockedUntil: now + 600_000 });
      // An awaited approval was not an attempt: its try comes back and the lock it set goes.
      await releaseAttempt(store.db, user.id, policy);
      expect(await store.db.selectFrom('users').select(['failed_attempts', 'locked_until']).where('id', '=', user.id).executeTakeFirstOrThrow()).toEqual({ failed_attempts: 2, locked_until: null });
      expect(await reserveAttempt(store.db, user.id, now, policy)).toMatchObject({ reserved: true, failures: 3 });
      expect(await reserveAttempt(store.db, user.id, now + 599_999, policy)).toMatchObject({ reserved: false });
      expect(await reserveAttempt(store.db, user.id, now + 600_000, policy)).toEqual({ reserved: true, failures: 1, lockedUntil: null });
    } finally {
      await store.close();
    }
  });
});
