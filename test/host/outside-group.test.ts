/**
 * Issue 26 item 8, against a real slapd whose directory section has a group filter
 * (`memberOf=cn=MFA-Users,…`): a user whose password is right but who is not in the group
 * meets `directory.outsideGroup` — deny (its own page, audit NOT_IN_MFA_GROUP) or allow
 * (password only, audited) — instead of "The username or password is incorrect".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSlapd, type Slapd } from '../support/slapd.js';
import { slapdDirectoryConfig } from '../support/ldap-directory-config.js';
import { startHost, type RunningHost } from '../support/host-harness.js';
import { Browser, field } from '../challenge/harness.js';

let slapd: Slapd;
let deny: RunningHost;
let allow: RunningHost;

beforeAll(async () => {
  slapd = await startSlapd({ users: 20 });
  deny = await startHost({ config: { directory: slapdDirectoryConfig(slapd), branding: { helpdesk: { text: 'Ask IT to add you to MFA-Users.' } } } });
  allow = await startHost({ config: { directory: { ...slapdDirectoryConfig(slapd), outsideGroup: 'allow' } } });
}, 60_000);
afterAll(async () => {
  await deny?.close();
  await allow?.close();
  await slapd?.destroy();
});

const outsider = () => slapd.fixture.users.find((u) => !u.inMfaGroup && !u.disabled)!;
const member = () => slapd.fixture.users.find((u) => u.inMfaGroup && !u.disabled)!;

async function signIn(h: RunningHost, username: string, password: string) {
  const b = new Browser(h.url);
  const form = await b.get('/login');
  const r = await b.post('/login', { _csrf: field(form.body, '_csrf'), username, password });
  return { b, r };
}

async function auditOf(h: RunningHost, username: string) {
  return h.host.api.store.db.selectFrom('audit_events').select(['event', 'result', 'method', 'deny_reason', 'detail']).where('username', '=', username).orderBy('ts').execute();
}

describe('a user outside the directory group filter', () => {
  it('deny (the default): the right password leads to its own page and NOT_IN_MFA_GROUP in the audit', async () => {
    const u = outsider();
    const { b, r } = await signIn(deny, u.uid, u.password);
    expect(r.status).toBe(303);
    const page = await b.get(r.headers.get('location')!);
    expect(page.status).toBe(403);
    expect(page.body).toContain('<h1>This account cannot sign in here</h1>');
    expect(page.body).toContain('Your password is correct, but your account is not in the group of users allowed to sign in through this service.');
    expect(page.body).toContain('Ask IT to add you to MFA-Users.');
    expect(page.body).not.toContain('The username or password is incorrect.');
    expect(page.body).not.toContain('name="code"');
    expect(await auditOf(deny, u.uid)).toMatchObject([
      { event: 'primary', result: 'success' },
      { event: 'challenge', result: 'denied', deny_reason: 'NOT_IN_MFA_GROUP' },
    ]);
    // No session: nothing was signed in.
    expect((await b.get('/login')).body).not.toContain('You are signed in');
  });

  it('in French too', async () => {
    const u = outsider();
    const { b, r } = await signIn(deny, u.uid, u.password);
    b.acceptLanguage = 'fr';
    const page = await b.get(r.headers.get('location')!);
    expect(page.body).toContain('Ce compte ne peut pas se connecter ici');
    expect(page.body).toContain('votre compte ne fait pas partie du groupe');
  });

  it('a wrong password for that user gets the answer every wrong password gets', async () => {
    const u = outsider();
    const wrong = await signIn(deny, u.uid, 'not-the-password');
    const unknown = await signIn(deny, 'no-such-user', 'not-the-password');
    for (const { r } of [wrong, unknown]) {
      expect(r.status).toBe(401);
      expect(r.body).toContain('The username or password is incorrect.');
      expect(r.body).not.toMatch(/group|groupe/);
    }
    const audit = await auditOf(deny, 'no-such-user');
    expect(audit.every((a) => a.deny_reason !== 'NOT_IN_MFA_GROUP')).toBe(true);
  });

  it('a group member still meets the challenge (control)', async () => {
    const u = member();
    const { b, r } = await signIn(deny, u.uid, u.password);
    const page = await b.get(r.headers.get('location')!);
    expect(page.status).toBe(200);
    expect(page.body).toContain('Set up two-step verification');
  });

  it('allow: the right password signs in without a second factor, password-only, audited', async () => {
    const u = outsider();
    const { b, r } = await signIn(allow, u.uid, u.password);
    const done = await b.get(r.headers.get('location')!);
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe('/login');
    expect((await b.get('/login')).body).toContain('You are signed in');
    const sessions = await allow.host.api.store.db.selectFrom('sessions').selectAll().execute();
    expect(sessions.map((s) => JSON.parse(s.data) as { multiFactor: boolean; methods: string[] })).toMatchObject([{ multiFactor: false, methods: [] }]);
    const audit = await auditOf(allow, u.uid);
    expect(audit.at(-1)).toMatchObject({ event: 'second-factor', result: 'success', method: 'none' });
    expect(audit.at(-1)!.detail).toContain('NOT_IN_MFA_GROUP');
  });
});
