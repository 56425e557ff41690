/**
 * The console shell: who may enter (password and a verified second factor through the host's
 * own sign-in, a role in admin.roles), the console session (own cookie, idle expiry on the
 * injected clock, bound to the browser), the guard of admin-only pages, CSRF on sign-out, and
 * `admin.listen` putting the console on its own port.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/kit/clock.js';
import { startHost, type RunningHost } from '../../support/host-harness.js';
import { freePort } from '../../support/free-port.js';
import { Browser, field } from '../../challenge/harness.js';
import { CONSOLE_ROLES, CONSOLE_USERS, consoleUser, passwordStep, signInToConsole, storeOf, userAdminOf } from './console-support.js';
import type { Store } from '../../../src/store/store.js';

const clock = new ManualClock(Date.UTC(2026, 2, 1, 9, 0, 0));
let h: RunningHost;
let rootSecret: Buffer;
let store: Store;

beforeAll(async () => {
  h = await startHost({ clock, users: CONSOLE_USERS, config: { admin: { roles: CONSOLE_ROLES, sessionIdle: '30m' } } });
  store = await storeOf(h);
});
afterAll(async () => {
  await store?.close();
  await h?.close();
});

describe('signing in to the console', () => {
  it('sends a visitor to the host sign-in page, then the second factor, then back to the page asked for', async () => {
    const b = new Browser(h.url);
    const first = await b.get('/admin');
    expect(first.status).toBe(303);
    expect(first.headers.get('location')).toMatch(/^\/login\?l=[A-Za-z0-9_-]{22}$/);
    clock.advance(30_000);
    const { secret, done } = await signInToConsole(b, clock, consoleUser('root'));
    rootSecret = secret;
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe('/admin');
    expect(b.cookies.has('fg_admin')).toBe(true);
    const home = await b.get('/admin');
    expect(home.status).toBe(200);
    expect(home.headers.get('cache-control')).toBe('no-store');
    expect(home.headers.get('content-security-policy')).toContain("form-action 'self'");
    expect(home.body).toContain('Signed in as root (administrator).');
    const cookie = done.setCookies.find((c) => c.startsWith('fg_admin='))!;
    expect(done.setCookies.filter((c) => c.startsWith('fg_admin='))).toHaveLength(1);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).not.toMatch(/Max-Age|Expires/i);
  });

  it('refuses a user who holds no role, after the second factor, and audits it', async () => {
    const b = new Browser(h.url);
    clock.advance(30_000);
    const { done } = await signInToConsole(b, clock, consoleUser('bob'));
    expect(done.status).toBe(403);
    expect(done.body).toContain('This account may not use the admin console.');
    expect(b.cookies.has('fg_admin')).toBe(false);
    expect((await b.get('/admin')).status).toBe(303);
    const rows = await store.db.selectFrom('audit_events').select(['result', 'deny_reason', 'username']).where('event', '=', 'admin-sign-in').execute();
    expect(rows).toContainEqual({ result: 'denied', deny_reason: 'NOT_AN_ADMIN', username: 'bob' });
  });

  it('gives the help-desk role to a member of a group named in admin.roles, in French for a French browser', async () => {
    const b = new Browser(h.url);
    b.acceptLanguage = 'fr';
    clock.advance(30_000);
    const { done } = await signInToConsole(b, clock, consoleUser('hd'));
    expect(done.headers.get('location')).toBe('/admin');
    const home = await b.get('/admin');
    expect(home.body).toContain('<html lang="fr"');
    expect(home.body).toContain('Connecté en tant que hd (support).');
  });

  it('also reads a memberOf attribute of the directory entry for group roles', async () => {
    const b = new Browser(h.url);
    clock.advance(30_000);
    const { done } = await signInToConsole(b, clock, consoleUser('hd2'));
    expect(done.headers.get('location')).toBe('/admin');
    expect((await b.get('/admin')).body).toContain('Signed in as hd2 (help desk).');
  });

  it('does not open the console to a sign-in passed by a one-time bypass (no factor verified)', async () => {
    const b = new Browser(h.url);
    await userAdminOf(h, store, clock).grantBypass('root', 5, { name: 'cli:test' }, 'lost phone');
    clock.advance(30_000);
    const path = await passwordStep(b, '/admin', 'root', 'root-password-1');
    const r = await b.get(path);
    expect(r.status).toBe(403);
    expect(r.body).toContain('The admin console needs a verified second factor');
    expect(b.cookies.has('fg_admin')).toBe(false);
  });
});

describe('the console session', () => {
  it('ends after admin.sessionIdle without a request, and a request before that keeps it', async () => {
    const b = new Browser(h.url);
    clock.advance(30_000);
    await signInToConsole(b, clock, consoleUser('root'), rootSecret);
    clock.advance(29 * 60_000);
    expect((await b.get('/admin')).status).toBe(200);
    clock.advance(29 * 60_000);
    expect((await b.get('/admin')).status).toBe(200);
    clock.advance(30 * 60_000);
    const after = await b.get('/admin');
    expect(after.status).toBe(303);
    expect(after.headers.get('location')).toMatch(/^\/login\?l=/);
    expect(h.logs.some((l) => l.includes('"end":"idle"'))).toBe(true);
  });

  it('is bound to the browser: the console cookie copied into another browser opens nothing', async () => {
    const b = new Browser(h.url);
    clock.advance(30_000);
    await signInToConsole(b, clock, consoleUser('root'), rootSecret);
    const thief = new Browser(h.url);
    thief.cookies.set('fg_admin', b.cookies.get('fg_admin')!);
    const r = await thief.get('/admin');
    expect(r.status).toBe(303);
    expect(h.logs.some((l) => l.includes('"end":"other-browser"'))).toBe(true);
    // The owner goes on.
    expect((await b.get('/admin')).status).toBe(200);
  });

  it('signs out with a CSRF-checked form and refuses a sign-out without the token', async () => {
    const b = new Browser(h.url);
    clock.advance(30_000);
    await signInToConsole(b, clock, consoleUser('root'), rootSecret);
    const home = await b.get('/admin');
    const refused = await b.post('/admin/logout', { _csrf: 'forged' });
    expect(refused.status).toBe(403);
    expect((await b.get('/admin')).status).toBe(200);
    const out = await b.post('/admin/logout', { _csrf: field(home.body, '_csrf') });
    expect(out.status).toBe(200);
    expect(out.body).toContain('You are signed out of the admin console.');
    expect((await b.get('/admin')).status).toBe(303);
  });
});

describe('admin.listen', () => {
  it('serves the console on its own port and answers 404 for /admin on the main listener', async () => {
    const port = await freePort();
    const own = await startHost({ clock, users: CONSOLE_USERS, config: { admin: { roles: CONSOLE_ROLES, listen: { host: '127.0.0.1', port } } } });
    try {
      const pub = new Browser(own.url);
      expect((await pub.get('/admin')).status).toBe(404);
      expect((await pub.get('/admin/login')).status).toBe(404);
      const b = new Browser(`http://127.0.0.1:${port}`);
      clock.advance(30_000);
      const { done } = await signInToConsole(b, clock, consoleUser('root'));
      expect(done.headers.get('location')).toBe('/admin');
      const home = await b.get('/admin');
      expect(home.status).toBe(200);
      expect(home.headers.get('content-security-policy')).toContain("form-action 'self'");
      expect(own.logs.some((l) => l.includes('admin console listening on its own address'))).toBe(true);
    } finally {
      await own.close();
    }
  });
});
