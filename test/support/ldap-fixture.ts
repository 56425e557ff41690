/**
 * An Active-Directory-like tree for the slapd suites, as LDIF: OUs with a nested OU and a
 * Unicode OU name, groups (MFA-Users holds 90 % of the users), users with Unicode names, some
 * without mail or phone, some disabled (userAccountControl 514), and sign-in names with the
 * characters that break naive filter and DN building. Deterministic: same options, same tree.
 */
import { createHash } from 'node:crypto';

export interface FixtureOptions {
  suffix: string;
  users: number;
  /** Password of every generated user unless `passwordOf` overrides it. */
  password?: string;
}

export interface FixtureUser {
  index: number;
  uid: string;
  dn: string;
  password: string;
  givenName: string;
  surname: string;
  mail: string | undefined;
  phone: string | undefined;
  mobile: string | undefined;
  disabled: boolean;
  inMfaGroup: boolean;
  /** Binary objectGUID as AD stores it. */
  objectGuid: Buffer;
  ou: string;
}

export interface Fixture {
  ldif: string;
  users: FixtureUser[];
  mfaGroupDn: string;
  serviceDn: string;
  servicePassword: string;
  ous: string[];
}

/** Sign-in names that must survive escaping in filters (RFC 4515) and DNs (RFC 4514). */
export const ODD_UIDS = [
  "o'brien",
  'a,b',
  'x+y',
  '(paren)',
  'star*',
  'back\\slash',
  'semi;colon',
  '#hash',
  'quote"d',
  'less<more>',
  'jürgen.müller',
  'admin',
  'ζωή',
  '山田',
];

const GIVEN = ['Jürgen', 'Zoë', 'Søren', 'Ana', 'José', 'Łukasz', 'Chloé', 'Nguyễn', 'Aiko', 'Björk', 'Mary', 'Ольга', 'Δημήτρης', '花子'];
const SURNAMES = ['Müller', "O'Brien", 'García', 'Kowalski', 'Smith', 'Østergård', '田中', 'Иванова', 'Papadopoulos', 'Nguyen', 'Ng'];

/** RFC 4514 §2.4: characters escaped in a DN attribute value. */
export function escapeDnValue(v: string): string {
  let out = v.replace(/[\\"+,;<>]/g, (c) => `\\${c}`).replace(/\0/g, '\\00');
  if (out.startsWith('#') || out.startsWith(' ')) out = `\\${out}`;
  if (out.endsWith(' ')) out = `${out.slice(0, -1)}\\ `;
  return out;
}

/** RFC 2849 SAFE-STRING: ASCII without NUL, LF, CR; not starting with space, ':' or '<'. */
function isSafeString(v: string): boolean {
  if (v === '' || v.endsWith(' ')) return v === '';
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c === 0 || c === 10 || c === 13 || c > 0x7f) return false;
  }
  return !/^[ :<]/.test(v);
}

/** RFC 2849: a value that is not a SAFE-STRING must be base64 (`attr:: …`). */
export function ldifLine(attr: string, value: string | Buffer): string {
  if (Buffer.isBuffer(value)) return `${attr}:: ${value.toString('base64')}`;
  const safe = isSafeString(value);
  return safe ? `${attr}: ${value}` : `${attr}:: ${Buffer.from(value, 'utf8').toString('base64')}`;
}

function entry(lines: [string, string | Buffer][]): string {
  return `${lines.map(([a, v]) => ldifLine(a, v)).join('\n')}\n\n`;
}

export function guidFor(seed: string): Buffer {
  return createHash('sha256').update(seed).digest().subarray(0, 16);
}

