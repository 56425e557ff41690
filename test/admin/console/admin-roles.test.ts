import { describe, expect, it } from 'vitest';
import { roleAllows, roleOf } from '../../../src/admin/console/admin-roles.js';
import { inGroup } from '../../../src/policy/group-match.js';

const roles = {
  admin: { users: ['Root'], groups: ['CN=FG Admins,OU=Groups,DC=corp,DC=example'] },
  helpdesk: { users: [], groups: ['FG Helpdesk'] },
};

describe('console roles', () => {
  it('names admins by username, case-folded', () => {
    expect(roleOf(roles, { username: 'root', groups: [] })).toBe('admin');
    expect(roleOf(roles, { username: 'ROOT', groups: [] })).toBe('admin');
    expect(roleOf(roles, { username: 'rooter', groups: [] })).toBeNull();
  });

  it('matches a group named by full DN only on that DN, not on a namesake elsewhere in the tree', () => {
    expect(roleOf(roles, { username: 'x', groups: ['cn=fg admins,ou=groups,dc=corp,dc=example'] })).toBe('admin');
    expect(roleOf(roles, { username: 'x', groups: ['CN=FG Admins,OU=Contractors,DC=corp,DC=example'] })).toBeNull();
  });

  it('matches a group named by a plain name on the first RDN value of a membership', () => {
    expect(roleOf(roles, { username: 'x', groups: ['CN=FG Helpdesk,OU=Groups,DC=corp,DC=example'] })).toBe('helpdesk');
    expect(roleOf(roles, { username: 'x', groups: ['fg helpdesk'] })).toBe('helpdesk');
    expect(roleOf(roles, { username: 'x', groups: ['CN=Helpdesk,OU=FG Helpdesk,DC=corp'] })).toBeNull();
    expect(inGroup('FG Helpdesk', ['CN=FG Helpdesk Leads,OU=Groups'])).toBe(false);
  });

  it('gives the higher role when a user holds both, and admin includes help desk', () => {
    expect(roleOf(roles, { username: 'root', groups: ['CN=FG Helpdesk,OU=Groups'] })).toBe('admin');
    expect(roleAllows('admin', 'helpdesk')).toBe(true);
    expect(roleAllows('helpdesk', 'admin')).toBe(false);
  });
});
