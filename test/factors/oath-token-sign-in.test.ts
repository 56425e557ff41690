/**
 * A full sign-in with a hardware token through the host as `createHost` wires it: the
 * password at /login, then the token's code at /mfa/:id. The same four things every factor
 * proves (STYLE.md habit 8): regulation before verifying, no reuse of a counter, the session
 * regenerated after success, and the method recorded for the audit (never the code).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/kit/clock.js';
import { generateHotp, generateTotpForStep, totpStep } from '../../src/otp/index.js';
import { TokenRepository } from '../../src/tokens/token-repository.js';
import { startHost, type RunningHost } from '../support/host-harness.js';
import { Browser, field } from '../challenge/harness.js';

const HOTP_SECRET = Buffer.alloc(20, 0x11);
const TOTP_SECRET = Buffer.alloc(20, 0x22);

let running: RunningHost[] = [];
afterEach(async () => {
  for (const h of running) await h.close();
  running = [];
});

async function hostWithTokens() {
  const clock = new ManualClock(Date.UTC(2026, 2, 1, 9, 0, 5));
  const h = await startHost({ clock, config: { challenge: { lockout: { maxFailures: 3, lockMinutes: 10 } } } });
  running.push(h);
  const { store, secrets, users } = h.host.api;
  await users.upsertFromDirectory({ externalId: 'alice', username: 'alice', displayName: 'Alice Martin', disabled: false }, 'file');
  const tokens = new TokenRepository(store.db, secrets, clock);
  const report = await tokens.importTokens({
    tokens: [
      { serial: 'HW-HOTP', secret: Buffer.from(HOTP_SECRET), kind: 'hotp', algorithm: 'SHA1', digits: 6, period: 30, counter: 0n, userId: 'alice' },
      { serial: 'HW-TOTP', secret: Buffer.from(TOTP_SECRET), kind: 'totp', algorithm: 'SHA1', digits: 6, period: 30, counter: 0n, userId: 'alice' },
    ],
    problems: [],
  });
  expect(report).toMatchObject({ stored: true, imported: 2, assigned: 2 });
  return { h, clock, tokens, db: store.db };
}

async function signIn(b: Browser, username = 'alice', password = 'alice-password-1'): Promise<string> {
  const form = await b.get('/login');
  const r = await b.post('/login', { _csrf: field(form.body, '_csrf'), username, password });
  expect(r.status).toBe(303);
  return r.headers.get('location')!;
}

describe('signing in with a hardware token', () => {
  it('/login → /mfa/:id → a token code → a fresh multi-factor session, audited as oath', async () => {
    const { h, db } = await hostWithTokens();
    const b = new Browser(h.url);
    const path = await signIn(b);
    expect(path).toMatch(/^\/mfa\/[A-Za-z0-9_-]{43}$/);
    const before = b.cookies.get('fg_session');
    const page = await b.get(path);
    expect(page.status).toBe(200);
    expect(page.body).toContain('Press the button on your hardware token');
    expect(page.body).not.toContain('totp-secret');

    const code = generateHotp(HOTP_SECRET, 4); // four presses that never reached us
    const done = await b.post(path, { _csrf: field(page.body, '_csrf'), method: field(page.body, 'method'), code });
    expect(done.status).toBe(303);
    expect((await b.get('/login')).body).toContain('You are signed in as Alice Martin.');
    expect(b.cookies.get('fg_session')).not.toBe(before);

    const sessions = await db.selectFrom('sessions').selectAll().execute();
    expect(sessions.map((s) => JSON.parse(s.data) as { methods: string[]; multiFactor: boolean })).toMatchObject([{ methods: ['oath'], multiFactor: true }]);
    const audit = await db.selectFrom('audit_events').selectAll().where('event', '=', 'second-factor').execute();
    expect(audit).toMatchObject([{ result: 'success', method: 'oath', username: 'alice' }]);
    const token = await db.selectFrom('oath_tokens').select('counter').where('serial', '=', 'HW-HOTP').executeTakeFirstOrThrow();
    expect(BigInt(token.counter)).toBe(5n);
    expect(h.logs.join('\n')).not.toContain(code);
  });

  it('refuses the same code in a second sign-in, saying it was already used, with REPLAY in the audit', async () => {
    const { h, db, clock } = await hostWithTokens();
    const code = generateHotp(HOTP_SECRET, 0);
    const first = new Browser(h.url);
    const p1 = await signIn(first);
    const page1 = await first.get(p1);
    expect((await first.post(p1, { _csrf: field(page1.body, '_csrf'), method: field(page1.body, 'method'), code })).status).toBe(303);

    clock.advance(5_000);
    const second = new Browser(h.url);
    const p2 = await signIn(second);
    const page2 = await second.get(p2);
    const refused = await second.post(p2, { _csrf: field(page2.body, '_csrf'), method: field(page2.body, 'method'), code });
    expect(refused.status).toBe(401);
    expect(refused.body).toContain('This code was already used. Use the next code from your token.');
    expect(refused.body).not.toMatch(/replay/i);
    const failures = await db.selectFrom('audit_events').selectAll().where('result', '=', 'failure').execute();
    expect(failures).toMatchObject([{ event: 'second-factor', method: 'oath', deny_reason: 'REPLAY' }]);
    expect(JSON.stringify(failures)).not.toContain(code);

    // The user's other token still works on the same page.
    const step = totpStep(clock.now(), { period: 30, t0: 0 });
    const page3 = await second.get(p2);
    const ok = await second.post(p2, { _csrf: field(page3.body, '_csrf'), method: field(page3.body, 'method'), code: generateTotpForStep(TOTP_SECRET, step) });
    expect(ok.status).toBe(303);
  });

  it('checks the lockout before the code: a locked user’s right code is not even verified', async () => {
    const { h, db, clock } = await hostWithTokens();
    const b = new Browser(h.url);
    const path = await signIn(b);
    const page = await b.get(path);
    // Locked meanwhile (by failures on another host sharing the store).
    await db.updateTable('users').set({ locked_until: clock.now() + 600_000 }).where('username', '=', 'alice').execute();
    const r = await b.post(path, { _csrf: field(page.body, '_csrf'), method: field(page.body, 'method'), code: generateHotp(HOTP_SECRET, 0) });
    expect(r.status).toBe(403);
    expect(r.body).toContain('is locked for your account until');
    const token = await db.selectFrom('oath_tokens').select(['counter', 'last_used_at']).where('serial', '=', 'HW-HOTP').executeTakeFirstOrThrow();
    expect(token).toEqual({ counter: '00000000000000000000', last_used_at: null });
    expect(await db.selectFrom('sessions').selectAll().execute()).toEqual([]);
  });

  it('offers no hardware-token method once the user’s tokens are disabled', async () => {
    const { h, tokens } = await hostWithTokens();
    await tokens.setDisabled('HW-HOTP', true);
    await tokens.setDisabled('HW-TOTP', true);
    const b = new Browser(h.url);
    const page = await b.get(await signIn(b));
    expect(page.body).not.toContain('hardware token');
    expect(page.body).toContain('totp-secret'); // the enrolment policy applies: register an app
  });
});
