import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileDirectory, parseUsersFile } from '../../../src/directory/file/file-directory.js';
import { hashPassword, verifyPassword } from '../../../src/directory/password-hash.js';
import { FactorgateError } from '../../../src/host/errors.js';
import { makeTempDir, writeUsersFile, DEFAULT_USERS } from '../../support/host-harness.js';

describe('password hashes', () => {
  it('verify the right password only, and refuse malformed hashes', async () => {
    const h = await hashPassword('correct horse');
    expect(h).toMatch(/^scrypt\$15\$8\$1\$/);
    expect(await verifyPassword('correct horse', h)).toBe(true);
    expect(await verifyPassword('correct horsE', h)).toBe(false);
    expect(await verifyPassword('correct horse', 'scrypt$15$8$1$AAAA$')).toBe(false);
    expect(await verifyPassword('x', 'plain')).toBe(false);
  });
});

describe('the YAML file directory', () => {
  it('authenticates, and answers the same for an unknown user and a wrong password', async () => {
    const dir = makeTempDir();
    const dirx = new FileDirectory(await writeUsersFile(dir, DEFAULT_USERS));
    const ok = await dirx.authenticate('ALICE', 'alice-password-1');
    expect(ok).toMatchObject({ ok: true, user: { username: 'alice', email: 'alice@example.test', disabled: false } });
    expect(await dirx.authenticate('alice', 'wrong')).toEqual({ ok: false, reason: 'INVALID_CREDENTIALS' });
    expect(await dirx.authenticate('nobody', 'wrong')).toEqual({ ok: false, reason: 'INVALID_CREDENTIALS' });
    expect(await dirx.authenticate('carol', 'carol-password-1')).toEqual({ ok: false, reason: 'USER_DISABLED' });
    // A disabled user's wrong password says nothing about the account.
    expect(await dirx.authenticate('carol', 'nope')).toEqual({ ok: false, reason: 'INVALID_CREDENTIALS' });
    expect(await dirx.find('Bob')).toMatchObject({ username: 'bob' });
    const all = [];
    for await (const u of dirx.list()) all.push(u.username);
    expect(all.sort()).toEqual(['alice', 'bob', 'carol']);
  });

  it('picks up edits without a restart', async () => {
    const dir = makeTempDir();
    const file = await writeUsersFile(dir, [{ username: 'dave', password: 'one' }]);
    const d = new FileDirectory(file);
    expect((await d.authenticate('dave', 'one')).ok).toBe(true);
    await new Promise((r) => setTimeout(r, 20));
    await writeUsersFile(dir, [{ username: 'dave', password: 'two' }]);
    expect((await d.authenticate('dave', 'one')).ok).toBe(false);
    expect((await d.authenticate('dave', 'two')).ok).toBe(true);
  });

  it('rejects a broken users file naming the file and the entry', () => {
    expect(() => parseUsersFile('users:\n  - username: x\n    passwordHash: plain\n', 'u.yaml')).toThrow(/u\.yaml: users\[0\]\.passwordHash: expected a hash/);
    expect(() => parseUsersFile('users: [', 'u.yaml')).toThrow(FactorgateError);
    const h = 'scrypt$15$8$1$AAAA$AAAA';
    expect(() => parseUsersFile(`users:\n  - {username: a, passwordHash: "${h}"}\n  - {username: A, passwordHash: "${h}"}\n`, 'u.yaml')).toThrow(/listed twice/);
  });

  it('reports DIRECTORY_UNAVAILABLE when the file disappears', async () => {
    const dir = makeTempDir();
    const file = join(dir, 'gone.yaml');
    writeFileSync(file, 'users: []\n');
    const d = new FileDirectory(file);
    await d.ping();
    writeFileSync(file, '');
    const { rmSync } = await import('node:fs');
    rmSync(file);
    await expect(d.ping()).rejects.toMatchObject({ code: 'DIRECTORY_UNAVAILABLE' });
  });
});
