/**
 * Forward-auth behind a real Caddy (`forward_auth`, the README's snippet,
 * adapters/forward-auth/examples/Caddyfile): no session → Caddy hands the browser factorgate's
 * 302 to the login entry → login and challenge → the app sees Remote-User and the rest, never a
 * Remote-User of the client's own (with or without a session); the login entry refuses a
 * redirect to another domain.
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
import { startCaddy, type RunningCaddy } from './support/caddy.js';
import { exampleServers } from './support/nginx.js';

const DOMAIN = 'fg.test';
const EXAMPLE = fileURLToPath(new URL('../../../adapters/forward-auth/examples/Caddyfile', import.meta.url));

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

let caddy: RunningCaddy;
let host: RunningHost;
let app: Awaited<ReturnType<typeof startEchoApp>>;
let port: number;
const clock = new ManualClock(Date.UTC(2026, 2, 1, 9, 0, 0));

/** Sends to Caddy on loopback with the URL's host name, as a browser resolving *.fg.test there would. */
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
    users: [{ username: 'alice', password: 'alice-password-1', email: 'alice@example.test', displayName: 'Alice Martin', groups: ['staff'] }],
    config: {
      server: { port: fgPort, host: '127.0.0.1', publicUrl, shutdownTimeoutSeconds: 2 },
      adapters: { forwardAuth: { cookieDomain: DOMAIN, rules: [{ host: `app.${DOMAIN}` }] } },
    },
  });
  caddy = await startCaddy(port, exampleServers(EXAMPLE, { port: String(port), domain: DOMAIN, factorgate: host.url, app: app.url }));
}, 60_000);

afterAll(async () => {
  await caddy?.close();
  await host?.close();
  await new Promise((r) => app?.server.close(r));
});

describe('forward-auth behind Caddy', () => {
  const appUrl = () => `http://app.${DOMAIN}:${port}/reports/q3?view=full`;

  it('signs a browser in through factorgate and hands the app who it is; a client\'s Remote-User never passes', async () => {
    const b = new RawBrowser();
    const before = app.seen.length;
    const first = await get(b, appUrl(), { 'remote-user': 'admin' });
    expect(first.status).toBe(302);
    const entry = location(first, appUrl());
    expect(entry).toBe(`http://auth.${DOMAIN}:${port}/forward-auth/login?rd=${encodeURIComponent(appUrl())}`);
    expect(app.seen.length).toBe(before);

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

    const page = await get(b, back, { 'remote-user': 'admin', 'remote-groups': 'admins', 'remote-mfa-methods': 'hardware' });
    expect(page.status).toBe(200);
    const seen = JSON.parse(page.body) as Record<string, string>;
    expect(seen['remote-user']).toBe('alice');
    expect(seen['remote-groups']).toBe('staff');
    expect(seen['remote-email']).toBe('alice@example.test');
    expect(seen['remote-name']).toBe('Alice Martin');
    expect(seen['remote-mfa-methods']).toBe('totp');

    // A fact factorgate sends empty (no email in the store any more) is empty at the app, not the client's.
    await host.host.api.store.db.updateTable('users').set({ email: null }).where('username', '=', 'alice').execute();
    const noEmail = JSON.parse((await get(b, back, { 'remote-email': 'forged@evil.example' })).body) as Record<string, string | undefined>;
    expect(noEmail['remote-user']).toBe('alice');
    expect(noEmail['remote-email'] ?? '').toBe('');

    // Signed out, the client's own Remote-User gets nowhere near the app.
    const out = await get(b, `http://auth.${DOMAIN}:${port}/forward-auth/logout?rd=${encodeURIComponent(appUrl())}`);
    expect(out.status).toBe(303);
    const count = app.seen.length;
    expect((await get(b, appUrl(), { 'remote-user': 'alice' })).status).toBe(302);
    expect(app.seen.length).toBe(count);
  });

  it('refuses a redirect target on another domain', async () => {
    for (const rd of ['https://evil.example/', `https://app.${DOMAIN}.evil.example/`]) {
      const reply = await get(new RawBrowser(), `http://auth.${DOMAIN}:${port}/forward-auth/login?rd=${encodeURIComponent(rd)}`);
      expect(reply.status, rd).toBe(400);
      expect(reply.headers.location, rd).toBeUndefined();
    }
  });
});
