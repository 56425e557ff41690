/**
 * `factorgate policy explain` and the policy checks of `check-config`, through the real
 * executable, with a users file that gives groups.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/directory/password-hash.js';
import { runFactorgate } from '../support/factorgate-cli.js';

let dir: string;
let hash: string;

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function config(rules: string): string {
  write('users.yaml', `users:\n  - username: grace\n    passwordHash: "${hash}"\n    groups: ["CN=Domain Admins,CN=Users,DC=corp,DC=example", Staff]\n  - username: ada\n    passwordHash: "${hash}"\n    groups: [Staff]\n`);
  return write(
    'factorgate.yaml',
    `dataDir: ./data
directory: { type: file, path: ./users.yaml }
adapters:
  samlIdp:
    relyingParties:
      - { name: payroll, entityId: https://payroll.example/sp, acs: [{ url: https://payroll.example/acs }] }
policies:
  rules:
${rules}`,
  );
}

const RULES = `    - { name: admins-payroll, apps: [payroll], groups: [Domain Admins], methods: [webauthn], sessionMinutes: 15 }
    - { name: admins, groups: [Domain Admins], methods: [totp, oath], enrolment: deny }
    - { name: office, trustedNetworks: { networks: [10.0.0.0/8] }, rememberDeviceDays: 30 }
`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fg-policy-cli-'));
  hash = await hashPassword('not-used-here-1');
});

describe('factorgate policy explain', () => {
  it('prints each part with the rule that gave it, and the decision for a client address', async () => {
    const file = config(RULES);
    const r = await runFactorgate(['policy', 'explain', '--config', file, '--user', 'grace', '--app', 'payroll', '--ip', '10.9.8.7']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const lines = r.out.trimEnd().split('\n');
    expect(lines[0]).toBe('policy for grace at payroll (groups: CN=Domain Admins,CN=Users,DC=corp,DC=example; Staff)');
    expect(lines[1]).toBe('matching rules: admins-payroll, admins, office');
    expect(lines[2]).toMatch(/^methods\s+webauthn\s+rule "admins-payroll" \(policies\.rules\[0\]\)$/);
    expect(lines[3]).toMatch(/^enrolment\s+deny\s+rule "admins" \(policies\.rules\[1\]\)$/);
    expect(lines[4]).toMatch(/^session\s+15 minutes\s+rule "admins-payroll"/);
    expect(lines[5]).toMatch(/^remember device\s+30 days\s+rule "office" \(policies\.rules\[2\]\)$/);
    expect(lines[6]).toMatch(/^trusted networks\s+skip-inside 10\.0\.0\.0\/8\s+rule "office"/);
    expect(lines[7]).toBe('from 10.9.8.7: second factor skipped (trusted network 10.0.0.0/8) unless the relying party asks for step-up');
  });

  it('a user outside the group keeps the defaults, and says where they come from', async () => {
    const file = config(RULES);
    const r = await runFactorgate(['policy', 'explain', '--config', file, '--user', 'ada', '--app', 'payroll', '--ip', '192.0.2.1']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('matching rules: office\n');
    expect(r.out).toMatch(/\nmethods\s+totp, oath, sms, voice, email, webauthn, backup-code\s+default \(every configured method\)\n/);
    expect(r.out).toMatch(/\nsession\s+480 minutes\s+default \(session\.lifetimeMinutes\)\n/);
    expect(r.out).toContain('from 192.0.2.1: second factor asked\n');
  });

  it('an unknown user or a missing option is an error', async () => {
    const file = config(RULES);
    const r = await runFactorgate(['policy', 'explain', '--config', file, '--user', 'nobody', '--app', 'payroll']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('no user "nobody" in the directory or the store');
    const u = await runFactorgate(['policy', 'explain', '--config', file, '--user', 'ada']);
    expect(u.code).toBe(2);
    expect(u.err).toContain('policy explain needs --app APP');
  });
});

describe('check-config validates the rules', () => {
  it('names unknown apps, groups and methods with the file and key', async () => {
    const file = config(`    - { name: a, apps: [payrol], groups: [Domain Admin] }
    - { name: b, methods: [sms, pigeon] }
`);
    const r = await runFactorgate(['check-config', '--config', file]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${file}: policies.rules[1].methods[1]:`);
    const fixed = config(`    - { name: a, apps: [payrol], groups: [Domain Admin] }
`);
    const r2 = await runFactorgate(['check-config', '--config', fixed]);
    expect(r2.code).toBe(2);
    expect(r2.err.trimEnd().split('\n')).toEqual([
      `${fixed}: policies.rules[0].apps[0]: unknown app "payrol" (known: host, saml-idp, payroll)`,
      `${fixed}: policies.rules[0].groups[0]: no user of the users file is in group "Domain Admin"`,
    ]);
    const ok = await runFactorgate(['check-config', '--config', config(RULES)]);
    expect(ok.err).toBe('');
    expect(ok.code).toBe(0);
  });
});
