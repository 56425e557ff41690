/**
 * Forward-auth behind a real nginx (the README's snippet, adapters/forward-auth/examples/
 * nginx.conf): no session → factorgate's login and challenge → the app sees Remote-User and
 * the rest; a client's own Remote-User never reaches the app; a redirect to another domain is
 * refused; a host whose rule wants a group the user lacks answers 403.
 */
import { createServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/kit/clock.js';
import { generateTotp } from '../../../src/otp/index.js';
import { forwardAuthAdapter } from '../../../adapters/forward-auth/index.js';
import type { AdapterDefinition } from '../../../src/api/host-api.js';
import { startHost, type RunningHost } from '../../support/host-harness.js';
import { freePort } from '../../support/free-port.js';
import { RawBrowser, type RawReply } from '../forms-proxy/support/raw-client.js';
import { field, form, secretOnPage, URLENCODED } from '../forms-proxy/support/rig.js';
import { exampleServers, startNginx, type RunningNginx } from './support/nginx.js';

const DOMAIN = 'fg.test';
const EXAMPLE = fileURLToPath(new URL('../../../adapters/forward-auth/examples/nginx.conf', import.meta.url));

/** The protected app: echoes the headers it received, and counts the requests that reached it. */
function startEchoApp(): Promise<{ server: Server; url: string; seen: Array<Record<string, unknown>> }> {
  const seen: Array<Record<string, unknown>> = [];
  const server = createServer((req, res) => {
    seen.push({ url: req.url, ...req.headers });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(req.headers));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    const addr = server.address();
    resolve({ server, url: `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`, seen });
  }));
}

let nginx: RunningNginx;
let host: RunningHost;
let app: Awaited<ReturnType<typeof startEchoApp>>;
let port: number;
const clock = new ManualClock(Date.UTC(2026, 2, 1, 9, 0, 0));

/** Sends to nginx on loopback with the URL's host name, as a browser resolving *.fg.test there would. */
function get(b: RawBrowser, url: string, headers: Record<string, string> = {}): Promise<RawReply> {
  const u = new URL(url);
  return b.send(`http://127.0.0.1:${u.port}`, { path: u.pathname + u.search, headers: { host: u.host, ...headers } });
}
function post(b: RawBrowser, url: string, fields: Record<string, string>): Promise<RawReply> {
  const u = new URL(url);
  return b.send(`http://127.0.0.1:${u.port}`, { method: 'POST', path: u.pathname + u.search, headers: { host: u.host, ...URLENCODED }, body: form(fields) });
}
const location = (r: RawReply, base: string): string => new URL(String(r.headers.location), base).href;

beforeAll(async () => {
  port = await freePort();
  const publicUrl = `http://auth.${DOMAIN}:${port}`;
  app = await startEchoApp();
  const fgPort = await freePort();
  host = await startHost({
    clock,
    port: fgPort,
    adapters: [forwardAuthAdapter as AdapterDefinition],
    users: [
      { username: 'alice', password: 'alice-password-1', email: 'alice@example.test', displayName: 'Alice Martin', groups: ['staff'] },
    ],
    config: {
      server: { port: fgPort, host: '127.0.0.1', publicUrl, shutdownTimeoutSeconds: 2 },
      adapters: {
        forwardAuth: {
          cookieDomain: DOMAIN,
          rules: [
            { host: `app.${DOMAIN}` },
            { host: `admin.${DOMAIN}`, groups: ['admins'] },
          ],
        },
      },
    },
  });
  const example = exampleServers(EXAMPLE, { listen: `127.0.0.1:${port}`, domain: DOMAIN, factorgate: host.url, app: app.url, publicUrl });
  // The same server block once more for a second protected host, admin.fg.test.
  const admin = example.slice(0, example.indexOf('server {', 10)).replace(`server_name app.${DOMAIN};`, `server_name admin.${DOMAIN};`);
  nginx = await startNginx(port, `${example}\n${admin}`);
}, 60_000);

afterAll(async () => {
  await nginx?.close();
  await host?.close();
  await new Promise((r) => app?.server.close(r));
});

