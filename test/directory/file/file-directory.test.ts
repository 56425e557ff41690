import { readFileSync, writeFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { createLogger } from '../../../src/audit/logger.js';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileDirectory, parseUsersFile } from '../../../src/directory/file/file-directory.js';
import { hashPassword, verifyPassword } from '../../../src/directory/password-hash.js';
import { FactorgateError } from '../../../src/kit/errors.js';
import { makeTempDir, writeUsersFile, DEFAULT_USERS } from '../../support/host-harness.js';

describe('password hashes', () => {
  it('verify the right password only, and refuse malformed hashes', async () => {
    const h = await hashPassword('correct horse');
    expect(h).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
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
    const h = 'scrypt$15$8$1$U29kaXVtQ2hsb3JpZGU=$9yy8IEvc/D/1sRXYUIrsFWb/DvP2WDiGAaOTMHjvesg=';
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

  it('signs a user in with a hash from before (scrypt), and logs once which entry to re-hash, since it cannot rewrite the file', async () => {
    const dir = makeTempDir();
    const file = join(dir, 'users.yaml');
    // hashlib.scrypt(b"pleaseletmein", salt=b"SodiumChloride", n=2**15, r=8, p=1, dklen=32), the old users-file format.
    const legacy = 'scrypt$15$8$1$U29kaXVtQ2hsb3JpZGU=$9yy8IEvc/D/1sRXYUIrsFWb/DvP2WDiGAaOTMHjvesg=';
    writeFileSync(file, `users:\n  - username: dana\n    passwordHash: ${legacy}\n  - username: erin\n    passwordHash: ${await hashPassword('erin-password')}\n`);
    const lines: string[] = [];
    const logger = createLogger({ destination: new Writable({ write: (c: Buffer, _e, cb) => (lines.push(c.toString()), cb()) }) });
    const d = new FileDirectory(file, { logger });
    expect((await d.authenticate('dana', 'pleaseletmein')).ok).toBe(true);
    expect((await d.authenticate('dana', 'pleaseletmein')).ok).toBe(true);
    expect((await d.authenticate('erin', 'erin-password')).ok).toBe(true);
    expect((await d.authenticate('dana', 'wrong')).ok).toBe(false);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 40, username: 'dana', file, hashFormat: 'scrypt', msg: expect.stringContaining('factorgate users hash-password') });
    expect(lines[0]).not.toContain('pleaseletmein');
    expect(readFileSync(file, 'utf8')).toContain(legacy);
  });
});
