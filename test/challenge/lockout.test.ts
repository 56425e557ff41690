import { afterEach, describe, expect, it } from 'vitest';
import { generateTotp } from '../../src/otp/index.js';
import { ManualClock } from '../../src/kit/clock.js';
import { unlockUser } from '../../src/challenge/index.js';
import { Browser, addUser, answer, enrol, startHarness, tempDbFile, type Harness, type HarnessOptions } from './harness.js';

let hosts: Harness[] = [];
afterEach(async () => {
  await Promise.all(hosts.map((h) => h.close()));
  hosts = [];
});

async function host(opts: HarnessOptions = {}) {
  const h = await startHarness(opts);
  hosts.push(h);
  return h;
}

function wrongCode(secret: Buffer, now: number): string {
  const good = generateTotp(secret, now);
  return good === '000000' ? '111111' : '000000';
}

async function userRow(h: Harness, username: string) {
  return h.store.db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirstOrThrow();
}

describe('lockout', () => {
  it('locks a user after 5 consecutive failures spread over two hosts sharing one store file, for 15 minutes', async () => {
    const file = tempDbFile();
    const clock = new ManualClock(Date.UTC(2026, 2, 1, 9, 0, 0));
    const a = await host({ file, clock });
    const b = await host({ file, clock });
    await addUser(a, 'ada');
    const browser = new Browser(a.url);
    const secret = await enrol(a, browser, 'ada');
    clock.advance(30_000);

    // Three failures on host A…
    const onA = await browser.begin('ada');
    for (let i = 0; i < 3; i++) expect((await answer(browser, onA, wrongCode(secret, clock.now()))).status).toBe(401);
    expect((await userRow(a, 'ada')).failed_attempts).toBe(3);
    // …two on host B, for another challenge begun there: the fifth locks.
    browser.base = b.url;
    const onB = await browser.begin('ada');
    expect((await answer(browser, onB, wrongCode(secret, clock.now()))).status).toBe(401);
    const fifth = await answer(browser, onB, wrongCode(secret, clock.now()));
    // The lock page (issue 26 item 6): locked, until when, and what to do.
    expect(fifth.status).toBe(403);
    expect(fifth.body).toContain('the second step of sign-in is locked for your account until');
    expect(fifth.body).toContain(`<time datetime="${new Date(clock.now() + 15 * 60_000).toISOString()}">`);
    expect(b.record.outcomes).toMatchObject([{ result: 'denied', reason: 'LOCKED' }]);
    const locked = await userRow(b, 'ada');
    expect(locked.failed_attempts).toBe(5);
    expect(locked.locked_until).toBe(clock.now() + 15 * 60_000);

    // Host A sees the lock: its pending challenge ends as soon as its page is asked for…
    browser.base = a.url;
    const pending = await browser.get(onA);
    expect(pending.status).toBe(403);
    expect(pending.body).not.toContain('name="code"');
    expect(a.record.outcomes.at(-1)).toMatchObject({ result: 'denied', reason: 'LOCKED' });
    // …and a new challenge on A shows the same neutral page.
    const fresh = await browser.get(await browser.begin('ada'));
    expect(fresh.status).toBe(403);
    expect(fresh.body).toContain('is locked for your account until');
    expect(fresh.body).not.toContain('name="code"');
    expect(a.record.outcomes.at(-1)).toMatchObject({ result: 'denied', reason: 'LOCKED' });

    const rows = await a.store.db.selectFrom('audit_events').selectAll().orderBy('ts').execute();
    expect(rows.filter((r) => r.deny_reason === 'MISMATCH')).toHaveLength(5);
    expect(rows.filter((r) => r.deny_reason === 'LOCKED').length).toBeGreaterThanOrEqual(3);
    expect(new Set(rows.filter((r) => r.deny_reason === 'MISMATCH').map((r) => r.detail))).toContain('FACTOR_FAILED; consecutive failures: 5');

    // 15 minutes later the lock has run out and the count starts again.
    clock.advance(15 * 60_000);
    browser.base = b.url;
    const after = await browser.begin('ada');
    expect((await answer(browser, after, generateTotp(secret, clock.now()))).status).toBe(200);
    expect(await userRow(b, 'ada')).toMatchObject({ failed_attempts: 0, locked_until: null });
  });

  it('counts only consecutive failures: a success resets the count', async () => {
    const h = await host();
    await addUser(h, 'ada');
    const b = new Browser(h.url);
    const secret = await enrol(h, b, 'ada');
    h.clock.advance(30_000);
    const path = await b.begin('ada');
    for (let i = 0; i < 4; i++) await answer(b, path, wrongCode(secret, h.clock.now()));
    expect((await userRow(h, 'ada')).failed_attempts).toBe(4);
    expect((await answer(b, path, generateTotp(secret, h.clock.now()))).status).toBe(200);
    expect((await userRow(h, 'ada')).failed_attempts).toBe(0);
    const row = await h.store.db.selectFrom('challenges').selectAll().where('id', '=', path.slice(5)).executeTakeFirstOrThrow();
    expect(row.attempts).toBe(5);
  });

  it('follows the configured limit and duration, and `unlockUser` (factorgate users unlock) lifts a lock at once', async () => {
    const h = await host({ config: { challenge: { lockout: { maxFailures: 2, lockMinutes: 60 } } } });
    await addUser(h, 'ada');
    const b = new Browser(h.url);
    const secret = await enrol(h, b, 'ada');
    h.clock.advance(30_000);
    const path = await b.begin('ada');
    await answer(b, path, wrongCode(secret, h.clock.now()));
    await answer(b, path, wrongCode(secret, h.clock.now()));
    expect((await userRow(h, 'ada')).locked_until).toBe(h.clock.now() + 60 * 60_000);
    h.clock.advance(59 * 60_000);
    expect((await b.get(await b.begin('ada'))).status).toBe(403);

    expect(await unlockUser(h.store.db, 'ADA', h.clock)).toBe(true);
    expect(await unlockUser(h.store.db, 'nobody', h.clock)).toBe(false);
    const again = await b.begin('ada');
    expect((await answer(b, again, generateTotp(secret, h.clock.now()))).status).toBe(200);
  });

  it('refuses a code from a locked user before verifying it (regulation first)', async () => {
    const h = await host({ config: { challenge: { lockout: { maxFailures: 1, lockMinutes: 15 } } } });
    await addUser(h, 'ada');
    const b = new Browser(h.url);
    const secret = await enrol(h, b, 'ada');
    h.clock.advance(30_000);
    const page = await b.get(await b.begin('ada'));
    const second = await b.begin('ada');
    const secondPage = await b.get(second); // shown before the lock
    expect(secondPage.status).toBe(200);
    const { field } = await import('./harness.js');
    const first = page.body.match(/action="(\/mfa\/[^"?]+)"/)![1]!;
    await b.post(first, { _csrf: field(page.body, '_csrf'), method: field(page.body, 'method'), code: wrongCode(secret, h.clock.now()) });
    const before = (await h.store.db.selectFrom('factors').select('last_used_step').executeTakeFirstOrThrow()).last_used_step;
    const r = await b.post(second, { _csrf: field(secondPage.body, '_csrf'), method: field(secondPage.body, 'method'), code: generateTotp(secret, h.clock.now()) });
    expect(r.status).toBe(403);
    expect(h.record.outcomes.at(-1)).toMatchObject({ result: 'denied', reason: 'LOCKED' });
    // The right code was never looked at: its step is still unused.
    expect((await h.store.db.selectFrom('factors').select('last_used_step').executeTakeFirstOrThrow()).last_used_step).toBe(before);
  });
});
