/** The `directory` section for LDAP: defaults, presets, and problems reported with their path. */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ldapDirectoryConfigSchema } from '../../../src/directory/ldap/config.js';
import { resolveLdapSettings } from '../../../src/directory/ldap/settings.js';
import { durationToMs } from '../../../src/kit/durations.js';

const minimal = { type: 'ldap', urls: ['ldaps://dc1.corp.example'], bindDn: 'svc@corp.example', bindPassword: 'pw', baseDns: ['DC=corp,DC=example'] } as const;

function issues(input: unknown): string[] {
  const r = ldapDirectoryConfigSchema.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('ldapDirectoryConfigSchema', () => {
  it('fills every default and resolves the Active Directory preset', () => {
    const c = ldapDirectoryConfigSchema.parse(minimal);
    expect(c).toMatchObject({
      preset: 'activeDirectory',
      pageSize: 500,
      tls: { startTls: false, rejectUnauthorized: true },
      timeouts: { connectMs: 5000, operationMs: 10_000 },
      sync: { interval: null },
      attributes: {},
      extraAttributes: [],
    });
    const s = resolveLdapSettings(c);
    expect(s.userFilter).toBe('(&(objectCategory=person)(objectClass=user))');
    expect(s.loginAttributes).toEqual(['sAMAccountName', 'userPrincipalName']);
    expect(s.attributes).toMatchObject({ id: 'objectGUID', username: 'sAMAccountName', upn: 'userPrincipalName', email: 'mail', phone: 'telephoneNumber', mobile: 'mobile', userAccountControl: 'userAccountControl' });
  });

  it('resolves the openldap preset and applies attribute overrides', () => {
    const s = resolveLdapSettings(ldapDirectoryConfigSchema.parse({ ...minimal, preset: 'openldap', attributes: { email: 'mailPrimaryAddress' } }));
    expect(s.attributes).toMatchObject({ id: 'entryUUID', username: 'uid', upn: '', email: 'mailPrimaryAddress', userAccountControl: '' });
    expect(s.userFilter).toBe('(objectClass=inetOrgPerson)');
  });

  it('refuses a base DN split by an unquoted YAML flow list, and a base DN with no =', async () => {
    const { parse } = await import('yaml');
    const split = (parse('baseDns: [OU=Staff,DC=corp,DC=example]') as { baseDns: string[] }).baseDns;
    expect(split).toEqual(['OU=Staff', 'DC=corp', 'DC=example']);
    expect(issues({ ...minimal, baseDns: split })).toEqual([
      'baseDns: looks like one DN split into 3 at its commas (in YAML, quote a DN inside [ ]: a bare one is split at its commas): write ["OU=Staff,DC=corp,DC=example"]',
    ]);
    expect(issues({ ...minimal, baseDns: ['OU=Staff,DC=corp', 'Paris'] })).toEqual([
      'baseDns.1: expected a DN such as OU=Staff,DC=corp,DC=example (in YAML, quote a DN inside [ ]: a bare one is split at its commas)',
      expect.stringMatching(/^baseDns: looks like one DN split into 2/),
    ]);
    // Quoted, the same text is one DN; several full DNs and an escaped comma are fine.
    const quoted = (parse('baseDns: ["OU=Staff,DC=corp,DC=example"]') as { baseDns: string[] }).baseDns;
    expect(issues({ ...minimal, baseDns: quoted })).toEqual([]);
    expect(issues({ ...minimal, baseDns: ['OU=Staff,DC=corp,DC=example', 'OU=Sales\\, Paris,DC=corp,DC=example'] })).toEqual([]);
    expect(issues({ ...minimal, baseDns: ['OU=Staff,DC=corp,DC=example', 'OU=Sales\\, Paris'] })).toEqual([expect.stringMatching(/^baseDns: looks like one DN split into 2/)]);
    expect(issues({ ...minimal, baseDns: ['DC=example'] })).toEqual([]);
  });

  it('reports every problem with its path', () => {
    const found = issues({
      ...minimal,
      urls: ['http://dc1', 'ldap://dc2'],
      bindPassword: undefined,
      groupFilter: '(memberOf=CN=x',
      tls: { startTls: true },
      sync: { interval: '5s' },
      pageSize: 0,
      unknownKey: 1,
    });
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^urls\.0: /),
        expect.stringMatching(/^groupFilter: not a valid LDAP filter/),
        expect.stringMatching(/^sync\.interval: at least 1m/),
        expect.stringMatching(/^pageSize: /),
        expect.stringMatching(/unknownKey|Unrecognized/),
      ]),
    );
    // Cross-field rules run once the fields themselves are valid.
    expect(issues({ ...minimal, bindPassword: undefined })).toEqual(['bindPassword: bindPassword (or bindPasswordFile) is required with bindDn']);
    expect(issues({ ...minimal, tls: { startTls: true } })).toEqual(['tls.startTls: startTls applies to ldap:// URLs; ldaps:// is already TLS']);
  });

  it('accepts AD filters with extensible matching rules and filters written without parentheses', () => {
    expect(issues({ ...minimal, groupFilter: '(memberOf:1.2.840.113556.1.4.1941:=CN=MFA-Users,OU=Groups,DC=corp,DC=example)' })).toEqual([]);
    expect(issues({ ...minimal, userFilter: 'objectClass=person' })).toEqual([]);
  });

  it('describes every option with its default, for the generated configuration reference', () => {
    const json = z.toJSONSchema(ldapDirectoryConfigSchema, { io: 'input' }) as { properties: Record<string, { description?: string; properties?: Record<string, { description?: string }> }> };
    const missing: string[] = [];
    for (const [k, v] of Object.entries(json.properties)) {
      if (!v.description) missing.push(k);
      for (const [k2, v2] of Object.entries(v.properties ?? {})) {
        if (!v2.description) missing.push(`${k}.${k2}`);
        else if (!/Default|Required/.test(v2.description)) missing.push(`${k}.${k2} (no default stated)`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('reads durations', () => {
    expect(durationToMs('1h')).toBe(3_600_000);
    expect(durationToMs('15m')).toBe(900_000);
    expect(() => durationToMs('soon')).toThrow();
  });
});