describe('forward-auth behind nginx', () => {
  const appUrl = () => `http://app.${DOMAIN}:${port}/reports/q3?view=full`;

  it('signs a browser in through factorgate and hands the app who it is; a client\'s Remote-User never passes', async () => {
    const b = new RawBrowser();
    const before = app.seen.length;
    // No session: nginx sends the browser to the login entry with the URL to return to. A
    // Remote-User of the client's own does not get it in.
    const first = await get(b, appUrl(), { 'remote-user': 'admin' });
    expect(first.status).toBe(302);
    const entry = location(first, appUrl());
    expect(entry).toBe(`http://auth.${DOMAIN}:${port}/forward-auth/login?rd=${appUrl()}`);
    expect(app.seen.length).toBe(before);

    // The login entry hands over to /login, then the challenge (first sign-in: TOTP enrolment).
    const toLogin = await get(b, entry);
    expect(toLogin.status).toBe(303);
    const loginUrl = location(toLogin, entry);
    const loginPage = await get(b, loginUrl);
    expect(loginPage.status).toBe(200);
    const signedIn = await post(b, new URL('/login', loginUrl).href, { _csrf: field(loginPage.body, '_csrf'), l: field(loginPage.body, 'l'), username: 'alice', password: 'alice-password-1' });
    expect(signedIn.status).toBe(303);
    const challengeUrl = location(signedIn, loginUrl);
    const challenge = await get(b, challengeUrl);
    const secret = secretOnPage(challenge.body);
    const resumed = await post(b, challengeUrl, { _csrf: field(challenge.body, '_csrf'), method: field(challenge.body, 'method'), code: generateTotp(secret, clock.now()) });
    expect(resumed.status).toBe(303);
    const back = location(resumed, challengeUrl);
    expect(back).toBe(appUrl());
    const cookie = resumed.setCookies.find((c) => c.startsWith('fg_forward_auth='));
    expect(cookie).toMatch(/Domain=fg\.test/i);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);

    // Back at the app: it sees factorgate's word, and only that, even when the client adds its own.
    const page = await get(b, back, { 'remote-user': 'admin', 'remote-groups': 'admins', 'remote-mfa-methods': 'hardware' });
    expect(page.status).toBe(200);
    const seen = JSON.parse(page.body) as Record<string, string>;
    expect(seen['remote-user']).toBe('alice');
    expect(seen['remote-groups']).toBe('staff');
    expect(seen['remote-email']).toBe('alice@example.test');
    expect(seen['remote-name']).toBe('Alice Martin');
    expect(seen['remote-mfa-methods']).toBe('totp');

    // admin.fg.test wants the admins group: the same session is refused there, and the app never sees it.
    const count = app.seen.length;
    const admin = await get(b, `http://admin.${DOMAIN}:${port}/`, { 'remote-user': 'admin' });
    expect(admin.status).toBe(403);
    expect(app.seen.length).toBe(count);

    // The user's facts are looked up on every request: taken into the admins group (as the next
    // directory sync or sign-in would record it), alice reaches admin.fg.test with the same cookie;
    // disabled by an admin, she reaches nothing, and enabled again, she is back without signing in.
    const db = host.host.api.store.db;
    await db.updateTable('users').set({ groups: JSON.stringify(['staff', 'admins']) }).where('username', '=', 'alice').execute();
    const promoted = await get(b, `http://admin.${DOMAIN}:${port}/`);
    expect(promoted.status).toBe(200);
    expect((JSON.parse(promoted.body) as Record<string, string>)['remote-groups']).toBe('staff,admins');
    await db.updateTable('users').set({ admin_disabled: 1 }).where('username', '=', 'alice').execute();
    const seenBefore = app.seen.length;
    expect((await get(b, appUrl())).status).toBe(302);
    expect((await get(b, `http://admin.${DOMAIN}:${port}/`)).status).toBe(302);
    expect(app.seen.length).toBe(seenBefore);
    await db.updateTable('users').set({ admin_disabled: 0 }).where('username', '=', 'alice').execute();
    expect((await get(b, appUrl())).status).toBe(200);

    // Logout ends the forward-auth session: the next request goes back to the login entry.
    const out = await get(b, `http://auth.${DOMAIN}:${port}/forward-auth/logout?rd=${encodeURIComponent(appUrl())}`);
    expect(out.status).toBe(303);
    expect((await get(b, appUrl())).status).toBe(302);
  });

  it('refuses a redirect target on another domain, and one with credentials', async () => {
    for (const rd of ['https://evil.example/', `https://app.${DOMAIN}.evil.example/`, `http://user:pw@app.${DOMAIN}:${port}/`, 'javascript:alert(1)', '//evil.example/']) {
      const reply = await get(new RawBrowser(), `http://auth.${DOMAIN}:${port}/forward-auth/login?rd=${encodeURIComponent(rd)}`);
      expect(reply.status, rd).toBe(400);
      expect(reply.headers.location, rd).toBeUndefined();
    }
    expect(host.logs.some((l) => l.includes('redirect target refused'))).toBe(true);
  });

  it('answers 401 without a session and 403 for an unprotected host, whatever the client says', async () => {
    const verify = `http://auth.${DOMAIN}:${port}/forward-auth/verify`;
    const none = await get(new RawBrowser(), verify, { 'x-original-url': `http://app.${DOMAIN}/` });
    expect(none.status).toBe(401);
    expect(none.headers['remote-user']).toBeUndefined();
    const other = await get(new RawBrowser(), verify, { 'x-original-url': 'http://intranet.other.example/' });
    expect(other.status).toBe(403);
    const redirect = await get(new RawBrowser(), `${verify}?redirect=1`, { 'x-forwarded-proto': 'https', 'x-forwarded-host': `app.${DOMAIN}`, 'x-forwarded-uri': '/x' });
    expect(redirect.status).toBe(302);
    expect(redirect.headers.location).toBe(`http://auth.${DOMAIN}:${port}/forward-auth/login?rd=${encodeURIComponent(`http://app.${DOMAIN}/x`)}`);
  });
});
