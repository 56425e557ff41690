/**
 * The sign-in flow through the proxy, in the real host: the app's successful reply is held
 * until the second factor, released once to the browser that began it, and never otherwise.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { generateTotp } from '../../../src/otp/index.js';
import { continueUrlOf } from '../../../adapters/forms-proxy/continue-page.js';
import { RawBrowser } from './support/raw-client.js';
import { ALICE, auditOf, CHALLENGE_TTL_MS, form, hasAppCookie, passChallenge, postLogin, signedIn, startRig, URLENCODED, type Rig } from './support/rig.js';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

const wrongCode = (r: Rig) => (s: Buffer) => (generateTotp(s, r.clock.now()) === '000000' ? '111111' : '000000');

async function pendingRows(r: Rig): Promise<{ state: string; held_enc: string }[]> {
  return (await r.running.host.api.store.db.selectFrom('forms_proxy_pending' as never).selectAll().execute()) as unknown as { state: string; held_enc: string }[];
}

describe('forms-proxy: sign-in through the proxy', () => {
  it('holds the app\'s successful reply until the second factor, then releases it with factorgate\'s session', async () => {
    rig = await startRig();
    const b = new RawBrowser();
    const held = await postLogin(b, rig);
    expect(held.status).toBe(303);
    expect(String(held.headers.location)).toMatch(new RegExp(`^${rig.main}/forms-proxy/start/`));
    expect(hasAppCookie(held)).toBe(false);
    expect(rig.legacy.logins).toEqual(['alice']);

    const { resumed, secret } = await passChallenge(b, rig, held);
    // A page that moves on to the app's origin (a redirect would break CSP form-action).
    expect(resumed.status).toBe(200);
    expect(continueUrlOf(resumed.body)).toMatch(new RegExp(`^${rig.app}/\\.factorgate/release\\?t=`));
    expect(resumed.headers['referrer-policy']).toBe('no-referrer');
    expect(hasAppCookie(resumed)).toBe(false);

    const released = await b.follow(resumed, rig.app);
    expect(released.status).toBe(302);
    expect(released.headers.location).toBe('/');
    expect(hasAppCookie(released)).toBe(true);
    expect(released.setCookies.some((c) => c.startsWith('fg_intranet=') && /HttpOnly/.test(c) && /SameSite=Lax/.test(c))).toBe(true);
    expect((await b.send(rig.app, { path: '/' })).body).toContain('Welcome, alice.');

    // The next sign-in answers the challenge with the TOTP enrolled the first time.
    rig.clock.advance(60_000);
    const b2 = new RawBrowser();
    const second = await passChallenge(b2, rig, await postLogin(b2, rig), { secret });
    expect(hasAppCookie(await b2.follow(second.resumed, rig.app))).toBe(true);
    const events = (await auditOf(rig)).map((a) => `${a.event}:${a.result}`);
    expect(events.filter((e) => e === 'forms-proxy.login-held:info')).toHaveLength(2);
    expect(events.filter((e) => e === 'forms-proxy.release:success')).toHaveLength(2);
  });

  it('passes a failed login reply through untouched and starts no challenge', async () => {
    rig = await startRig();
    const reply = await postLogin(new RawBrowser(), rig, { username: 'alice', password: 'wrong' });
    expect(reply.status).toBe(200);
    expect(reply.body).toContain('Invalid username or password.');
    expect(await rig.running.host.api.store.db.selectFrom('challenges').selectAll().execute()).toHaveLength(0);
    expect(await auditOf(rig)).toMatchObject([{ event: 'forms-proxy.login', result: 'failure', deny_reason: 'APP_REFUSED', username: 'alice' }]);
  });

  it('releases a held reply exactly once', async () => {
    rig = await startRig();
    const b = new RawBrowser();
    const held = await postLogin(b, rig);
    const bindCookies = new Map(b.jar);
    const { resumed } = await passChallenge(b, rig, held);
    expect(hasAppCookie(await b.follow(resumed, rig.app))).toBe(true);

    // The same release link again, even with the binding cookie put back: nothing more.
    const again = new RawBrowser();
    for (const [k, v] of bindCookies) again.jar.set(k, v);
    const second = await again.follow(resumed, rig.app);
    expect(second.status).toBe(410);
    expect(hasAppCookie(second)).toBe(false);
    expect(rig.logs.some((l) => l.includes('release refused'))).toBe(true);
    expect(await pendingRows(rig)).toMatchObject([{ state: 'released', held_enc: '' }]);
  });

  it('does not release to another browser holding the release link', async () => {
    rig = await startRig();
    const victim = new RawBrowser();
    const { resumed } = await passChallenge(victim, rig, await postLogin(victim, rig));
    const stolen = await new RawBrowser().follow(resumed, rig.app);
    expect(stolen.status).toBe(410);
    expect(hasAppCookie(stolen)).toBe(false);
    expect(hasAppCookie(await victim.follow(resumed, rig.app))).toBe(true);
  });

  it('never releases after the challenge expired', async () => {
    rig = await startRig();
    const b = new RawBrowser();
    const r = rig;
    const { resumed } = await passChallenge(b, rig, await postLogin(b, rig), { beforeAnswer: () => r.clock.advance(CHALLENGE_TTL_MS + 1000) });
    expect(resumed.body).not.toContain('/.factorgate/release');
    expect(hasAppCookie(resumed)).toBe(false);
    expect(await pendingRows(rig)).toMatchObject([{ state: 'denied', held_enc: '' }]);
  });

  it('never releases once the held login itself expired, even when the challenge is answered in time', async () => {
    rig = await startRig({ pendingMinutes: 2 });
    const b = new RawBrowser();
    const r = rig;
    const { resumed } = await passChallenge(b, rig, await postLogin(b, rig), { beforeAnswer: () => r.clock.advance(3 * 60_000) });
    expect(resumed.status).toBe(410);
    expect(continueUrlOf(resumed.body)).toBeNull();
    expect(hasAppCookie(resumed)).toBe(false);
    expect(rig.logs.some((l) => l.includes('held login expired or already verified'))).toBe(true);
  });

  it('discards the held reply when the second factor fails', async () => {
    rig = await startRig();
    const b = new RawBrowser();
    const { resumed } = await passChallenge(b, rig, await postLogin(b, rig), { code: wrongCode(rig) });
    expect(resumed.status).toBe(401);
    expect(hasAppCookie(resumed)).toBe(false);
    expect(await pendingRows(rig)).toMatchObject([{ state: 'challenging' }]);
  });

  it('keeps protected pages closed to the app\'s own cookie without factorgate\'s session', async () => {
    rig = await startRig();
    // A .ASPXAUTH obtained straight from the app (the password alone).
    const direct = new RawBrowser();
    await direct.send(rig.legacy.url, { method: 'POST', path: '/Account/Login', headers: URLENCODED, body: form(ALICE) });
    expect(direct.jar.has('.ASPXAUTH')).toBe(true);
    const page = await direct.send(rig.app, { path: '/secret' });
    expect(page.status).toBe(302);
    expect(page.headers.location).toBe('/Account/Login');
    expect(page.body).not.toContain('payroll');
    expect((await direct.send(rig.app, { path: '/public/style.css' })).status).toBe(200);
    expect((await direct.send(rig.app, { path: '/Account/Login' })).status).toBe(200);
    expect((await direct.send(rig.app, { method: 'POST', path: '/echo' })).status).toBe(401);
  });

  it('ends both sessions at the logout path', async () => {
    rig = await startRig();
    const { browser: b } = await signedIn(rig);
    expect((await b.send(rig.app, { path: '/secret' })).status).toBe(200);
    const out = await b.send(rig.app, { path: '/logout' });
    expect(out.status).toBe(302);
    expect(out.setCookies.some((c) => /^fg_intranet=;.*Max-Age=0/.test(c))).toBe(true);
    expect(out.setCookies.some((c) => c.startsWith('.ASPXAUTH=;'))).toBe(true);
    expect(b.jar.has('fg_intranet')).toBe(false);
    expect((await b.send(rig.app, { path: '/secret' })).status).toBe(302);
  });

  it('ends factorgate\'s session after the idle time and after the absolute time', async () => {
    rig = await startRig({ session: { idleMinutes: 5, absoluteMinutes: 12 } });
    const { browser: b, secret } = await signedIn(rig);
    rig.clock.advance(4 * 60_000);
    expect((await b.send(rig.app, { path: '/secret' })).status).toBe(200);
    rig.clock.advance(4 * 60_000);
    expect((await b.send(rig.app, { path: '/secret' })).status).toBe(200);
    rig.clock.advance(4 * 60_000 + 1);
    expect((await b.send(rig.app, { path: '/secret' })).status).toBe(302);

    const { browser: idle } = await signedIn(rig, secret);
    rig.clock.advance(5 * 60_000 + 1);
    expect((await idle.send(rig.app, { path: '/secret' })).status).toBe(302);
  });

  it('withholds the app\'s session cookie set outside the configured login paths', async () => {
    // A login path the adapter was not told about: the app's reply still cannot sign anyone in.
    rig = await startRig({ loginPaths: ['/SomewhereElse'], protect: 'none' });
    const reply = await postLogin(new RawBrowser(), rig);
    expect(reply.status).toBe(302);
    expect(hasAppCookie(reply)).toBe(false);
    expect(rig.logs.some((l) => l.includes('app set its session cookie outside the login flow'))).toBe(true);
  });

  it('answers the host\'s 502 page and a log line when the app is down, and keeps serving', async () => {
    rig = await startRig({}, { legacyDown: true });
    const b = new RawBrowser();
    const page = await b.send(rig.app, { path: '/public/style.css' });
    expect(page.status).toBe(502);
    expect(page.body).toContain('is not answering');
    expect(page.body).not.toMatch(/ECONNREFUSED|\bat .*\(/);
    const login = await postLogin(b, rig);
    expect(login.status).toBe(502);
    expect(rig.logs.filter((l) => l.includes('upstream app unreachable') || l.includes('UPSTREAM_UNAVAILABLE')).length).toBeGreaterThanOrEqual(2);
    expect((await fetch(`${rig.main}/healthz`)).status).toBe(200);
  });

  it('never logs the password or the held reply', async () => {
    rig = await startRig();
    const b = new RawBrowser();
    const { resumed } = await passChallenge(b, rig, await postLogin(b, rig));
    const released = await b.follow(resumed, rig.app);
    const ticket = released.setCookies.find((c) => c.startsWith('.ASPXAUTH='))!.split(';')[0]!.split('=')[1]!;
    const all = rig.logs.join('\n');
    expect(all).not.toContain(ALICE.password);
    expect(all).not.toContain(ticket);
  });
});

describe('forms-proxy: primary directory', () => {
  it('checks the password against the directory, runs the challenge, then forwards the original POST', async () => {
    rig = await startRig({ primary: 'directory' });
    const b = new RawBrowser();
    const held = await postLogin(b, rig);
    expect(held.status).toBe(303);
    expect(rig.legacy.logins).toEqual([]);
    const { resumed } = await passChallenge(b, rig, held);
    const released = await b.follow(resumed, rig.app);
    expect(released.status).toBe(302);
    expect(hasAppCookie(released)).toBe(true);
    expect(rig.legacy.logins).toEqual(['alice']);
    expect((await b.send(rig.app, { path: '/' })).body).toContain('Welcome, alice.');
  });

  it('refuses a wrong directory password without reaching the app', async () => {
    rig = await startRig({ primary: 'directory' });
    const reply = await postLogin(new RawBrowser(), rig, { username: 'alice', password: 'nope' });
    expect(reply.status).toBe(401);
    expect(rig.legacy.logins).toEqual([]);
    expect(await auditOf(rig)).toMatchObject([{ result: 'denied', deny_reason: 'INVALID_CREDENTIALS' }]);
  });
});
