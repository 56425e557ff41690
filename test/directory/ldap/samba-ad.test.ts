/**
 * Against a real Active Directory (a Samba 4 AD DC, throwaway): the activeDirectory preset
 * unchanged, objectGUID as the id, sign-in by sAMAccountName or UPN, the nested-group matching
 * rule, AD's "account disabled" bind diagnostic, StartTLS and LDAPS with the DC's own CA.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSambaDc, type SambaDc, type SambaUser } from '../../support/ldap-samba-dc.js';
import { ldapDirectoryConfigSchema, type LdapDirectoryConfigInput } from '../../../src/directory/ldap/config.js';
import { LdapDirectory } from '../../../src/directory/ldap/ldap-directory.js';
import { openStore, type Store } from '../../../src/store/store.js';
import { importUsers } from '../../../src/directory/import-users.js';
import { isFactorgateError } from '../../../src/kit/errors.js';
import type { DirectoryUser } from '../../../src/directory/directory.js';

const PW = 'Corr3ct-Horse!';
const USERS: SambaUser[] = [
  { sam: 'alice', password: PW, givenName: 'Alice', surname: 'Archer', mail: 'alice@corp.example', phone: '+4930111', groups: ['MFA-Users'] },
  { sam: 'bob.nested', password: PW, givenName: 'Bob', surname: 'Nestor', groups: ['MFA-Nested'] },
  { sam: 'carol.outside', password: PW, givenName: 'Carol', surname: 'Outsider', groups: [] },
  { sam: 'dave.disabled', password: PW, givenName: 'Dave', surname: 'Disabled', groups: ['MFA-Users'], disabled: true },
  { sam: 'jürgen', password: PW, givenName: 'Jürgen', surname: 'Müller', mail: 'juergen@corp.example', groups: ['MFA-Users'] },
  { sam: "o'brien", password: PW, givenName: 'Siobhán', surname: "O'Brien", groups: ['MFA-Nested'] },
];

let dc: SambaDc;

function config(over: Partial<LdapDirectoryConfigInput> = {}): LdapDirectoryConfigInput {
  return {
    type: 'ldap',
    urls: [dc.url],
    bindDn: dc.bindDn,
    bindPassword: dc.bindPassword,
    baseDns: [dc.baseDn],
    preset: 'activeDirectory',
    // AD's transitive membership rule (LDAP_MATCHING_RULE_IN_CHAIN, MS-ADTS §3.1.1.3.4.4.3).
    groupFilter: `(memberOf:1.2.840.113556.1.4.1941:=${dc.mfaGroupDn})`,
    timeouts: { connectMs: 2000, operationMs: 10_000 },
    ...over,
  };
}
const directory = (over: Partial<LdapDirectoryConfigInput> = {}): LdapDirectory => LdapDirectory.fromConfig(ldapDirectoryConfigSchema.parse(config(over)));

beforeAll(async () => {
  dc = await startSambaDc(USERS);
}, 90_000);

afterAll(async () => {
  await dc?.stop();
});

describe('LdapDirectory against a Samba AD DC', () => {
  it('signs in by sAMAccountName and by userPrincipalName, with objectGUID as the id', async () => {
    const dir = directory();
    const bySam = await dir.authenticate('alice', PW);
    expect(bySam.ok).toBe(true);
    const user = (bySam as { user: DirectoryUser }).user;
    // Samba's own rendering of the GUID (first three fields little-endian) must match ours.
    expect(user).toMatchObject({ externalId: dc.guids['alice'], username: 'alice', upn: 'alice@corp.example', email: 'alice@corp.example', phone: '+4930111', disabled: false });
    expect(await dir.authenticate('ALICE@corp.example', PW)).toMatchObject({ ok: true, user: { externalId: dc.guids['alice'] } });
    expect(await dir.authenticate('alice', 'Wrong-Passw0rd!')).toEqual({ ok: false, reason: 'INVALID_CREDENTIALS' });
    expect(await dir.authenticate('alice*', PW)).toEqual({ ok: false, reason: 'INVALID_CREDENTIALS' });
    await dir.close();
  });

  it('admits members of a nested group through the in-chain rule and marks non-members outside the MFA group', async () => {
    const dir = directory();
    const nested = await dir.authenticate('bob.nested', PW);
    expect(nested.ok && nested.user.outsideMfaGroup).toBeFalsy();
    expect(nested.ok).toBe(true);
    const quoted = await dir.authenticate("o'brien", PW);
    expect(quoted.ok && quoted.user.outsideMfaGroup).toBeFalsy();
    expect(quoted.ok).toBe(true);
    // A right password outside the group is marked, and the host applies directory.outsideGroup.
    expect(await dir.authenticate('carol.outside', PW)).toMatchObject({ ok: true, user: { outsideMfaGroup: true } });
    expect(await dir.authenticate('carol.outside', 'Wrong-Passw0rd!')).toEqual({ ok: false, reason: 'INVALID_CREDENTIALS' });
    // Without the in-chain rule a nested member is not a member.
    const direct = directory({ groupFilter: `(memberOf=${dc.mfaGroupDn})` });
    expect(await direct.authenticate('bob.nested', PW)).toMatchObject({ ok: true, user: { outsideMfaGroup: true } });
    await Promise.all([dir.close(), direct.close()]);
  });

  it('denies a disabled account (userAccountControl bit 2; bind answers "data 533")', async () => {
    const dir = directory();
    expect(await dir.authenticate('dave.disabled', PW)).toEqual({ ok: false, reason: 'USER_DISABLED' });
    expect(await dir.authenticate('dave.disabled', 'Wrong-Passw0rd!')).toEqual({ ok: false, reason: 'INVALID_CREDENTIALS' });
    expect((await dir.find('dave.disabled'))?.disabled).toBe(true);
    await dir.close();
  });

  it('talks StartTLS and LDAPS with the DC\'s CA, and refuses a certificate it cannot verify', async () => {
    const tls = { caFile: dc.caFile, servername: dc.tlsServerName };
    const startTls = directory({ tls: { ...tls, startTls: true } });
    expect((await startTls.authenticate('jürgen', PW)).ok).toBe(true);
    const ldaps = directory({ urls: [dc.ldapsUrl], tls });
    expect((await ldaps.authenticate('alice', PW)).ok).toBe(true);
    const untrusted = directory({ urls: [dc.ldapsUrl] });
    const err = await untrusted.ping().catch((e: unknown) => e);
    expect(isFactorgateError(err) && err.code).toBe('DIRECTORY_UNAVAILABLE');
    await Promise.all([startTls.close(), ldaps.close(), untrusted.close()]);
  });

  it('keeps the user binds\' connections, over StartTLS and LDAPS too: each bind decides alone, AD\'s diagnostics included', async () => {
    const tls = { caFile: dc.caFile, servername: dc.tlsServerName };
    for (const dir of [directory(), directory({ tls: { ...tls, startTls: true } }), directory({ urls: [dc.ldapsUrl], tls })]) {
      expect((await dir.authenticate('alice', PW)).ok).toBe(true);
      // The kept connection is bound as alice; her wrong password, and others', are refused.
      expect(await dir.authenticate('alice', 'Wrong-Passw0rd!')).toEqual({ ok: false, reason: 'INVALID_CREDENTIALS' });
      expect(await dir.authenticate('jürgen', 'Wrong-Passw0rd!')).toEqual({ ok: false, reason: 'INVALID_CREDENTIALS' });
      expect(await dir.authenticate('jürgen', '')).toEqual({ ok: false, reason: 'EMPTY_PASSWORD' });
      expect(await dir.authenticate('dave.disabled', PW)).toEqual({ ok: false, reason: 'USER_DISABLED' });
      expect(await dir.authenticate('nobody.here', PW)).toEqual({ ok: false, reason: 'INVALID_CREDENTIALS' });
      expect((await dir.authenticate('jürgen', PW)).ok).toBe(true);
      expect(dir.userBindStats()).toEqual({ opened: 1, idle: 1 });
      await dir.close();
    }
  });

  it('imports the group\'s members (nested included) with AD ids, a disabled account as disabled', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'factorgate-samba-store-'));
    const store: Store = await openStore({ driver: 'sqlite', file: join(tmp, 'store.db') });
    const dir = directory({ pageSize: 2 });
    try {
      const summary = await importUsers({ directory: dir, db: store.db });
      expect(summary).toMatchObject({ added: 5, errors: 0, disabled: 0 });
      const rows = await store.db.selectFrom('users').selectAll().orderBy('username').execute();
      expect(rows.map((r) => r.username)).toEqual(['alice', 'bob.nested', 'dave.disabled', 'jürgen', "o'brien"]);
      expect(rows.find((r) => r.username === 'dave.disabled')).toMatchObject({ disabled: 1, external_id: dc.guids['dave.disabled'] });
      expect(await importUsers({ directory: dir, db: store.db })).toMatchObject({ unchanged: 5, added: 0, updated: 0, disabled: 0 });
    } finally {
      await dir.close();
      await store.close();
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