export function buildFixture(options: FixtureOptions): Fixture {
  const { suffix } = options;
  const password = options.password ?? 'Secret-Passw0rd';
  const corp = `ou=Corp,${suffix}`;
  const usersOu = `ou=Users,${corp}`;
  const groupsOu = `ou=Groups,${corp}`;
  const serviceOu = `ou=Service,${corp}`;
  const ouNames = ['Sales', 'Engineering', 'Platform', 'Support', 'Ünïcode Team'];
  const ouDn = (name: string): string =>
    name === 'Platform' ? `ou=Platform,ou=Engineering,${usersOu}` : `ou=${escapeDnValue(name)},${usersOu}`;
  const ous = ouNames.map(ouDn);
  const mfaGroupDn = `cn=MFA-Users,${groupsOu}`;
  const serviceDn = `cn=factorgate-svc,${serviceOu}`;
  const servicePassword = 'Svc-Passw0rd!';

  const dc = /^dc=([^,]+)/i.exec(suffix)?.[1] ?? 'corp';
  const parts: string[] = [];
  parts.push(entry([['dn', suffix], ['objectClass', 'dcObject'], ['objectClass', 'organization'], ['dc', dc], ['o', 'Corp Example']]));
  for (const dn of [corp, usersOu, groupsOu, serviceOu, ...ous]) {
    const name = /^ou=((?:\\.|[^,])+)/.exec(dn)![1]!.replace(/\\(.)/g, '$1');
    parts.push(entry([['dn', dn], ['objectClass', 'organizationalUnit'], ['ou', name]]));
  }
  parts.push(
    entry([['dn', serviceDn], ['objectClass', 'organizationalRole'], ['objectClass', 'simpleSecurityObject'], ['cn', 'factorgate-svc'], ['userPassword', servicePassword]]),
  );

  const users: FixtureUser[] = [];
  const mfaMembers: string[] = [];
  for (let i = 0; i < options.users; i++) {
    const uid = i < ODD_UIDS.length ? ODD_UIDS[i]! : `user${String(i).padStart(5, '0')}`;
    const givenName = GIVEN[i % GIVEN.length]!;
    const surname = SURNAMES[(i * 7) % SURNAMES.length]!;
    const ou = ous[i % ous.length]!;
    // AD builds the CN from the names; the uid keeps it unique within the OU.
    const cn = `${givenName} ${surname} ${uid}`;
    const dn = `cn=${escapeDnValue(cn)},${ou}`;
    const mail = i % 7 === 3 ? undefined : `${uid.replace(/[^A-Za-z0-9._-]/g, '_')}.${i}@corp.example`;
    const phone = i % 5 === 2 ? undefined : `+4930${String(1000000 + i)}`;
    const mobile = i % 3 === 0 ? `+49151${String(2000000 + i)}` : undefined;
    const disabled = i >= ODD_UIDS.length && i % 97 === 13;
    const inMfaGroup = i % 10 !== 9;
    const objectGuid = guidFor(`${suffix}/${uid}`);
    const lines: [string, string | Buffer][] = [
      ['dn', dn],
      ['objectClass', 'inetOrgPerson'],
      ['objectClass', 'adLikeUser'],
      ['cn', cn],
      ['uid', uid],
      ['sAMAccountName', uid],
      ['userPrincipalName', `${uid}@corp.example`],
      ['givenName', givenName],
      ['sn', surname],
      ['displayName', `${givenName} ${surname}`],
      ['objectGUID', objectGuid],
      ['userAccountControl', disabled ? '514' : '512'],
      ['userPassword', password],
    ];
    if (mail) lines.push(['mail', mail]);
    if (phone) lines.push(['telephoneNumber', phone]);
    if (mobile) lines.push(['mobile', mobile]);
    if (inMfaGroup) lines.push(['memberOf', mfaGroupDn]);
    parts.push(entry(lines));
    if (inMfaGroup) mfaMembers.push(dn);
    users.push({ index: i, uid, dn, password, givenName, surname, mail, phone, mobile, disabled, inMfaGroup, objectGuid, ou });
  }
  // memberOf above is what the memberof overlay would maintain; slapadd bypasses overlays, so
  // the initial load writes both sides, and later changes go through the running overlay.
  parts.push(entry([['dn', mfaGroupDn], ['objectClass', 'groupOfNames'], ['cn', 'MFA-Users'], ...mfaMembers.map((m): [string, string] => ['member', m])]));
  parts.push(entry([['dn', `cn=Empty-Group,${groupsOu}`], ['objectClass', 'groupOfNames'], ['cn', 'Empty-Group'], ['member', serviceDn]]));
  return { ldif: parts.join(''), users, mfaGroupDn, serviceDn, servicePassword, ous };
}
