/**
 * The engine as the host wires it (`createHost`): the demo path /login → enrolment → challenge,
 * the test adapter loaded through the host's adapter registry, and the lockout seen by two
 * host instances on one store file.
 */
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { seeOther } from '../../src/http/see-other.js';
import { FactorgateError } from '../../src/kit/errors.js';
import { ManualClock } from '../../src/kit/clock.js';
import { decodeBase32, generateTotp } from '../../src/otp/index.js';
import { makeTempDir, startHost, type RunningHost } from '../support/host-harness.js';
import { testAdapter } from '../support/test-adapter.js';
import { Browser, field, secretOnPage, answer } from './harness.js';

let running: RunningHost[] = [];
afterEach(async () => {
  for (const h of running) await h.close();
  running = [];
});

async function host(opts: Parameters<typeof startHost>[0] = {}) {
  const h = await startHost(opts);
  running.push(h);
  return h;
}

async function signIn(b: Browser, username: string, password: string): Promise<string> {
  const form = await b.get('/login');
  const r = await b.post('/login', { _csrf: field(form.body, '_csrf'), username, password });
  expect(r.status).toBe(303);
  return r.headers.get('location')!;
}

describe('the engine inside createHost', () => {
  it('signing in at /login leads through enrolment, then the challenge, to a multi-factor session', async () => {
    const clock = new ManualClock(Date.UTC(2026, 2, 1, 9, 0, 0));
    const h = await host({ clock });
    const b = new Browser(h.url);
    const path = await signIn(b, 'alice', 'alice-password-1');
    expect(path).toMatch(/^\/mfa\/[A-Za-z0-9_-]{43}$/);
    const enrolPage = await b.get(path);
    expect(enrolPage.body).toContain('Set up two-step verification');
    const secret = decodeBase32(secretOnPage(enrolPage.body));
    if (!secret.ok) throw new Error('no secret');
    const done = await b.post(path, { _csrf: field(enrolPage.body, '_csrf'), method: field(enrolPage.body, 'method'), code: generateTotp(secret.bytes, clock.now()) });
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe('/login');
    expect((await b.get('/login')).body).toContain('You are signed in as Alice Martin.');

    clock.advance(30_000);
    const again = new Browser(h.url);
    const path2 = await signIn(again, 'alice', 'alice-password-1');
    const page = await again.get(path2);
    expect(page.body).toContain('Verify it’s you');
    expect(page.body).not.toContain('totp-secret');
    const ok = await again.post(path2, { _csrf: field(page.body, '_csrf'), method: field(page.body, 'method'), code: generateTotp(secret.bytes, clock.now()) });
    expect(ok.status).toBe(303);
    const session = await h.host.api.store.db.selectFrom('sessions').selectAll().execute();
    expect(session.map((s) => JSON.parse(s.data) as { multiFactor: boolean }).every((d) => d.multiFactor)).toBe(true);
    const metrics = await (await fetch(`${h.url}/metrics`)).text();
    expect(metrics).toMatch(/factorgate_authentications_total\{adapter="host",result="verified"\} 2/);
  });

  it('loads the test adapter through the adapter registry and hands it the outcome', async () => {
    const adapter = testAdapter();
    const clock = new ManualClock(Date.UTC(2026, 2, 1, 9, 0, 0));
    const h = await host({ clock, adapters: [adapter as never], config: { adapters: { testApp: {} } } });
    await h.host.api.users.upsertFromDirectory({ externalId: 'e-ada', username: 'ada', disabled: false }, 'test');
    const b = new Browser(h.url);
    const path = await b.begin('ada');
    const page = await b.get(path);
    const secret = decodeBase32(secretOnPage(page.body));
    if (!secret.ok) throw new Error('no secret');
    const r = await b.post(path, { _csrf: field(page.body, '_csrf'), method: field(page.body, 'method'), code: generateTotp(secret.bytes, clock.now()) });
    expect(r.status).toBe(200);
    expect(adapter.record.outcomes).toMatchObject([{ result: 'verified', methods: ['totp'], relyingParty: 'test-relying-party' }]);
  });

  it('locks a user for every host instance sharing one store file', async () => {
    const clock = new ManualClock(Date.UTC(2026, 2, 1, 9, 0, 0));
    const dir = makeTempDir();
    const a = await host({ clock, dir, config: { challenge: { lockout: { maxFailures: 3, lockMinutes: 10 } } } });
    const b = await host({ clock, dir, config: { challenge: { lockout: { maxFailures: 3, lockMinutes: 10 } } } });
    const browser = new Browser(a.url);
    const path = await signIn(browser, 'bob', 'bob-password-1');
    const enrolPage = await browser.get(path);
    const secret = decodeBase32(secretOnPage(enrolPage.body));
    if (!secret.ok) throw new Error('no secret');
    await browser.post(path, { _csrf: field(enrolPage.body, '_csrf'), method: field(enrolPage.body, 'method'), code: generateTotp(secret.bytes, clock.now()) });
    clock.advance(30_000);
    const wrong = generateTotp(secret.bytes, clock.now()) === '000000' ? '111111' : '000000';

    const onA = await signIn(browser, 'bob', 'bob-password-1');
    expect((await answer(browser, onA, wrong)).status).toBe(401);
    expect((await answer(browser, onA, wrong)).status).toBe(401);
    browser.base = b.url;
    const onB = await signIn(browser, 'bob', 'bob-password-1');
    const third = await answer(browser, onB, wrong);
    expect(third.status).toBe(403);
    expect(third.body).toContain('the second step of sign-in is locked for your account until');

    browser.base = a.url;
    const next = await signIn(browser, 'bob', 'bob-password-1');
    const locked = await browser.get(next);
    expect(locked.status).toBe(403);
    expect(locked.body).not.toContain('name="code"');
    clock.advance(10 * 60_000);
    const later = await signIn(browser, 'bob', 'bob-password-1');
    expect((await answer(browser, later, generateTotp(secret.bytes, clock.now()))).status).toBe(303);
  });
});

