/**
 * Regulation on the forms proxy's intercepted login POST (issue 16 item 1): checked before the
 * app (or the directory) is asked, a login the app refuses counts as a failure, one neutral
 * "wait" page and one audit record per refused try.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { RawBrowser } from './support/raw-client.js';
import { ALICE, hasAppCookie, passChallenge, postLogin, startRig, type Rig } from './support/rig.js';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

const WAIT = 'Too many sign-in attempts. Wait a few minutes, then try again.';

async function auditRows(r: Rig) {
  return r.running.host.api.store.db.selectFrom('audit_events').selectAll().where('adapter', '=', 'forms-proxy').orderBy('ts').execute();
}

describe('forms-proxy: regulation of the intercepted login', () => {
  it('counts the app\'s refusals and, past the limit, refuses before the app is asked — the right password too, until the ban ends', async () => {
    rig = await startRig();
    for (let i = 0; i < 5; i++) {
      const reply = await postLogin(new RawBrowser(), rig, { username: 'alice', password: `guess-${i}` });
      expect(reply.status).toBe(200); // the app's own "invalid" page, passed through
      expect(reply.body).toContain('Invalid username or password.');
    }
    expect(rig.legacy.attempts).toHaveLength(5);

    const refused = await postLogin(new RawBrowser(), rig);
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe('300');
    expect(refused.body).toContain(WAIT);
    expect(hasAppCookie(refused)).toBe(false);
    expect(rig.legacy.attempts).toHaveLength(5);
    expect(rig.legacy.logins).toEqual([]);

    const rows = await auditRows(rig);
    expect(rows.filter((r) => r.deny_reason === 'APP_REFUSED')).toHaveLength(5);
    expect(rows.filter((r) => r.deny_reason === 'RATE_LIMITED')).toMatchObject([{ event: 'forms-proxy.login', result: 'denied', username: 'alice', relying_party: 'intranet', client_ip: '127.0.0.1' }]);
    expect(rig.logs.some((l) => l.includes(ALICE.password) || l.includes('guess-0'))).toBe(false);

    rig.clock.advance(5 * 60_000);
    const held = await postLogin(new RawBrowser(), rig);
    expect(held.status).toBe(303);
    expect(rig.legacy.logins).toEqual(['alice']);
  });

  it('in directory mode, refuses before the directory and the app, and a right password resets the count', async () => {
    rig = await startRig({ primary: 'directory' });
    for (let i = 0; i < 4; i++) expect((await postLogin(new RawBrowser(), rig, { username: 'alice', password: 'nope' })).status).toBe(401);
    const b = new RawBrowser();
    const held = await postLogin(b, rig);
    expect(held.status).toBe(303);
    const { resumed } = await passChallenge(b, rig, held);
    expect(hasAppCookie(await b.follow(resumed, rig.app))).toBe(true);
    // The success cleared the run: five more wrong ones before the refusal.
    for (let i = 0; i < 5; i++) expect((await postLogin(new RawBrowser(), rig, { username: 'alice', password: 'nope' })).status).toBe(401);
    const refused = await postLogin(new RawBrowser(), rig);
    expect(refused.status).toBe(429);
    expect(refused.body).toContain(WAIT);
    expect(rig.legacy.attempts).toEqual(['alice']); // only the forwarded login after the factor
    expect((await auditRows(rig)).filter((r) => r.deny_reason === 'RATE_LIMITED')).toHaveLength(1);
  });

  it('names the client from X-Forwarded-For when the peer is a trusted proxy', async () => {
    rig = await startRig({ trustedProxies: ['loopback'] });
    const xff = (ip: string) => ({ 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': ip });
    const body = new URLSearchParams({ username: 'bob', password: 'nope' }).toString();
    await new RawBrowser().send(rig.app, { method: 'POST', path: '/Account/Login', headers: xff('198.51.100.9'), body });
    const rows = await auditRows(rig);
    expect(rows.at(-1)).toMatchObject({ deny_reason: 'APP_REFUSED', client_ip: '198.51.100.9' });
  });
});
