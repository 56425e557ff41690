/**
 * The import's listing (`listRows`, entries read from the socket's bytes by search-entry-rows.ts)
 * against OpenLDAP's own client: `ldapsearch -LLL` on the same slapd, same base, filter and
 * attributes, paged the same way. Every row must equal the one built from ldapsearch's LDIF
 * (base64 values decoded, objectGUID rendered, first value trimmed), in the server's order, on
 * the worker thread and in-thread alike. Paging, search references and result codes still go
 * through ldapts: a referral in the tree, a server that ends a paged search at its total size
 * limit, and a base that does not exist.
 */
import { spawnSync } from 'node:child_process';
import { Control } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isFactorgateError } from '../../../src/kit/errors.js';
import { startSlapd, type Slapd } from '../../support/slapd.js';
import { slapdDirectoryConfig } from '../../support/ldap-directory-config.js';
import { ldapDirectoryConfigSchema } from '../../../src/directory/ldap/config.js';
import { LdapDirectory } from '../../../src/directory/ldap/ldap-directory.js';
import { guidFromBytes, rowAttributes } from '../../../src/directory/ldap/map-entry.js';
import { PRESETS } from '../../../src/directory/ldap/presets.js';
import type { DirectoryRow } from '../../../src/directory/directory.js';

let slapd: Slapd;

beforeAll(async () => {
  slapd = await startSlapd({ users: 3000 });
});

afterAll(async () => {
  await slapd?.destroy();
});

/** RFC 2849 LDIF as ldapsearch -LLL -o ldif-wrap=no prints it: entries of `name: value` / `name:: base64` lines. */
function parseLdif(text: string): Map<string, Buffer[]>[] {
  const entries: Map<string, Buffer[]>[] = [];
  for (const block of text.split(/\n\n+/)) {
    if (!block.trim()) continue;
    const entry = new Map<string, Buffer[]>();
    for (const line of block.split('\n')) {
      if (line.startsWith('#') || line === '') continue;
      const m = /^([^:]+)(::?) ?(.*)$/.exec(line);
      if (!m) throw new Error(`unexpected LDIF line: ${line}`);
      const value = m[2] === '::' ? Buffer.from(m[3]!, 'base64') : Buffer.from(m[3]!, 'utf8');
      const name = m[1]!.toLowerCase();
      entry.set(name, [...(entry.get(name) ?? []), value]);
    }
    // A block of comments only (ldapsearch's paging notes) is no entry.
    if (entry.size > 0) entries.push(entry);
  }
  return entries;
}

const AD = PRESETS.activeDirectory.attributes;

/** The row ldapsearch's entry stands for, by the import's rules (first value, trimmed, empty is absent). */
function rowOf(entry: Map<string, Buffer[]>): DirectoryRow {
  const text = (attr: string): string | null => {
    const v = entry.get(attr.toLowerCase())?.[0]?.toString('utf8').trim();
    return v ? v : null;
  };
  const uac = Number(text(AD.userAccountControl) ?? '0');
  return [
    text(AD.username)!.normalize('NFKC').toLowerCase(),
    guidFromBytes(entry.get('objectguid')![0]!),
    text(AD.upn),
    text(AD.displayName),
    text(AD.givenName),
    text(AD.surname),
    text(AD.email),
    text(AD.phone),
    text(AD.mobile),
    uac & 2 ? 1 : 0,
  ];
}

async function listed(listInWorker: boolean, server = slapd, base?: string): Promise<DirectoryRow[]> {
  const dir = LdapDirectory.fromConfig(ldapDirectoryConfigSchema.parse(slapdDirectoryConfig(server, base === undefined ? {} : { baseDns: [base] })), { listInWorker });
  const rows: DirectoryRow[] = [];
  try {
    for await (const page of dir.listRows({ pageSize: 250 })) rows.push(...page);
  } finally {
    await dir.close();
  }
  return rows;
}

describe('the import lists the rows ldapsearch shows', () => {
  it('gives, entry for entry and in order, the rows of `ldapsearch -LLL`', async () => {
    const config = slapdDirectoryConfig(slapd);
    const filter = `(&${config.userFilter}${config.groupFilter})`;
    const r = spawnSync(
      'ldapsearch',
      ['-LLL', '-o', 'ldif-wrap=no', '-x', '-H', slapd.url, '-D', slapd.bindDn, '-w', slapd.bindPassword, '-b', config.baseDns![0]!, '-E', 'pr=250/noprompt', filter, ...rowAttributes(AD)],
      { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
    );
    expect(r.status, r.stderr).toBe(0);
    const expected = parseLdif(r.stdout).map(rowOf);
    expect(expected.length).toBe(slapd.fixture.users.filter((u) => u.inMfaGroup).length);
    // The fixture's odd names, non-ASCII text, missing mail and disabled accounts are in it.
    expect(expected.some((row) => row[4] === 'Jürgen')).toBe(true);
    expect(expected.some((row) => row[6] === null)).toBe(true);
    expect(expected.some((row) => row[9] === 1)).toBe(true);
    expect(await listed(false)).toEqual(expected);
    expect(await listed(true)).toEqual(expected);
  }, 60_000);
});

describe('paging, references and result codes stay ldapts\'s', () => {
  it('lists past a referral in the tree (a SearchResultReference), every entry once', async () => {
    const before = await listed(false);
    const base = slapdDirectoryConfig(slapd).baseDns![0]!;
    await slapd.admin((c) => c.add(`ou=Elsewhere,${base}`, { objectClass: ['referral', 'extensibleObject'], ou: 'Elsewhere', ref: 'ldap://other.example/ou=Elsewhere,dc=other' }));
    try {
      const refs = await slapd.admin(async (c) => (await c.search(base, { scope: 'sub', filter: '(objectClass=inetOrgPerson)', attributes: ['1.1'] })).searchReferences);
      expect(refs).toEqual(['ldap://other.example/ou=Elsewhere,dc=other??sub']);
      expect(await listed(false)).toEqual(before);
      expect(await listed(true)).toEqual(before);
    } finally {
      // RFC 3296 §3: a referral object itself is only reached with ManageDsaIT.
      await slapd.admin((c) => c.del(`ou=Elsewhere,${base}`, new Control('2.16.840.1.113730.3.4.2')));
    }
  }, 60_000);

  it('fails with the server\'s result when it ends a paged search at its size limit', async () => {
    const limited = await startSlapd({ users: 1200, maxPagedTotal: 500 });
    try {
      for (const inWorker of [false, true]) {
        const err = await listed(inWorker, limited).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(isFactorgateError(err) && err.code).toBe('DIRECTORY_UNAVAILABLE');
        expect(isFactorgateError(err) && err.detail).toMatch(/^list users below .* failed: LDAP result 4: /);
      }
    } finally {
      await limited.destroy();
    }
  }, 60_000);

  it('reports a base that does not exist as a configuration problem', async () => {
    const err = await listed(false, slapd, `ou=Nowhere,${slapd.suffix}`).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isFactorgateError(err) && err.code).toBe('CONFIG_INVALID');
    expect(isFactorgateError(err) && err.detail).toMatch(/base DN does not exist/);
  });
});
