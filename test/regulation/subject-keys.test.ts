import { describe, expect, it } from 'vitest';
import { accountKey, clientKey } from '../../src/regulation/subject-keys.js';

describe('regulation subjects', () => {
  it('counts respellings of one sign-in name as one account', () => {
    for (const name of ['jdoe', 'JDoe', ' jdoe ', 'CORP\\jdoe', 'corp\\JDOE', 'jdoe@corp.example', 'ｊｄｏｅ']) expect(accountKey(name)).toBe('a:jdoe');
    expect(accountKey('jane')).not.toBe(accountKey('jdoe'));
    expect(accountKey('')).toBeNull();
    expect(accountKey('CORP\\')).toBeNull();
    expect(accountKey(null)).toBeNull();
    expect(accountKey('x'.repeat(5000))!.length).toBe(258);
  });

  it('keys IPv4 as is, IPv4-mapped IPv6 as IPv4, and other IPv6 by /64', () => {
    expect(clientKey('203.0.113.7')).toBe('c:203.0.113.7');
    expect(clientKey('::ffff:203.0.113.7')).toBe('c:203.0.113.7');
    expect(clientKey('2001:db8:1:2::10')).toBe('c:2001:db8:1:2::/64');
    expect(clientKey('2001:0db8:0001:0002:ffff:0:0:1')).toBe('c:2001:db8:1:2::/64');
    expect(clientKey('2001:db8::1')).toBe('c:2001:db8:0:0::/64');
    expect(clientKey('::1')).toBe('c:0:0:0:0::/64');
    expect(clientKey('fe80::1%eth0')).toBe('c:fe80:0:0:0::/64');
    expect(clientKey('not-an-ip')).toBeNull();
    expect(clientKey(undefined)).toBeNull();
  });
});
