/**
 * Primary authentication and lookups against a real OpenLDAP slapd holding an AD-like tree.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSlapd, freePort, type Slapd } from '../../support/slapd.js';
import { captureLogger } from '../../support/ldap-log.js';
import { slapdDirectory } from '../../support/ldap-directory-config.js';
import { ODD_UIDS, type FixtureUser } from '../../support/ldap-fixture.js';
import { LdapDirectory } from '../../../src/directory/ldap/ldap-directory.js';
import { guidFromBytes } from '../../../src/directory/ldap/map-entry.js';
import { isFactorgateError } from '../../../src/kit/errors.js';
import type { DirectoryUser } from '../../../src/directory/directory.js';

let slapd: Slapd;
let dir: LdapDirectory;
const log = captureLogger();

const user = (uid: string): FixtureUser => slapd.fixture.users.find((u) => u.uid === uid)!;
const firstWhere = (pred: (u: FixtureUser) => boolean): FixtureUser => slapd.fixture.users.find(pred)!;

beforeAll(async () => {
  slapd = await startSlapd({ users: 400 });
  dir = slapdDirectory(slapd, {}, log.logger);
});

afterAll(async () => {
  await dir?.close();
  await slapd?.destroy();
});

describe('LdapDirectory against slapd: sign-in', () => {
  it('accepts the right password and maps the AD attributes', async () => {
    const u = firstWhere((x) => x.index > 20 && x.inMfaGroup && !x.disabled && !!x.mail && !!x.phone && !!x.mobile);
    const result = await dir.authenticate(u.uid, u.password);
    expect(result.ok).toBe(true);
    const got = (result as { user: DirectoryUser }).user;
    expect(got).toMatchObject({
      externalId: guidFromBytes(u.objectGuid),
      username: u.uid,
      upn: `${u.uid}@corp.example`,
      givenName: u.givenName,
      surname: u.surname,
      email: u.mail,
      phone: u.phone,
      mobile: u.mobile,
      disabled: false,
    });
    expect(got.externalId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  it('refuses a wrong password and an unknown user with the same answer', async () => {
    const u = firstWhere((x) => x.index > 20 && x.inMfaGroup && !x.disabled);
    expect(await dir.authenticate(u.uid, 'wrong-password')).toEqual({ ok: false, reason: 'INVALID_CREDENTIALS' });
    expect(await dir.authenticate('nobody-here', 'wrong-password')).toEqual({ ok: false, reason: 'INVALID_CREDENTIALS' });
  });

  it('refuses an empty password before any bind (RFC 4513 §5.1.2 unauthenticated bind)', async () => {
    // Points at a port nothing listens on: any network step would end in DIRECTORY_UNAVAILABLE.
    const nowhere = slapdDirectory(slapd, { urls: [`ldap://127.0.0.1:${await freePort()}`] });
    expect(await nowhere.authenticate('admin', '')).toEqual({ ok: false, reason: 'EMPTY_PASSWORD' });
    expect(await dir.authenticate(user('admin').uid, '')).toEqual({ ok: false, reason: 'EMPTY_PASSWORD' });
    await nowhere.close();
  });

  it('treats filter syntax in the sign-in name as literal text (RFC 4515 §3)', async () => {
    const admin = user('admin');
    for (const attempt of ['*', 'admin)(uid=*', '*)(|(uid=*', 'adm*', 'admin\\', '\\2a', 'admin\0', '\0', '(uid=admin)', 'admin)(|(objectClass=*']) {
      expect(await dir.authenticate(attempt, admin.password), attempt).toEqual({ ok: false, reason: 'INVALID_CREDENTIALS' });
      expect(await dir.find(attempt), attempt).toBeNull();
    }
  });

  it('signs in users whose names hold filter and DN special characters, and Unicode', async () => {
    const odd = ODD_UIDS.map(user).filter((u) => u.inMfaGroup && !u.disabled);
    expect(odd.length).toBeGreaterThanOrEqual(12);
    for (const u of odd) {
      const result = await dir.authenticate(u.uid, u.password);
      expect(result.ok, u.uid).toBe(true);
      expect((result as { user: DirectoryUser }).user.username).toBe(u.uid);
    }
    const z = user('ζωή');
    expect(((await dir.authenticate(z.uid, z.password)) as { user: DirectoryUser }).user.givenName).toBe(z.givenName);
  });

  it('matches the sign-in name case-insensitively and also by userPrincipalName', async () => {
    const u = user("o'brien");
    expect((await dir.authenticate("O'BRIEN", u.password)).ok).toBe(true);
    expect((await dir.authenticate("o'brien@corp.example", u.password)).ok).toBe(true);
  });

  it('denies an account disabled by userAccountControl bit 2, and reveals it only with the right password', async () => {
    const u = firstWhere((x) => x.disabled && x.inMfaGroup);
    expect(await dir.authenticate(u.uid, u.password)).toEqual({ ok: false, reason: 'USER_DISABLED' });
    expect(await dir.authenticate(u.uid, 'wrong-password')).toEqual({ ok: false, reason: 'INVALID_CREDENTIALS' });
  });

  it('marks a user outside the group filter once the password is right (the host applies directory.outsideGroup); a wrong one is refused as usual', async () => {
    const u = firstWhere((x) => !x.inMfaGroup && !x.disabled && x.index > 20);
    const r = await dir.authenticate(u.uid, u.password);
    expect(r).toMatchObject({ ok: true, user: { username: u.uid, outsideMfaGroup: true } });
    expect(await dir.authenticate(u.uid, 'wrong-password')).toEqual({ ok: false, reason: 'INVALID_CREDENTIALS' });
    expect(await dir.find(u.uid)).toMatchObject({ username: u.uid, outsideMfaGroup: true });
    const m = firstWhere((x) => x.inMfaGroup && !x.disabled && x.index > 20);
    const inGroup = await dir.authenticate(m.uid, m.password);
    expect(inGroup.ok && inGroup.user.outsideMfaGroup).toBeFalsy();
    // The import's listing still holds group members only.
    for await (const listed of dir.list()) expect(listed.username).not.toBe(u.uid);
  });

  it('leaves missing mail and phone undefined', async () => {
    const noMail = firstWhere((x) => !x.mail && x.inMfaGroup && x.index > 20);
    const noPhone = firstWhere((x) => !x.phone && x.inMfaGroup && x.index > 20);
    expect((await dir.find(noMail.uid))?.email).toBeUndefined();
    expect((await dir.find(noPhone.uid))?.phone).toBeUndefined();
  });

  it('uses entryUUID and uid with the openldap preset', async () => {
    const ol = slapdDirectory(slapd, { preset: 'openldap', userFilter: undefined });
    const u = user('x+y');
    const result = await ol.authenticate(u.uid, u.password);
    expect(result.ok).toBe(true);
    const got = (result as { user: DirectoryUser }).user;
    expect(got.externalId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(got.externalId).not.toBe(guidFromBytes(u.objectGuid));
    expect(got.upn).toBeUndefined();
    // No userAccountControl in the openldap preset: the flag is not read.
    expect(got.disabled).toBe(false);
    await ol.close();
  });
});

describe('LdapDirectory against slapd: listing and health', () => {
  it('lists every group member below the bases over many small pages (RFC 2696)', async () => {
    const expected = slapd.fixture.users.filter((u) => u.inMfaGroup).length;
    let n = 0;
    const ids = new Set<string>();
    for await (const u of dir.list({ pageSize: 7 })) {
      n++;
      ids.add(u.externalId);
    }
    expect(n).toBe(expected);
    expect(ids.size).toBe(expected);
  });

  it('lists one OU when given a base, nested OUs included', async () => {
    const eng = slapd.fixture.ous.find((o) => o.startsWith('ou=Engineering'))!;
    const expected = slapd.fixture.users.filter((u) => u.inMfaGroup && u.ou.endsWith(eng)).length;
    let n = 0;
    for await (const _ of dir.list({ base: eng })) n++;
    expect(n).toBe(expected);
    expect(expected).toBeGreaterThan(slapd.fixture.users.filter((u) => u.inMfaGroup && u.ou === eng).length);
  });

  it('answers ping, and reports a refused service bind as DIRECTORY_UNAVAILABLE', async () => {
    await expect(dir.ping()).resolves.toBeUndefined();
    const bad = slapdDirectory(slapd, { bindPassword: 'not-the-password' });
    const err = await bad.ping().catch((e: unknown) => e);
    expect(isFactorgateError(err) && err.code).toBe('DIRECTORY_UNAVAILABLE');
    expect((err as Error).message).toContain('service bind refused');
    // A wrong password is not reported as an outage.
    expect((err as Error).message).toContain('every server refused the service account (LDAP result 49: the bind password or DN is wrong');
    expect((err as Error).message).not.toContain('no directory server answered');
    await bad.close();
  });

  it('never writes a password to the log', () => {
    const text = log.text();
    expect(text.length).toBeGreaterThan(0);
    expect(text).not.toContain(slapd.fixture.users[0]!.password);
    expect(text).not.toContain(slapd.bindPassword);
  });
});
