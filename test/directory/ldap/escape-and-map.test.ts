/** Filter escaping (RFC 4515 §3) and objectGUID rendering (MS-DTYP §2.3.4). */
import { describe, expect, it } from 'vitest';
import { FilterParser } from 'ldapts';
import { escapeFilterBytes, escapeFilterValue } from '../../../src/directory/ldap/escape-filter.js';
import { bytesFromGuid, guidFromBytes, mapEntry, requestedAttributes, rowAttributes } from '../../../src/directory/ldap/map-entry.js';
import { directoryRow } from '../../../src/directory/user-columns.js';
import { PRESETS } from '../../../src/directory/ldap/presets.js';

describe('escapeFilterValue', () => {
  it('escapes exactly the five characters RFC 4515 §3 names', () => {
    expect(escapeFilterValue('a*b(c)d\\e\0f')).toBe('a\\2ab\\28c\\29d\\5ce\\00f');
    expect(escapeFilterValue("o'brien, x+y; <jürgen> #1")).toBe("o'brien, x+y; <jürgen> #1");
  });

  it('turns an injection attempt into one literal equality assertion', () => {
    const f = FilterParser.parseString(`(uid=${escapeFilterValue('admin)(|(uid=*')})`);
    expect(f.constructor.name).toBe('EqualityFilter');
    expect(f.toString()).toBe('(uid=admin\\29\\28|\\28uid=\\2a)');
  });

  it('escapes every byte of a binary value', () => {
    expect(escapeFilterBytes(Buffer.from([0x00, 0x2a, 0xff]))).toBe('\\00\\2a\\ff');
  });
});

describe('objectGUID', () => {
  it('renders the first three fields little-endian, as AD tools do, and back', () => {
    const bytes = Buffer.from('3f8a6dc0b7234a4ba54016056d11be66', 'hex');
    const guid = guidFromBytes(bytes);
    expect(guid).toBe('c06d8a3f-23b7-4b4a-a540-16056d11be66');
    expect(bytesFromGuid(guid)).toEqual(bytes);
    expect(bytesFromGuid('not-a-guid')).toBeNull();
  });
});

describe('mapEntry', () => {
  const ad = PRESETS.activeDirectory.attributes;
  it('matches attribute names case-insensitively and leaves missing ones undefined', () => {
    const u = mapEntry({ dn: 'CN=x', OBJECTGUID: Buffer.alloc(16, 1), samaccountname: 'x', userAccountControl: '66050' }, ad, []);
    expect(u).toMatchObject({ externalId: '01010101-0101-0101-0101-010101010101', username: 'x', email: undefined, phone: undefined, disabled: true });
  });

  it('yields null for an entry without an id or a sign-in name', () => {
    expect(mapEntry({ dn: 'CN=x', sAMAccountName: 'x' }, ad, [])).toBeNull();
    expect(mapEntry({ dn: 'CN=x', objectGUID: Buffer.alloc(16) }, ad, [])).toBeNull();
  });

  it('counts a non-numeric userAccountControl as enabled and passes extra attributes through', () => {
    const u = mapEntry({ dn: 'CN=x', objectGUID: Buffer.alloc(16), sAMAccountName: 'x', userAccountControl: 'junk', department: ['R&D', 'Ops'] }, ad, ['department']);
    expect(u).toMatchObject({ disabled: false, attributes: { department: ['R&D', 'Ops'] } });
  });
});

describe('rowAttributes (what the import lists)', () => {
  const ad = PRESETS.activeDirectory.attributes;
  it('asks for every attribute a store row is made of and not for groups or the password date', () => {
    const row = rowAttributes(ad);
    expect(row.sort()).toEqual(
      ['objectGUID', 'sAMAccountName', 'userPrincipalName', 'displayName', 'givenName', 'sn', 'mail', 'telephoneNumber', 'mobile', 'userAccountControl'].sort(),
    );
    expect(requestedAttributes(ad, [])).toEqual(expect.arrayContaining(['memberOf', 'pwdLastSet']));
    expect(row).not.toContain('memberOf');
    expect(row).not.toContain('pwdLastSet');
    expect(rowAttributes({ ...ad, mobile: '', email: 'mailPrimaryAddress' })).toEqual(expect.not.arrayContaining(['mobile', 'mail']));
    expect(rowAttributes({ ...ad, email: 'mailPrimaryAddress' })).toContain('mailPrimaryAddress');
  });

  it('gives the same store row as the full entry does', () => {
    const full = {
      dn: 'CN=x',
      objectGUID: Buffer.alloc(16, 7),
      sAMAccountName: 'Jürgen',
      userPrincipalName: 'jurgen@corp.example',
      displayName: ' Jürgen M. ',
      givenName: 'Jürgen',
      sn: 'M.',
      mail: 'j@corp.example',
      telephoneNumber: '+1 555',
      mobile: ['+1 556', '+1 557'],
      userAccountControl: '514',
      memberOf: ['CN=A,DC=corp', 'CN=B,DC=corp'],
      pwdLastSet: '133000000000000000',
    };
    const listed = { dn: full.dn, ...Object.fromEntries(Object.entries(full).filter(([k]) => rowAttributes(ad).includes(k))) };
    const a = mapEntry(full, ad, []);
    const b = mapEntry(listed, ad, []);
    expect(a!.groups).toHaveLength(2);
    expect(directoryRow(b!)).toEqual(directoryRow(a!));
  });
});
