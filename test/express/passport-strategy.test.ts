/**
 * FactorgateStrategy as passport runs it, the issue's own two lines: `passport.use(new
 * FactorgateStrategy(…))` and `requireMfa({ maxAge })` with no strategy named. A route of the
 * app's own, `passport.authenticate('factorgate', { keepSessionInfo: true })`, sends the
 * passport user to factorgate and, with the result, logs them in again with `req.user.mfa`;
 * `requireMfa` then finds the factor in the session. A result delivered to a route guarded by
 * the strategy in another browser fails with passport's 401.
 */
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import express from 'express';
import session from 'express-session';
import passport from 'passport';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embedAdapter } from '../../adapters/embed/index.js';
import type { AdapterDefinition } from '../../src/api/host-api.js';
import { FactorgateStrategy, requireMfa } from '../../src/express/index.js';
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

beforeAll(async () => {
  const appPort = await freePort();
  appUrl = `http://127.0.0.1:${appPort}`;
  host = await startHost({ clock, adapters: [embedAdapter as AdapterDefinition], config: { challenge: { enrolmentPolicy: 'enroll' }, adapters: { embed: { clients: [{ id: 'intranet', secret, returnUrls: [`${appUrl}/`] }] } } } });
  const app = express();
  app.use(session({ secret: 'test-session-secret', resave: false, saveUninitialized: false }));
  app.use(passport.initialize());
  app.use(passport.session());
  passport.serializeUser((user, done) => done(null, user));
  passport.deserializeUser((user: Express.User, done) => done(null, user));
  passport.use(new FactorgateStrategy({ url: host.url, client: 'intranet', secret, now: () => clock.now(), onRefused: () => undefined }));
  app.get('/login', (req, res, next) => req.login({ username: String(req.query.user) }, (err) => (err ? next(err) : res.send('signed in'))));
  app.get('/step-up', passport.authenticate('factorgate', { keepSessionInfo: true }), (req, res) => res.json(req.user));
  app.get('/payroll', requireMfa({ maxAge: '8h' }), (req, res) => res.json(req.user));
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

describe('FactorgateStrategy under passport', () => {
  it('steps a passport user up through factorgate, and requireMfa sees the factor', async () => {
    const b = new RawBrowser();
    await get(b, `${appUrl}/login?user=bob`);
    expect((await get(b, `${appUrl}/payroll`)).status).toBe(303);
    const out = await get(b, `${appUrl}/step-up`);
    expect(out.status).toBe(303);
    const began = await get(b, String(out.headers.location));
    const challengeUrl = new URL(String(began.headers.location), host.url);
    const page = await get(b, challengeUrl.href);
    const done = await b.send(challengeUrl.origin, {
      method: 'POST',
      path: challengeUrl.pathname,
      headers: URLENCODED,
      body: form({ _csrf: field(page.body, '_csrf'), method: field(page.body, 'method'), code: generateTotp(secretOnPage(page.body), clock.now()) }),
    });
    const back = decodeHtml(/content="0;url=([^"]+)"/.exec(done.body)![1]!);
    expect(back.startsWith(`${appUrl}/step-up?fg_result=`)).toBe(true);

    // Another browser, signed in as bob too, cannot use the result: passport answers 401.
    const other = new RawBrowser();
    await get(other, `${appUrl}/login?user=bob`);
    expect((await get(other, back)).status).toBe(401);

    const landed = await get(b, back);
    expect(landed.status).toBe(200);
    expect(JSON.parse(landed.body)).toEqual({ username: 'bob', mfa: { methods: ['totp'], at: clock.now() - (clock.now() % 1000) } });
    const payroll = await get(b, `${appUrl}/payroll`);
    expect(payroll.status).toBe(200);
    expect(JSON.parse(payroll.body)).toMatchObject({ username: 'bob', mfa: { methods: ['totp'] } });
    // The same result once more: refused.
    expect((await get(b, back)).status).toBe(401);
  });
});
