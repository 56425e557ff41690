/**
 * Which of a RADIUS client's `groupAttributes` an Access-Accept carries: the groups the user's
 * memberOf holds, by the host's one membership rule (the SDK's inGroup), as policy rules match.
 */
import { describe, expect, it } from 'vitest';
import { matchedGroups } from '../../../adapters/radius/accept-attributes.js';

const attrs = [{ name: 'Filter-Id' as const, value: 'x' }];
const client = {
  groupAttributes: [
    { group: 'VPN Users', attributes: attrs },
    { group: 'CN=Admins, OU=Groups, DC=corp, DC=example', attributes: attrs },
    { group: 'contractors', attributes: attrs },
  ],
};

describe('RADIUS group attributes', () => {
  it('matches a configured name by a DN\'s first RDN, a configured DN only itself, without case or spaces', () => {
    expect(matchedGroups(client, ['CN=VPN Users,OU=Groups,DC=corp,DC=example'])).toEqual(['VPN Users']);
    expect(matchedGroups(client, ['cn=admins,ou=groups,dc=corp,dc=example'])).toEqual(['CN=Admins, OU=Groups, DC=corp, DC=example']);
    expect(matchedGroups(client, ['CN=Admins,OU=Elsewhere,DC=corp,DC=example'])).toEqual([]);
    expect(matchedGroups(client, ['Contractors', 'vpn users'])).toEqual(['VPN Users', 'contractors']);
    expect(matchedGroups(client, ['CN=VPN Users Old,OU=Groups,DC=corp,DC=example', 'OU=VPN,DC=corp,DC=example'])).toEqual([]);
    expect(matchedGroups({ groupAttributes: [] }, ['CN=VPN Users,OU=Groups'])).toEqual([]);
  });
});
