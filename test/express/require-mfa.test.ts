/**
 * `requireMfa()` without passport (a `getUser` callback and the options inline), against a real
 * factorgate host with the embed adapter and a fake clock shared by both sides: the round trip
 * with the session id renewed and the result stripped from the address; a form post without a
 * recent factor gets 401, not a redirect; a factor older than maxAge sends the user back to
 * factorgate; the result signing key rolls over after signingKeyLifetime, its successor
 * published ahead, the old key in the JWKS one more day, then gone.
 */
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import express from 'express';
import session from 'express-session';
import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embedAdapter } from '../../adapters/embed/index.js';
import type { AdapterDefinition } from '../../src/api/host-api.js';
import { requireMfa } from '../../src/express/index.js';
import { ManualClock } from '../../src/kit/clock.js';
import { generateTotp } from '../../src/otp/index.js';
import { RawBrowser, type RawReply } from '../adapters/forms-proxy/support/raw-client.js';
import { field, form, secretOnPage, URLENCODED } from '../adapters/forms-proxy/support/rig.js';
import { freePort } from '../support/free-port.js';
import { startHost, type RunningHost } from '../support/host-harness.js';
import { decodeHtml } from '../support/html-text.js';

const clock = new ManualClock(Date.UTC(2026, 2, 1, 9, 0, 0));
const secret = randomBytes(32).toString('base64url');
let host: RunningHost;
let server: Server;
let appUrl: string;
let totpSecret: Buffer | null = null;

declare module 'express-session' {
  interface SessionData {
    user?: string;
  }
}

beforeAll(async () => {
  const appPort = await freePort();
  appUrl = `http://127.0.0.1:${appPort}`;
  host = await startHost({
    clock,
    adapters: [embedAdapter as AdapterDefinition],
    config: { challenge: { enrolmentPolicy: 'enroll' }, adapters: { embed: { signingKeyLifetime: '1h', clients: [{ id: 'intranet', secret, returnUrls: [`${appUrl}/`] }] } } },
  });
  const app = express();
  app.use(session({ secret: 'test-session-secret', resave: false, saveUninitialized: false }));
  app.get('/login', (req, res) => {
    req.session.user = String(req.query.user);
    res.send('signed in');
  });
  const mfa = requireMfa({ maxAge: '15m', getUser: (req) => req.session.user, factorgate: { url: host.url, client: 'intranet', secret, now: () => clock.now(), onRefused: () => undefined } });
  app.get('/reports', mfa, (req, res) => res.json((req as unknown as { factorgate: unknown }).factorgate));
  app.post('/reports', mfa, (_req, res) => res.send('posted'));
  // Another app instance (its own key-set cache, first fetched when a result arrives).
  app.get('/fresh', requireMfa({ getUser: (req) => req.session.user, factorgate: { url: host.url, client: 'intranet', secret, now: () => clock.now() } }), (_req, res) => res.send('fresh'));
  await new Promise<void>((resolve) => {
    server = app.listen(appPort, '127.0.0.1', () => resolve());
  });
});

afterAll(async () => {
  await new Promise((r) => server?.close(r));
  await host?.close();
});

const get = (b: RawBrowser, url: string): Promise<RawReply> => {
  const u = new URL(url);
  return b.send(u.origin, { path: u.pathname + u.search });
};

/** From the app's redirect to factorgate, through the challenge, to the app's URL carrying the result. */
async function challenge(b: RawBrowser, toFactorgate: RawReply): Promise<string> {
  expect(toFactorgate.status).toBe(303);
  const start = String(toFactorgate.headers.location);
  expect(start.startsWith(`${host.url}/embed/start?token=`)).toBe(true);
  const began = await get(b, start);
  expect(began.status).toBe(303);
  const challengeUrl = new URL(String(began.headers.location), host.url).href;
  const page = await get(b, challengeUrl);
  totpSecret ??= secretOnPage(page.body);
  const u = new URL(challengeUrl);
  const done = await b.send(u.origin, { method: 'POST', path: u.pathname, headers: URLENCODED, body: form({ _csrf: field(page.body, '_csrf'), method: field(page.body, 'method'), code: generateTotp(totpSecret, clock.now()) }) });
  expect(done.status).toBe(200);
  const m = /<meta http-equiv="refresh" content="0;url=([^"]+)">/.exec(done.body);
  expect(m).not.toBeNull();
  return decodeHtml(m![1]!);
}

