/**
 * A `file` directory's users file is checked with the configuration: missing or malformed, both
 * `check-config` and `start` name the configuration file and `directory.path` (exit 2), instead
 * of check-config saying OK and start failing with no key.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFactorgate } from '../support/factorgate-cli.js';

let dir: string;

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function configFor(usersPath: string): string {
  return file(`${usersPath.replace(/\W/g, '_')}.factorgate.yaml`, `directory:\n  type: file\n  path: ${usersPath}\n`);
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fg-users-file-'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('check-config with a users file', () => {
  it('names directory.path when the users file is missing, in check-config and in start', async () => {
    const cfg = configFor('nope.yaml');
    const check = await runFactorgate(['check-config', '--config', cfg]);
    expect(check.code).toBe(2);
    expect(check.err).toContain(`${cfg}: directory.path: cannot read ${join(dir, 'nope.yaml')} (ENOENT)`);
    expect(check.out).not.toContain('OK');

    const start = await runFactorgate(['start', '--config', cfg], { FACTORGATE_PORT: '0', FACTORGATE_DATA: join(dir, 'data') });
    expect(start.code).toBe(2);
    expect(start.err).toContain(`${cfg}: directory.path: cannot read`);
  });

  it('reports a bad entry of the users file with the entry\'s key', async () => {
    file('bad-users.yaml', 'users:\n  - username: alice\n    passwordHash: hunter2\n');
    const cfg = configFor('bad-users.yaml');
    const check = await runFactorgate(['check-config', '--config', cfg]);
    expect(check.code).toBe(2);
    expect(check.err).toContain(`${cfg}: directory.path: ${join(dir, 'bad-users.yaml')}: users[0].passwordHash: expected a hash from \`factorgate users hash-password\``);
    expect(check.err).not.toContain('hunter2');
  });

  it('reports users file YAML that does not parse', async () => {
    file('broken-users.yaml', 'users:\n  - username: [\n');
    const cfg = configFor('broken-users.yaml');
    const check = await runFactorgate(['check-config', '--config', cfg]);
    expect(check.code).toBe(2);
    expect(check.err).toContain(`${cfg}: directory.path: ${join(dir, 'broken-users.yaml')}: `);
  });

  it('accepts the README\'s example users file', async () => {
    file('users.yaml', [
      'users:',
      '  - username: alice',
      '    passwordHash: $argon2id$v=19$m=19456,t=2,p=1$R1BZaHV3dXE2TGk$7kurnmbmPFuMWMB7pBT6AJc8ffyZ/f1Db9FrkhEwGq4',
      '    displayName: Alice Martin',
      '',
    ].join('\n'));
    const check = await runFactorgate(['check-config', '--config', configFor('users.yaml')]);
    expect(check.err).toBe('');
    expect(check.code).toBe(0);
    expect(check.out).toContain('OK (store sqlite, directory file');
  });
});
