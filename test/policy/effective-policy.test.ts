import { describe, expect, it } from 'vitest';
import { policiesConfigSchema, type PolicyRule } from '../../src/policy/config.js';
import { describeSource, effectivePolicy, networkSkip } from '../../src/policy/effective-policy.js';
import { matchingNetwork } from '../../src/policy/networks.js';

const defaults = { enrolment: 'enroll' as const, enrolmentSource: 'challenge.enrolmentPolicy', sessionMinutes: 480 };

function rules(input: unknown[]): PolicyRule[] {
  return policiesConfigSchema.parse({ rules: input }).rules;
}

describe('effective policy: first matching rule per part', () => {
  const set = rules([
    { name: 'admins-payroll', apps: ['payroll'], groups: ['Domain Admins'], methods: ['webauthn'], sessionMinutes: 15 },
    { name: 'admins', groups: ['Domain Admins'], methods: ['totp', 'oath'], enrolment: 'deny', sessionMinutes: 60 },
    { name: 'office', trustedNetworks: { networks: ['10.0.0.0/8'] }, rememberDeviceDays: 30 },
  ]);

  it('with no rule every part keeps its default, and says so', () => {
    const p = effectivePolicy([], { app: 'payroll', groups: [] }, defaults);
    expect(p.methods.value).toContain('sms');
    expect(p.enrolment).toEqual({ value: 'enroll', source: { default: 'challenge.enrolmentPolicy' } });
    expect(p.sessionMinutes.value).toBe(480);
    expect(p.rememberDeviceDays.value).toBe(0);
    expect(p.trustedNetworks.value).toBeNull();
    expect(p.matched).toEqual([]);
  });

  it('takes each part from the first matching rule that sets it: earlier rules win, later rules fill the gaps', () => {
    const p = effectivePolicy(set, { app: 'payroll', groups: ['CN=Domain Admins,CN=Users,DC=corp,DC=example'] }, defaults);
    expect(p.matched).toEqual(['admins-payroll', 'admins', 'office']);
    expect(p.methods.value).toEqual(['webauthn']);
    expect(describeSource(p.methods.source)).toBe('rule "admins-payroll" (policies.rules[0])');
    expect(p.sessionMinutes.value).toBe(15);
    expect(describeSource(p.enrolment.source)).toBe('rule "admins" (policies.rules[1])');
    expect(p.enrolment.value).toBe('deny');
    expect(describeSource(p.rememberDeviceDays.source)).toBe('rule "office" (policies.rules[2])');
    expect(p.trustedNetworks.value?.networks).toEqual(['10.0.0.0/8']);
  });

  it('a rule for another app or group does not apply (group matched by CN or full DN, any case)', () => {
    const elsewhere = effectivePolicy(set, { app: 'wiki', groups: ['domain admins'] }, defaults);
    expect(elsewhere.matched).toEqual(['admins', 'office']);
    expect(elsewhere.methods.value).toEqual(['totp', 'oath']);
    const staff = effectivePolicy(set, { app: 'payroll', groups: ['CN=Staff,DC=corp'] }, defaults);
    expect(staff.matched).toEqual(['office']);
    expect(staff.enrolment.value).toBe('enroll');
    const byDn = effectivePolicy(rules([{ name: 'dn', groups: ['CN=Ops,OU=G,DC=x'], methods: ['sms'] }]), { app: null, groups: ['cn=ops,ou=g,dc=x'] }, defaults);
    expect(byDn.methods.value).toEqual(['sms']);
  });

  it('an app rule matches the relying party name or the adapter name', () => {
    const r = rules([{ name: 'proxy', apps: ['forms-proxy'], sessionMinutes: 5 }]);
    expect(effectivePolicy(r, { app: 'intranet', adapter: 'forms-proxy', groups: [] }, defaults).sessionMinutes.value).toBe(5);
    expect(effectivePolicy(r, { app: 'intranet', adapter: 'saml-idp', groups: [] }, defaults).sessionMinutes.value).toBe(480);
  });
});

describe('rules configuration', () => {
  it('refuses unknown methods and bad networks, each with its path', () => {
    const r = policiesConfigSchema.safeParse({
      rules: [
        { name: 'a', methods: ['carrier-pigeon'] },
        { name: 'b', trustedNetworks: { networks: ['10.0.0.0/33', 'example.com'] } },
      ],
    });
    expect(r.success).toBe(false);
    const paths = r.error!.issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(['rules.0.methods.0', 'rules.1.trustedNetworks.networks.0', 'rules.1.trustedNetworks.networks.1']);
  });

  it('refuses a rule name used twice', () => {
    const r = policiesConfigSchema.safeParse({ rules: [{ name: 'a' }, { name: 'a' }] });
    expect(r.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([['rules.1.name', '"a" is used by an earlier rule']]);
  });
});

describe('trusted networks', () => {
  it('matches IPv4, IPv4-mapped IPv6 and IPv6 clients against CIDR lists', () => {
    expect(matchingNetwork('10.20.30.40', ['192.168.0.0/16', '10.0.0.0/8'])).toBe('10.0.0.0/8');
    expect(matchingNetwork('::ffff:10.1.2.3', ['10.0.0.0/8'])).toBe('10.0.0.0/8');
    expect(matchingNetwork('2001:db8::7', ['2001:db8::/32'])).toBe('2001:db8::/32');
    expect(matchingNetwork('11.0.0.1', ['10.0.0.0/8'])).toBeNull();
    expect(matchingNetwork('192.0.2.9', ['192.0.2.9'])).toBe('192.0.2.9');
    expect(matchingNetwork(undefined, ['0.0.0.0/0'])).toBeNull();
  });

  it('answers every address of a list it has already compiled, first listed network first, families kept apart', () => {
    const networks = Object.freeze(['192.0.2.0/24', '10.0.0.0/8', '2001:db8::/32', '10.1.0.0/16']);
    const cases: [string, string | null][] = [
      ['10.1.2.3', '10.0.0.0/8'],
      ['192.0.2.200', '192.0.2.0/24'],
      ['2001:db8::1', '2001:db8::/32'],
      ['::ffff:192.0.2.1', '192.0.2.0/24'],
      ['198.51.100.1', null],
      ['2001:db9::1', null],
      ['not-an-address', null],
    ];
    for (let round = 0; round < 3; round++) {
      for (const [ip, want] of cases) expect([ip, matchingNetwork(ip, networks)]).toEqual([ip, want]);
    }
    // Another list with other networks is not answered from the first one's.
    expect(matchingNetwork('10.1.2.3', Object.freeze(['10.1.0.0/16']))).toBe('10.1.0.0/16');
  });

  it('skip-inside skips inside; require-inside skips only outside', () => {
    const inside = { networks: ['10.0.0.0/8'], mode: 'skip-inside' as const };
    expect(networkSkip(inside, '10.0.0.0/8')).toBe('trusted network 10.0.0.0/8');
    expect(networkSkip(inside, null)).toBeNull();
    const outside = { networks: ['203.0.113.0/24'], mode: 'require-inside' as const };
    expect(networkSkip(outside, '203.0.113.0/24')).toBeNull();
    expect(networkSkip(outside, null)).toMatch(/^outside the networks that require a second factor/);
    expect(networkSkip(null, '10.0.0.0/8')).toBeNull();
  });
});