async function jwksKids(): Promise<string[]> {
  const { keys } = (await (await fetch(`${host.url}/embed/jwks.json`)).json()) as { keys: Array<{ kid: string }> };
  return keys.map((k) => k.kid);
}

describe('requireMfa without passport', () => {
  let firstKid = '';

  it('sends the user to factorgate and back, renews the session id and strips the result', async () => {
    const b = new RawBrowser();
    await get(b, `${appUrl}/login?user=alice`);
    const before = b.jar.get('connect.sid');
    const back = await challenge(b, await get(b, `${appUrl}/reports?q=3`));
    expect(back.startsWith(`${appUrl}/reports?q=3&fg_result=`)).toBe(true);
    firstKid = String(decodeProtectedHeader(new URL(back).searchParams.get('fg_result')!).kid);
    const landed = await get(b, back);
    expect(landed.status).toBe(303);
    expect(landed.headers.location).toBe(`${appUrl}/reports?q=3`);
    expect(b.jar.get('connect.sid')).not.toBe(before);
    const page = await get(b, `${appUrl}/reports?q=3`);
    expect(page.status).toBe(200);
    expect(JSON.parse(page.body)).toEqual({ user: 'alice', methods: ['totp'], at: clock.now() - (clock.now() % 1000), multiFactor: true });

    // A post with a fresh factor passes; the session id of before the factor opens nothing.
    expect((await b.send(appUrl, { method: 'POST', path: '/reports' })).status).toBe(200);
    const stale = await b.send(appUrl, { path: '/reports', headers: { cookie: `connect.sid=${before}` } });
    expect(stale.status).toBe(401);
  });

  it('answers a form post without a recent factor with 401, and asks again once maxAge has passed', async () => {
    const b = new RawBrowser();
    await get(b, `${appUrl}/login?user=alice`);
    const post = await b.send(appUrl, { method: 'POST', path: '/reports' });
    expect(post.status).toBe(401);
    expect(post.headers.location).toBeUndefined();

    clock.advance(31_000); // the next TOTP step: a code is used once
    const back = await challenge(b, await get(b, `${appUrl}/reports`));
    expect((await get(b, back)).status).toBe(303);
    expect((await get(b, `${appUrl}/reports`)).status).toBe(200);
    clock.advance(14 * 60_000);
    expect((await get(b, `${appUrl}/reports`)).status).toBe(200);
    clock.advance(61_000);
    const again = await get(b, `${appUrl}/reports`);
    expect(again.status).toBe(303);
    expect(String(again.headers.location).startsWith(`${host.url}/embed/start?token=`)).toBe(true);
  });

  it('rolls the result signing key over: the successor published ahead, the old one one more day', async () => {
    expect(await jwksKids()).toEqual([firstKid]);
    // Half an hour before the key retires (lifetime 1h here), its successor is in the JWKS.
    clock.advance(40 * 60_000);
    const kids = await jwksKids();
    expect(kids).toHaveLength(2);
    expect(kids[1]).toBe(firstKid);
    const successor = kids[0]!;
    clock.advance(5 * 60_000);
    const b = new RawBrowser();
    await get(b, `${appUrl}/login?user=alice`);
    const back = await challenge(b, await get(b, `${appUrl}/fresh`));
    expect(decodeProtectedHeader(new URL(back).searchParams.get('fg_result')!).kid).toBe(successor);
    expect((await get(b, back)).status).toBe(303);
    expect((await get(b, `${appUrl}/fresh`)).status).toBe(200);
    clock.advance(86_400_000);
    expect(await jwksKids()).not.toContain(firstKid);
  });
});