describe('the bodiless 303 (seeOther) used by POST /login, pass and re-authentication', () => {
  it('answers POST /login with status, Location and an empty body, no Vary, the security headers kept', async () => {
    const h = await host();
    const b = new Browser(h.url);
    const form = await b.get('/login');
    const r = await b.post('/login', { _csrf: field(form.body, '_csrf'), username: 'alice', password: 'alice-password-1' });
    expect(r.status).toBe(303);
    expect(r.headers.get('location')).toMatch(/^\/mfa\/[A-Za-z0-9_-]{43}$/);
    expect(r.headers.get('content-length')).toBe('0');
    expect(r.body).toBe('');
    expect(r.headers.get('vary')).toBeNull();
    expect(r.headers.get('content-type')).toBeNull();
    expect(r.headers.get('content-security-policy')).toContain("frame-ancestors 'self'");
    expect(r.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    expect(r.headers.get('x-request-id')).toMatch(/\S/);
  });

  it('refuses a path that leaves the origin or splits the header, before writing anything', () => {
    for (const path of ['//evil.example', '/\\evil.example', 'https://evil.example/', 'mfa/x', '', '/mfa/x\r\nSet-Cookie: a=b', '/mfa/\nx', '/mfa/\u0000', '/mfa/\u007f']) {
      const res = new ServerResponse(new IncomingMessage(new Socket()));
      let thrown: unknown;
      try {
        seeOther(res, path);
      } catch (err) {
        thrown = err;
      }
      expect(thrown, JSON.stringify(path)).toBeInstanceOf(FactorgateError);
      expect((thrown as FactorgateError).code).toBe('INTERNAL');
      expect(res.headersSent).toBe(false);
      expect(res.statusCode).toBe(200);
      expect(res.getHeader('location')).toBeUndefined();
    }
  });
});
