/**
 * The checks forward-auth makes before believing anything: which proxies may name the original
 * URL, how that URL is read, which hosts a rule covers, what may be a redirect target, and the
 * configuration problems reported with their key.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { forwardAuthConfigSchema } from '../../../adapters/forward-auth/config.js';
import { HostRules, hostMatches } from '../../../adapters/forward-auth/rules.js';
import { originalUrl, TrustedProxies } from '../../../adapters/forward-auth/target.js';
import { inGroups } from '../../../adapters/forward-auth/verify.js';

describe('trusted proxies', () => {
  const proxies = new TrustedProxies(['127.0.0.1', '10.1.0.0/16', '::1']);
  it.each([
    ['127.0.0.1', true],
    ['::ffff:127.0.0.1', true],
    ['10.1.200.3', true],
    ['::1', true],
    ['10.2.0.1', false],
    ['127.0.0.2', false],
    ['192.168.1.1', false],
    [undefined, false],
    ['not-an-ip', false],
  ])('%s → %s', (address, trusted) => {
    expect(proxies.has(address)).toBe(trusted);
  });
});

describe('the original URL', () => {
  it('reads X-Original-URL first, then X-Forwarded-Proto/-Host/-Uri', () => {
    expect(originalUrl({ 'x-original-url': 'https://app.example.com/a?b=1' })?.href).toBe('https://app.example.com/a?b=1');
    expect(originalUrl({ 'x-forwarded-proto': 'https', 'x-forwarded-host': 'app.example.com', 'x-forwarded-uri': '/x?y' })?.href).toBe('https://app.example.com/x?y');
  });
  it.each([
    ['no headers', {}],
    ['a non-http scheme', { 'x-original-url': 'javascript:alert(1)' }],
    ['credentials', { 'x-original-url': 'https://u:p@app.example.com/' }],
    ['a relative URL', { 'x-original-url': '/admin' }],
    ['a host without a scheme', { 'x-forwarded-host': 'app.example.com', 'x-forwarded-uri': '/' }],
    ['a URI not starting with /', { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'app.example.com', 'x-forwarded-uri': '@evil.example/' }],
    ['a non-http forwarded proto', { 'x-forwarded-proto': 'ftp', 'x-forwarded-host': 'app.example.com', 'x-forwarded-uri': '/' }],
  ])('names none with %s', (_name, headers) => {
    expect(originalUrl(headers as Record<string, string>)).toBeNull();
  });
});

describe('host rules and redirect targets', () => {
  const rules = new HostRules(forwardAuthConfigSchema.parse({ rules: [{ host: 'app.example.com' }, { host: '*.apps.example.com', groups: ['staff'] }] }).rules);
  it('matches exact hosts and wildcards below a domain, never the domain itself or a lookalike', () => {
    expect(hostMatches('*.apps.example.com', 'wiki.apps.example.com')).toBe(true);
    expect(hostMatches('*.apps.example.com', 'a.b.apps.example.com')).toBe(true);
    expect(hostMatches('*.apps.example.com', 'apps.example.com')).toBe(false);
    expect(hostMatches('*.apps.example.com', 'evilapps.example.com')).toBe(false);
    expect(hostMatches('app.example.com', 'app.example.com.evil.test')).toBe(false);
  });
  it.each([
    ['https://app.example.com/x?y=1', true],
    ['https://APP.example.com:8443/', true],
    ['https://wiki.apps.example.com/', true],
    ['https://evil.example/', false],
    ['https://app.example.com.evil.example/', false],
    ['https://user@app.example.com/', false],
    ['//app.example.com/', false],
    ['/relative', false],
    ['javascript://app.example.com/%0aalert(1)', false],
    ['data:text/html,hi', false],
    ['', false],
  ])('redirect to %s allowed: %s', (url, ok) => {
    expect(rules.redirectTarget(url) !== null).toBe(ok);
  });
});

describe('configuration', () => {
  const problems = (section: unknown): string[] => {
    const r = forwardAuthConfigSchema.safeParse(section);
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };
  it('fills in the defaults', () => {
    expect(forwardAuthConfigSchema.parse({ rules: [{ host: 'App.Example.com' }] })).toEqual({
      rules: [{ host: 'app.example.com', groups: [], mfa: true }],
      trustedProxies: ['127.0.0.1', '::1'],
      cookieName: 'fg_forward_auth',
      sessionLifetime: '8h',
    });
  });
  it('keeps the rule groups as written, and matches the user\'s groups case-insensitively', () => {
    const [rule] = forwardAuthConfigSchema.parse({ rules: [{ host: 'app.example.com', groups: ['Staff', 'MFA-Users'] }] }).rules;
    expect(rule!.groups).toEqual(['Staff', 'MFA-Users']);
    expect(inGroups(rule!, { groups: ['Other', 'STAFF'] })).toBe(true);
    expect(inGroups(rule!, { groups: ['mfa-USERS'] })).toBe(true);
    expect(inGroups(rule!, { groups: ['Staffers', 'users'] })).toBe(false);
    expect(inGroups(rule!, { groups: [] })).toBe(false);
    expect(inGroups({ groups: [] }, { groups: [] })).toBe(true);
  });
  it('matches a directory\'s DN memberships by the host\'s one rule: a name by the first RDN, a DN only itself', () => {
    const [byName, byDn] = forwardAuthConfigSchema.parse({
      rules: [
        { host: 'app.example.com', groups: ['Staff'] },
        { host: 'ops.example.com', groups: ['CN=Ops, OU=Groups, DC=corp, DC=example'] },
      ],
    }).rules;
    // LDAP/AD memberOf values are DNs: before, a rule named 'staff' matched none of them.
    expect(inGroups(byName!, { groups: ['CN=Staff,OU=Groups,DC=corp,DC=example'] })).toBe(true);
    expect(inGroups(byName!, { groups: ['CN=Staff Leads,OU=Groups,DC=corp,DC=example'] })).toBe(false);
    expect(inGroups(byName!, { groups: ['CN=Other,OU=Staff,DC=corp,DC=example'] })).toBe(false);
    expect(inGroups(byDn!, { groups: ['cn=ops,ou=groups,dc=corp,dc=example'] })).toBe(true);
    expect(inGroups(byDn!, { groups: ['CN=Ops,OU=Elsewhere,DC=corp,DC=example', 'Ops'] })).toBe(false);
  });
  it('reports each problem with its key', () => {
    expect(problems({ rules: [] })).toEqual(['rules: Too small: expected array to have >=1 items']);
    expect(problems({ rules: [{ host: 'https://app.example.com' }], trustedProxies: ['10.0.0.0/33', 'proxy.local'] })).toEqual([
      'rules.0.host: expected a host name (app.example.com) or a wildcard (*.example.com)',
      'trustedProxies.0: expected an IP address or a CIDR block (10.0.0.0/8)',
      'trustedProxies.1: expected an IP address or a CIDR block (10.0.0.0/8)',
    ]);
    expect(problems({ cookieDomain: 'example.com', rules: [{ host: 'app.example.com' }, { host: 'app.other.org' }] })).toEqual([
      'rules.1.host: host app.other.org is not below cookieDomain example.com: it would never receive the session cookie',
    ]);
  });
});

describe('the README', () => {
  it('shows the nginx configuration the nginx test runs, word for word', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const example = readFileSync(new URL('../../../adapters/forward-auth/examples/nginx.conf', import.meta.url), 'utf8');
    expect(readme).toContain(`\`\`\`nginx\n${example.trimEnd()}\n\`\`\``);
  });

  it('shows the Caddyfile the Caddy test runs, word for word', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const example = readFileSync(new URL('../../../adapters/forward-auth/examples/Caddyfile', import.meta.url), 'utf8');
    expect(readme).toContain(`\`\`\`caddyfile\n${example.trimEnd()}\n\`\`\``);
  });
});
