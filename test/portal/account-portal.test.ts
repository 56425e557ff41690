/**
 * After signing in at `/login`: the signed-in page has its own title and links to the portal,
 * and the portal's front page lists the user's methods. Neither is open without a second factor.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/kit/clock.js';
import { decodeBase32, generateTotp } from '../../src/otp/index.js';
import { startHost, type RunningHost } from '../support/host-harness.js';
import { Browser, field, secretOnPage } from '../challenge/harness.js';

const clock = new ManualClock(Date.UTC(2026, 2, 1, 9, 0, 0));
let h: RunningHost;
beforeAll(async () => {
  h = await startHost({ clock });
});
afterAll(async () => {
  await h.close();
});

const titleOf = (body: string) => /<title>([^<]*)<\/title>/.exec(body)?.[1];

describe('the signed-in page and the portal', () => {
  it('sends a visitor without a session from /portal to /login', async () => {
    const r = await new Browser(h.url).get('/portal');
    expect(r.status).toBe(303);
    expect(r.headers.get('location')).toBe('/login');
  });

  it('does not open the portal to a password that has not passed the second step yet', async () => {
    const b = new Browser(h.url);
    const form = await b.get('/login');
    const r = await b.post('/login', { _csrf: field(form.body, '_csrf'), username: 'alice', password: 'alice-password-1' });
    expect(r.headers.get('location')).toMatch(/^\/mfa\//);
    expect((await b.get('/portal')).status).toBe(303);
    expect(titleOf((await b.get('/login')).body)).toMatch(/^Sign in/);
  });

  it('titles the signed-in page apart from the sign-in form and links it to the portal, which lists the methods', async () => {
    const b = new Browser(h.url);
    const form = await b.get('/login');
    expect(titleOf(form.body)).toMatch(/^Sign in/);
    const r = await b.post('/login', { _csrf: field(form.body, '_csrf'), username: 'alice', password: 'alice-password-1' });
    const path = r.headers.get('location')!;
    const enrol = await b.get(path);
    const secret = decodeBase32(secretOnPage(enrol.body));
    if (!secret.ok) throw new Error('no secret on the page');
    const done = await b.post(path, { _csrf: field(enrol.body, '_csrf'), method: field(enrol.body, 'method'), code: generateTotp(secret.bytes, clock.now()) });
    expect(done.headers.get('location')).toBe('/login');

    const signedIn = await b.get('/login');
    expect(titleOf(signedIn.body)).toMatch(/^You are signed in/);
    expect(signedIn.body).toContain('<h1>You are signed in</h1>');
    expect(signedIn.body).toContain('You are signed in as Alice Martin.');
    expect(signedIn.body).toMatch(/<a href="\/portal">Your account/);

    const portal = await b.get('/portal');
    expect(portal.status).toBe(200);
    expect(portal.headers.get('cache-control')).toBe('no-store');
    expect(titleOf(portal.body)).toMatch(/^Your account/);
    expect(portal.body).toContain('Signed in as Alice Martin.');
    expect(portal.body).toMatch(/<ul class="methods"[^>]*><li>Authenticator app/);
    expect(portal.body).toContain('action="/logout"');

    b.acceptLanguage = 'fr';
    expect(titleOf((await b.get('/login')).body)).toMatch(/^Vous êtes connecté/);
    expect(titleOf((await b.get('/portal')).body)).toMatch(/^Votre compte/);
  });
});
