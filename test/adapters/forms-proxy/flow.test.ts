import { afterEach, describe, expect, it } from 'vitest';
import { RawBrowser } from './support/raw-client.js';
import { ALICE, completeChallenge, form, hasAppCookie, postLogin, startRig, URLENCODED, type Rig } from './support/rig.js';
import { CHALLENGE_TTL_MS } from './support/fake-host.js';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

describe('forms-proxy: sign-in through the proxy', () => {
  it('holds the app\'s successful reply until the second factor, then releases it with factorgate\'s session', async () => {
    rig = await startRig();
    const b = new RawBrowser();
    const held = await postLogin(b, rig);
    expect(held.status).toBe(303);
    expect(String(held.headers.location)).toMatch(new RegExp(`^${rig.host.publicUrl}/forms-proxy/start/`));
    expect(hasAppCookie(held)).toBe(false);
    expect(rig.legacy.logins).toEqual(['alice']);

    const { resumed } = await completeChallenge(b, rig, held);
    expect(resumed.status).toBe(303);
    expect(String(resumed.headers.location)).toMatch(new RegExp(`^${rig.app}/\\.factorgate/release\\?t=`));
    expect(hasAppCookie(resumed)).toBe(false);

    const released = await b.follow(resumed, rig.app);
    expect(released.status).toBe(302);
    expect(released.headers.location).toBe('/');
    expect(hasAppCookie(released)).toBe(true);
    expect(released.setCookies.some((c) => c.startsWith('fg_intranet=') && /HttpOnly/.test(c) && /SameSite=Lax/.test(c))).toBe(true);

    const home = await b.send(rig.app, { path: '/' });
    expect(home.status).toBe(200);
    expect(home.body).toContain('Welcome, alice.');
    expect(rig.host.audits.map((a) => `${a.event}:${a.result}`)).toEqual(['forms-proxy.login-held:info', 'forms-proxy.release:success']);
  });

  it('passes a failed login reply through untouched and starts no challenge', async () => {
    rig = await startRig();
    const b = new RawBrowser();
    const reply = await postLogin(b, rig, { username: 'alice', password: 'wrong' });
    expect(reply.status).toBe(200);
    expect(reply.body).toContain('Invalid username or password.');
    expect(rig.host.challenges.size).toBe(0);
    expect(rig.host.audits).toMatchObject([{ event: 'forms-proxy.login', result: 'failure', denyReason: 'APP_REFUSED', username: 'alice' }]);
  });

  it('releases a held reply exactly once', async () => {
    rig = await startRig();
    const b = new RawBrowser();
    const held = await postLogin(b, rig);
    const bindCookies = new Map(b.jar);
    const { resumed } = await completeChallenge(b, rig, held);
    const first = await b.follow(resumed, rig.app);
    expect(hasAppCookie(first)).toBe(true);

    // The same release link again, with the binding cookie put back: nothing more.
    const again = new RawBrowser();
    for (const [k, v] of bindCookies) again.jar.set(k, v);
    const second = await again.follow(resumed, rig.app);
    expect(second.status).toBe(410);
    expect(hasAppCookie(second)).toBe(false);
    expect(rig.host.logs.some((l) => l.includes('release refused'))).toBe(true);
  });

  it('does not release to another browser holding the release link', async () => {
    rig = await startRig();
    const victim = new RawBrowser();
    const held = await postLogin(victim, rig);
    const { resumed } = await completeChallenge(victim, rig, held);
    const thief = new RawBrowser();
    const stolen = await thief.follow(resumed, rig.app);
    expect(stolen.status).toBe(410);
    expect(hasAppCookie(stolen)).toBe(false);
    // The rightful browser still gets it.
    expect(hasAppCookie(await victim.follow(resumed, rig.app))).toBe(true);
  });

  it('never releases after the challenge expired', async () => {
    rig = await startRig();
    const b = new RawBrowser();
    const held = await postLogin(b, rig);
    const start = await b.follow(held, rig.host.publicUrl);
    rig.host.clock.advance(CHALLENGE_TTL_MS + 1000);
    const mfaPath = new URL(String(start.headers.location)).pathname;
    const resumed = await b.send(rig.host.publicUrl, { method: 'POST', path: mfaPath, headers: URLENCODED, body: form({ code: '123456' }) });
    expect(resumed.status).toBe(403);
    expect(hasAppCookie(resumed)).toBe(false);
    const row = await rig.host.store.db.selectFrom('forms_proxy_pending' as never).selectAll().executeTakeFirstOrThrow() as unknown as { state: string; held_enc: string };
    expect(row).toMatchObject({ state: 'denied', held_enc: '' });
  });

  it('never releases once the held login itself expired, even if the engine says verified', async () => {
    rig = await startRig({ pendingMinutes: 2 }, { challengeTtlMs: 60 * 60_000 });
    const b = new RawBrowser();
    const held = await postLogin(b, rig);
    const start = await b.follow(held, rig.host.publicUrl);
    rig.host.clock.advance(3 * 60_000);
    const mfaPath = new URL(String(start.headers.location)).pathname;
    const resumed = await b.send(rig.host.publicUrl, { method: 'POST', path: mfaPath, headers: URLENCODED, body: form({ code: '123456' }) });
    expect(resumed.status).toBe(410);
    expect(resumed.headers.location).toBeUndefined();
    expect(hasAppCookie(resumed)).toBe(false);
  });

  it('discards the held reply when the second factor fails', async () => {
    rig = await startRig();
    const b = new RawBrowser();
    const held = await postLogin(b, rig);
    const { resumed } = await completeChallenge(b, rig, held, '000000');
    expect(resumed.status).toBe(403);
    expect(hasAppCookie(resumed)).toBe(false);
    expect(rig.host.logs.some((l) => l.includes('second factor denied'))).toBe(true);
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
    // Public paths and the login form stay reachable.
    expect((await direct.send(rig.app, { path: '/public/style.css' })).status).toBe(200);
    expect((await direct.send(rig.app, { path: '/Account/Login' })).status).toBe(200);
  });

  it('ends both sessions at the logout path', async () => {
    rig = await startRig();
    const b = new RawBrowser();
    const { resumed } = await completeChallenge(b, rig, await postLogin(b, rig));
    await b.follow(resumed, rig.app);
    expect((await b.send(rig.app, { path: '/secret' })).status).toBe(200);
    const out = await b.send(rig.app, { path: '/logout' });
    expect(out.status).toBe(302);
    expect(out.setCookies.some((c) => /^fg_intranet=;.*Max-Age=0/.test(c))).toBe(true);
    expect(out.setCookies.some((c) => c.startsWith('.ASPXAUTH=;'))).toBe(true);
    expect(b.jar.has('fg_intranet')).toBe(false);
    expect((await b.send(rig.app, { path: '/secret' })).status).toBe(302);
  });

  it('ends factorgate\'s session after the idle time', async () => {
    rig = await startRig({ session: { idleMinutes: 5, absoluteMinutes: 60 } });
    const b = new RawBrowser();
    const { resumed } = await completeChallenge(b, rig, await postLogin(b, rig));
    await b.follow(resumed, rig.app);
    expect((await b.send(rig.app, { path: '/secret' })).status).toBe(200);
    rig.host.clock.advance(6 * 60_000);
    expect((await b.send(rig.app, { path: '/secret' })).status).toBe(302);
  });

  it('withholds the app\'s session cookie set outside the configured login paths', async () => {
    // A login path the adapter was not told about: the app's reply still cannot sign anyone in.
    rig = await startRig({ loginPaths: ['/SomewhereElse'], protect: 'none' });
    const b = new RawBrowser();
    const reply = await b.send(rig.app, { method: 'POST', path: '/Account/Login', headers: URLENCODED, body: form(ALICE) });
    expect(reply.status).toBe(302);
    expect(hasAppCookie(reply)).toBe(false);
    expect(rig.host.logs.some((l) => l.includes('app set its session cookie outside the login flow'))).toBe(true);
  });

  it('answers a 502 page and a log line when the app is down, and keeps serving', async () => {
    rig = await startRig({}, { legacyDown: true });
    const b = new RawBrowser();
    const page = await b.send(rig.app, { path: '/public/style.css' });
    expect(page.status).toBe(502);
    expect(page.body).toContain('error.UPSTREAM_UNAVAILABLE');
    const login = await postLogin(b, rig);
    expect(login.status).toBe(502);
    expect(rig.host.logs.filter((l) => l.includes('upstream app unreachable') || l.includes('UPSTREAM_UNAVAILABLE')).length).toBeGreaterThanOrEqual(2);
    expect(page.body).not.toMatch(/ECONNREFUSED|at .*\.ts/);
  });

  it('never logs the password or the held reply', async () => {
    rig = await startRig();
    const b = new RawBrowser();
    const held = await postLogin(b, rig);
    const { resumed } = await completeChallenge(b, rig, held);
    const released = await b.follow(resumed, rig.app);
    const ticket = released.setCookies.find((c) => c.startsWith('.ASPXAUTH='))!.split(';')[0]!.split('=')[1]!;
    const all = rig.host.logs.join('\n');
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
    const { resumed } = await completeChallenge(b, rig, held);
    const released = await b.follow(resumed, rig.app);
    expect(released.status).toBe(302);
    expect(hasAppCookie(released)).toBe(true);
    expect(rig.legacy.logins).toEqual(['alice']);
    expect((await b.send(rig.app, { path: '/' })).body).toContain('Welcome, alice.');
  });

  it('refuses a wrong directory password without reaching the app', async () => {
    rig = await startRig({ primary: 'directory' });
    const b = new RawBrowser();
    const reply = await postLogin(b, rig, { username: 'alice', password: 'nope' });
    expect(reply.status).toBe(401);
    expect(rig.legacy.logins).toEqual([]);
    expect(rig.host.audits).toMatchObject([{ result: 'denied', denyReason: 'INVALID_CREDENTIALS' }]);
  });
});
