/**
 * `factorgate users app-passwords revoke-all USER --reason TEXT` (issue 19: an admin revokes all
 * of a user's app passwords from the CLI as from the console) through the real executable, on a
 * real configuration file and SQLite store: every live one is revoked and then refused by the
 * check adapters call, other users' stay, and the action is audited under cli:<login>.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { openStore } from '../../src/store/store.js';
import { UserRepository } from '../../src/users/user-repository.js';
import { AppPasswords } from '../../src/users/app-passwords.js';
import { systemClock } from '../../src/kit/clock.js';
import { makeTempDir } from '../support/host-harness.js';
import { runFactorgate } from '../support/factorgate-cli.js';

describe('factorgate users app-passwords revoke-all', () => {
  it('revokes every app password of the user, audited with the reason; the passwords no longer verify', async () => {
    const dir = makeTempDir('fg-app-pw-cli-');
    writeFileSync(join(dir, 'users.yaml'), stringify({ users: [] }));
    const file = join(dir, 'factorgate.yaml');
    writeFileSync(file, stringify({ dataDir: join(dir, 'data'), directory: { type: 'file', path: 'users.yaml' } }));
    const dbFile = join(dir, 'data', 'factorgate.db');
    mkdirSync(join(dbFile, '..'), { recursive: true });

    let store = await openStore({ driver: 'sqlite', file: dbFile });
    const users = new UserRepository(store.db, systemClock);
    const ada = await users.upsertFromDirectory({ externalId: 'ada', username: 'ada', displayName: 'Ada', disabled: false }, 'file');
    const bob = await users.upsertFromDirectory({ externalId: 'bob', username: 'bob', displayName: 'Bob', disabled: false }, 'file');
    const pw = new AppPasswords(store.db);
    const mail = await pw.create(ada.id, 'mail', ['forms-proxy'], systemClock.now());
    await pw.create(ada.id, 'calendar', ['forms-proxy'], systemClock.now());
    const bobs = await pw.create(bob.id, 'mail', ['forms-proxy'], systemClock.now());
    await store.close();

    // Usage: the subcommand, the user and the reason are all required (exit 2, nothing changed).
    expect((await runFactorgate(['users', 'app-passwords', 'revoke-all', 'ada', '--config', file])).code).toBe(2);
    expect((await runFactorgate(['users', 'app-passwords', 'revoke', 'ada', '--reason', 'x', '--config', file])).code).toBe(2);
    expect((await runFactorgate(['users', 'app-passwords', 'revoke-all', '--reason', 'x', '--config', file])).code).toBe(2);
    const unknown = await runFactorgate(['users', 'app-passwords', 'revoke-all', 'nobody', '--reason', 'x', '--config', file]);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain('no user "nobody"');

    const r = await runFactorgate(['users', 'app-passwords', 'revoke-all', 'ada', '--reason', 'laptop stolen', '--config', file], { USER: 'jo' });
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toBe('revoked 2 app password(s) of ada\n');

    store = await openStore({ driver: 'sqlite', file: dbFile });
    try {
      const check = new AppPasswords(store.db);
      expect(await check.verify(ada.id, mail.password, 'forms-proxy', systemClock.now())).toBeNull();
      expect(await check.verify(bob.id, bobs.password, 'forms-proxy', systemClock.now())).not.toBeNull();
      const audit = await store.db.selectFrom('audit_events').select(['event', 'result', 'username', 'detail']).where('event', '=', 'admin-action').execute();
      expect(audit).toHaveLength(1);
      expect(audit[0]).toMatchObject({ event: 'admin-action', result: 'success', username: 'ada' });
      expect(audit[0]!.detail).toContain('revoke-app-passwords');
      expect(audit[0]!.detail).toContain('laptop stolen');
      expect(audit[0]!.detail).toContain('cli:jo');
      // Again: nothing left to revoke, still audited.
      expect((await runFactorgate(['users', 'app-passwords', 'revoke-all', 'ada', '--reason', 'again', '--config', file])).out).toBe('revoked 0 app password(s) of ada\n');
    } finally {
      await store.close();
    }
    // Seven runs of the real executable: each starts Node and opens the store.
  }, 120_000);
});
