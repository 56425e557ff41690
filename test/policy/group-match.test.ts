/**
 * One group matcher (issue 20 review): policy rules, console roles and WebAuthn's
 * userVerificationRequiredFor agree on who is in a group — DN against name, case, spaces.
 */
import { describe, expect, it } from 'vitest';
import { directoryGroups, inGroup, normalizeDn } from '../../src/policy/group-match.js';
import { effectivePolicy } from '../../src/policy/effective-policy.js';
import { roleOf } from '../../src/admin/console/admin-roles.js';
import type { PolicyRule } from '../../src/policy/config.js';

const ADMINS_DN = 'CN=Domain Admins,CN=Users,DC=corp,DC=example';

/** [configured group, memberships, expected] */
const CASES: [string, string[], boolean][] = [
  // A plain name against a DN: the first RDN's value, any attribute type.
  ['Domain Admins', [ADMINS_DN], true],
  ['domain admins', [ADMINS_DN], true],
  ['  Domain Admins ', [ADMINS_DN], true],
  ['Domain Admins', ['  cn = Domain Admins , cn=Users,dc=corp,dc=example'], true],
  ['Payroll', ['ou=Payroll,dc=corp,dc=example'], true],
  ['Domain Admins', ['CN=Domain Admins Leads,CN=Users,DC=corp'], false],
  ['Users', [ADMINS_DN], false], // only the first RDN names the group
  ['Admins, Europe', ['CN=Admins\\, Europe,OU=Groups,DC=corp'], true], // an escaped comma is part of the value
  // A plain name against a plain name (a users file's groups).
  ['Payroll', ['payroll'], true],
  ['Payroll', [' PAYROLL '], true],
  ['Payroll', ['Payroll Admins'], false],
  // A DN configured: that DN only, whatever the spaces and case.
  [ADMINS_DN, ['cn=domain admins,cn=users,dc=corp,dc=example'], true],
  [ADMINS_DN, ['CN=Domain Admins, CN=Users, DC=corp, DC=example'], true],
  ['cn = Domain Admins , CN=Users,DC=corp,DC=example', [ADMINS_DN], true],
  [ADMINS_DN, ['CN=Domain Admins,OU=Contractors,DC=corp,DC=example'], false], // a namesake elsewhere
  [ADMINS_DN, ['Domain Admins'], false], // a bare name does not prove the DN
  ['Domain Admins', [], false],
];

const rule = (group: string): PolicyRule => ({ name: 'r', groups: [group], methods: ['totp'] }) as PolicyRule;
const policyMatches = (group: string, groups: string[]) =>
  effectivePolicy([rule(group)], { app: 'x', groups }, { enrolment: 'enroll', enrolmentSource: 'test', sessionMinutes: 60 }).matched.length === 1;
const roleMatches = (group: string, groups: string[]) => roleOf({ admin: { users: [], groups: [group] }, helpdesk: { users: [], groups: [] } }, { username: 'x', groups }) === 'admin';

describe('the group matcher', () => {
  it.each(CASES)('%j in %j → %s, for policy rules and console roles alike', (configured, memberOf, expected) => {
    expect(inGroup(configured, memberOf)).toBe(expected);
    expect(policyMatches(configured, memberOf)).toBe(expected);
    expect(roleMatches(configured, memberOf)).toBe(expected);
  });

  it('writes a DN one way, and says a plain name is none', () => {
    expect(normalizeDn(' CN=Domain Admins , CN=Users,DC=corp ')).toBe('cn=domain admins,cn=users,dc=corp');
    expect(normalizeDn('Domain Admins')).toBeNull();
  });

  it('reads an entry\'s groups and any memberOf attribute, and nothing from no entry', () => {
    expect(directoryGroups({ groups: ['a'], attributes: { memberOf: ['CN=b,DC=x'], mail: ['m@x'] } })).toEqual(['a', 'CN=b,DC=x']);
    expect(directoryGroups(null)).toEqual([]);
  });
});
