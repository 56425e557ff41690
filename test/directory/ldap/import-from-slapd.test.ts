/**
 * Import and sync of 10,000 users from a real slapd (AD-like tree, page size capped at 1000
 * like AD's MaxPageSize), into a real SQLite store file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSlapd, type Slapd } from '../../support/slapd.js';
import { slapdDirectory } from '../../support/ldap-directory-config.js';
import { openStore, type Store } from '../../../src/store/store.js';
import { importUsers } from '../../../src/directory/import-users.js';
import { guidFromBytes } from '../../../src/directory/ldap/map-entry.js';
import type { LdapDirectory } from '../../../src/directory/ldap/ldap-directory.js';

const USERS = 10_000;
let slapd: Slapd;
let dir: LdapDirectory;
let store: Store;
let tmp: string;
let members: number;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'factorgate-import-'));
  slapd = await startSlapd({ users: USERS });
  dir = slapdDirectory(slapd);
  store = await openStore({ driver: 'sqlite', file: join(tmp, 'store.db') });
  members = slapd.fixture.users.filter((u) => u.inMfaGroup).length;
});

afterAll(async () => {
  await dir?.close();
  await store?.close();
  await slapd?.destroy();
  rmSync(tmp, { recursive: true, force: true });
});

const count = async (): Promise<number> =>
  Number((await store.db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);

describe('importing 10,000 directory users from slapd', () => {
  it('writes nothing in a dry run', async () => {
    const summary = await importUsers({ directory: dir, db: store.db, dryRun: true });
    expect(summary).toMatchObject({ added: members, updated: 0, disabled: 0, dryRun: true });
    expect(await count()).toBe(0);
  });

  it('imports every member of MFA-Users, Unicode and odd names intact, missing mail as null', async () => {
    const t0 = performance.now();
    const summary = await importUsers({ directory: dir, db: store.db });
    const secs = (performance.now() - t0) / 1000;
    console.info(`imported ${summary.added} users in ${secs.toFixed(2)} s (${Math.round(summary.added / secs)}/s)`);
    expect(summary).toMatchObject({ seen: members, added: members, updated: 0, disabled: 0, unchanged: 0, errors: 0 });
    expect(await count()).toBe(members);
    for (const uid of ["o'brien", 'a,b', 'x+y', '(paren)', 'star*', 'back\\slash', 'ζωή', '山田', 'jürgen.müller']) {
      const f = slapd.fixture.users.find((u) => u.uid === uid)!;
      const row = await store.db.selectFrom('users').selectAll().where('external_id', '=', guidFromBytes(f.objectGuid)).executeTakeFirst();
      expect(row, uid).toMatchObject({ username: uid.normalize('NFKC').toLowerCase(), given_name: f.givenName, surname: f.surname, email: f.mail ?? null, phone: f.phone ?? null, source: 'ldap' });
    }
    const disabledInAd = slapd.fixture.users.filter((u) => u.inMfaGroup && u.disabled).length;
    expect(Number((await store.db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).where('disabled', '=', 1).executeTakeFirstOrThrow()).n)).toBe(disabledInAd);
    expect(Number((await store.db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).where('email', 'is', null).executeTakeFirstOrThrow()).n)).toBeGreaterThan(1000);
  });

  it('is idempotent: a second import changes nothing', async () => {
    expect(await importUsers({ directory: dir, db: store.db })).toMatchObject({ added: 0, updated: 0, disabled: 0, unchanged: members, errors: 0 });
  });

  it('disables a user removed from the group, keeps the row and its factors, and refuses the sign-in', async () => {
    const f = slapd.fixture.users.find((u) => u.index > 20 && u.inMfaGroup && !u.disabled)!;
    const row = (await store.db.selectFrom('users').selectAll().where('external_id', '=', guidFromBytes(f.objectGuid)).executeTakeFirst())!;
    await store.db
      .insertInto('factors')
      .values({ id: randomUUID(), user_id: row.id, kind: 'totp', label: 'phone', secret_enc: 'enc', params: '{}', is_default: 1, confirmed: 1, last_used_step: null, created_at: 1, last_used_at: null })
      .execute();
    expect((await dir.authenticate(f.uid, f.password)).ok).toBe(true);

    await slapd.removeFromGroup(f.dn);
    expect(await importUsers({ directory: dir, db: store.db })).toMatchObject({ disabled: 1, added: 0, updated: 0, unchanged: members - 1 });
    expect(await store.db.selectFrom('users').selectAll().where('id', '=', row.id).executeTakeFirst()).toMatchObject({ disabled: 1 });
    expect(await store.db.selectFrom('factors').select('id').where('user_id', '=', row.id).execute()).toHaveLength(1);
    // The password still checks out; the directory says the group leaves the user out, and the
    // host applies directory.outsideGroup (issue 26 item 8).
    expect(await dir.authenticate(f.uid, f.password)).toMatchObject({ ok: true, user: { outsideMfaGroup: true } });

    await slapd.addToGroup(f.dn);
    expect(await importUsers({ directory: dir, db: store.db })).toMatchObject({ updated: 1, disabled: 0 });
    expect(await store.db.selectFrom('users').selectAll().where('id', '=', row.id).executeTakeFirst()).toMatchObject({ disabled: 0 });
  });

  it('picks up a new user, a changed mail and a user disabled in the directory', async () => {
    await slapd.addUser({ uid: 'new.hire', password: 'New-Passw0rd', mail: 'new.hire@corp.example' });
    const changed = slapd.fixture.users.find((u) => u.index > 30 && u.inMfaGroup && !u.disabled)!;
    await slapd.setAttribute(changed.dn, 'mail', ['changed@corp.example']);
    const toDisable = slapd.fixture.users.find((u) => u.index > 40 && u.inMfaGroup && !u.disabled)!;
    await slapd.setAttribute(toDisable.dn, 'userAccountControl', ['514']);
    expect(await importUsers({ directory: dir, db: store.db })).toMatchObject({ added: 1, updated: 2, disabled: 0, unchanged: members - 2 });
  });
});
