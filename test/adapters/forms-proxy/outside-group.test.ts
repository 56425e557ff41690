/**
 * Issue 26 item 8 at the forms proxy, against a real slapd with a group filter: a user whose
 * password is right but whom the group filter leaves out gets the "not in the group" page and
 * NOT_IN_MFA_GROUP in the audit, in directory mode (factorgate checks the password) and in
 * upstream mode (the app said yes); the app's reply is never released and no user row is made.
 * Under `directory.outsideGroup: allow` the login is released at once, password only: the app's
 * session reaches the browser, no challenge is made, and the audit says why (method `none`,
 * NOT_IN_MFA_GROUP), as at /login.
 */
import { afterAll, beforeAll, afterEach, describe, expect, it } from 'vitest';
import { startSlapd, type Slapd } from '../../support/slapd.js';
import { slapdDirectoryConfig } from '../../support/ldap-directory-config.js';
import { auditOf, hasAppCookie, postLogin, startRig, type Rig } from './support/rig.js';
import { RawBrowser } from './support/raw-client.js';

let slapd: Slapd;
let rig: Rig | undefined;
beforeAll(async () => {
  slapd = await startSlapd({ users: 20 });
}, 60_000);
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});
afterAll(async () => {
  await slapd?.destroy();
});

const outsider = () => slapd.fixture.users.find((u) => !u.inMfaGroup && !u.disabled)!;

describe('forms-proxy: a user outside the directory group filter', () => {
  for (const primary of ['directory', 'upstream'] as const) {
    it(`${primary} mode: the right password gets the "not in the group" page, never the app`, async () => {
      const u = outsider();
      rig = await startRig({ primary }, { directory: slapdDirectoryConfig(slapd), legacyUsers: { [u.uid]: u.password } });
      const reply = await postLogin(new RawBrowser(), rig, { username: u.uid, password: u.password });
      expect(reply.status).toBe(403);
      expect(reply.body).toContain('This account cannot sign in here');
      expect(reply.body).toContain('your account is not in the group of users allowed to sign in through this service');
      expect(hasAppCookie(reply)).toBe(false);
      expect(await auditOf(rig)).toContainEqual(expect.objectContaining({ result: 'denied', deny_reason: 'NOT_IN_MFA_GROUP' }));
      expect(await rig.running.host.api.users.findByUsername(u.uid)).toBeNull();
    });
  }

  for (const primary of ['directory', 'upstream'] as const) {
    it(`${primary} mode, outsideGroup allow: the right password reaches the app without a second factor, audited`, async () => {
      const u = outsider();
      rig = await startRig({ primary }, { directory: slapdDirectoryConfig(slapd, { outsideGroup: 'allow' }), legacyUsers: { [u.uid]: u.password } });
      const b = new RawBrowser();
      const reply = await postLogin(b, rig, { username: u.uid, password: u.password });
      // The app's own reply to the login (its redirect and session cookie), not a challenge.
      expect(reply.status).toBe(302);
      expect(String(reply.headers.location)).not.toContain('/forms-proxy/start/');
      expect(hasAppCookie(reply)).toBe(true);
      // factorgate's session for the app came with it: a protected page opens.
      const secret = await b.send(rig.app, { path: '/secret' });
      expect(secret.status).toBe(200);
      expect(secret.body).toContain('id="secret"');

      const db = rig.running.host.api.store.db;
      const user = await rig.running.host.api.users.findByUsername(u.uid);
      expect(user).not.toBeNull();
      expect(user!.disabled).toBe(false);
      expect(await db.selectFrom('challenges').select('id').where('user_id', '=', user!.id).execute()).toEqual([]);
      const audit = await db.selectFrom('audit_events').select(['event', 'result', 'method', 'detail', 'deny_reason']).where('username', '=', u.uid).execute();
      expect(audit).toContainEqual(expect.objectContaining({ event: 'second-factor', result: 'success', method: 'none', detail: expect.stringContaining('NOT_IN_MFA_GROUP') }));
      expect(audit.filter((a) => a.result === 'denied')).toEqual([]);
    });
  }

  it('outsideGroup allow: a wrong password for that user is still refused (directory mode)', async () => {
    const u = outsider();
    rig = await startRig({ primary: 'directory' }, { directory: slapdDirectoryConfig(slapd, { outsideGroup: 'allow' }) });
    const b = new RawBrowser();
    const reply = await postLogin(b, rig, { username: u.uid, password: 'wrong-password' });
    expect(reply.status).toBe(401);
    expect(hasAppCookie(reply)).toBe(false);
    expect((await b.send(rig.app, { path: '/secret' })).status).toBe(302);
    expect(await auditOf(rig)).toMatchObject([{ result: 'denied', deny_reason: 'INVALID_CREDENTIALS' }]);
  });

  it('a wrong password for that user is refused as any wrong password (directory mode)', async () => {
    const u = outsider();
    rig = await startRig({ primary: 'directory' }, { directory: slapdDirectoryConfig(slapd) });
    const reply = await postLogin(new RawBrowser(), rig, { username: u.uid, password: 'wrong-password' });
    expect(reply.status).toBe(401);
    expect(reply.body).toContain('The username or password is incorrect.');
    expect(await auditOf(rig)).toMatchObject([{ result: 'denied', deny_reason: 'INVALID_CREDENTIALS' }]);
  });
});
