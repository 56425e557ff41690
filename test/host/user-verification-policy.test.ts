/**
 * `factors.webauthn.userVerificationRequiredFor` (issue 24) answered from a real file directory:
 * named users, members of named groups (full DN or CN, from `groups` or a `memberOf` attribute)
 * and holders of the named admin roles must verify on their key; everyone else follows
 * `userVerification`. A user the directory no longer has is not forced (nothing to match).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { userVerificationPolicy } from '../../src/host/user-verification-policy.js';
import { createDirectory } from '../../src/host/create-directory.js';
import { rootConfigSchema, type HostConfig } from '../../src/config/schema.js';
import type { UserRecord } from '../../src/api/host-api.js';
import { makeTempDir } from '../support/host-harness.js';
import { hashPassword } from '../../src/directory/password-hash.js';

const ENG = 'CN=Engineers,OU=Groups,DC=corp,DC=example';
let hash: string;
beforeAll(async () => {
  hash = await hashPassword('unused-password-1');
});

function setup(rule: Record<string, unknown>) {
  const dir = makeTempDir('fg-uv-policy-');
  const path = join(dir, 'users.yaml');
  writeFileSync(
    path,
    stringify({
      users: [
        { username: 'ada', passwordHash: hash },
        { username: 'eng', passwordHash: hash, groups: [ENG] },
        { username: 'ops', passwordHash: hash, attributes: { memberOf: ['CN=Ops,OU=Groups,DC=corp,DC=example'] } },
        { username: 'root', passwordHash: hash, attributes: { memberOf: ['CN=FG Admins,OU=Groups,DC=corp,DC=example'] } },
        { username: 'desk', passwordHash: hash, groups: ['FG Helpdesk'] },
      ],
    }),
  );
  const parsed = rootConfigSchema.parse({
    directory: { type: 'file', path },
    admin: { roles: { admin: { groups: ['FG Admins'] }, helpdesk: { groups: ['FG Helpdesk'] } } },
    factors: { webauthn: { userVerificationRequiredFor: rule } },
  });
  const config = { ...parsed, directory: parsed.directory!, adapters: {}, configFile: null, demo: false, publicUrl: 'http://localhost' } as HostConfig;
  return userVerificationPolicy(config, createDirectory(config.directory));
}

const user = (username: string) => ({ id: username, username }) as UserRecord;

describe('userVerificationRequiredFor', () => {
  it('is off (no check, no directory lookup) when it names nobody', () => {
    expect(setup({})).toBeUndefined();
  });

  it('names users (case-insensitively) without asking the directory', async () => {
    const must = setup({ users: ['ADA'] })!;
    expect(await must(user('ada'))).toBe(true);
    expect(await must(user('eng'))).toBe(false);
  });

  it('matches groups by CN or full DN, from groups or memberOf', async () => {
    const must = setup({ groups: ['engineers', 'CN=Ops,OU=Groups,DC=corp,DC=example'] })!;
    expect(await must(user('eng'))).toBe(true);
    expect(await must(user('ops'))).toBe(true);
    expect(await must(user('ada'))).toBe(false);
    expect(await must(user('gone'))).toBe(false);
    // A full DN elsewhere in the tree is not the configured one.
    expect(await setup({ groups: ['CN=Engineers,OU=Other,DC=corp,DC=example'] })!(user('eng'))).toBe(false);
  });

  it('matches admin roles: admin covers helpdesk, not the other way round', async () => {
    const admins = setup({ roles: ['admin'] })!;
    expect(await admins(user('root'))).toBe(true);
    expect(await admins(user('desk'))).toBe(false);
    const helpdesk = setup({ roles: ['helpdesk'] })!;
    expect(await helpdesk(user('desk'))).toBe(true);
    expect(await helpdesk(user('root'))).toBe(true);
    expect(await helpdesk(user('ada'))).toBe(false);
  });
});
