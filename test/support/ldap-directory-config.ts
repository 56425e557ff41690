/** Builds an `LdapDirectory` for a test slapd through the real config schema. */
import type { Logger } from 'pino';
import { ldapDirectoryConfigSchema, type LdapDirectoryConfigInput } from '../../src/directory/ldap/config.js';
import { LdapDirectory } from '../../src/directory/ldap/ldap-directory.js';
import type { Slapd } from './slapd.js';

export function slapdDirectoryConfig(slapd: Slapd, overrides: Partial<LdapDirectoryConfigInput> = {}): LdapDirectoryConfigInput {
  return {
    type: 'ldap',
    urls: [slapd.url],
    bindDn: slapd.bindDn,
    bindPassword: slapd.bindPassword,
    baseDns: [`ou=Users,ou=Corp,${slapd.suffix}`],
    preset: 'activeDirectory',
    // The AD-like tree is inetOrgPerson + adLikeUser; objectCategory does not exist in slapd.
    userFilter: '(objectClass=inetOrgPerson)',
    groupFilter: `(memberOf=${slapd.fixture.mfaGroupDn})`,
    timeouts: { connectMs: 1000, operationMs: 5000 },
    ...overrides,
  };
}

export function slapdDirectory(slapd: Slapd, overrides: Partial<LdapDirectoryConfigInput> = {}, logger?: Logger): LdapDirectory {
  return LdapDirectory.fromConfig(ldapDirectoryConfigSchema.parse(slapdDirectoryConfig(slapd, overrides)), { logger });
}
