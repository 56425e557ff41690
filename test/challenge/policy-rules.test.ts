import { afterEach, describe, expect, it } from 'vitest';
import { generateTotp } from '../../src/otp/index.js';
import { Browser, addUser, answer, enrol, startHarness, type Harness, type HarnessOptions } from './harness.js';

let hosts: Harness[] = [];
afterEach(async () => {
  await Promise.all(hosts.map((h) => h.close()));
  hosts = [];
});

async function host(opts: HarnessOptions = {}) {
  const h = await startHarness(opts);
  hosts.push(h);
  return h;
}

/** The second-factor records of one method (the manual clock gives every record the same time). */
async function factorAudit(h: Harness, method: string) {
  return h.store.db.selectFrom('audit_events').selectAll().where('event', '=', 'second-factor').where('method', '=', method).execute();
}

function withGroups(h: Harness, username: string, groups: string[]) {
  return h.users.upsertFromDirectory({ externalId: `ext-${username}`, username, displayName: 'Grace Hopper', disabled: false, groups }, 'test');
}

/** A browser whose requests claim to come from `xff` (X-Forwarded-For). */
class ForwardedBrowser extends Browser {
  constructor(
    base: string,
    private readonly xff: string,
  ) {
    super(base);
  }
  override get(path: string, headers: Record<string, string> = {}) {
    return super.get(path, { 'x-forwarded-for': this.xff, ...headers });
  }
  override post(path: string, form: Record<string, string>, headers: Record<string, string> = {}) {
    return super.post(path, form, { 'x-forwarded-for': this.xff, ...headers });
  }
}

const office = { policies: { rules: [{ name: 'office', trustedNetworks: { networks: ['10.0.0.0/8'] } }] } };

describe('trusted networks', () => {
  it('a client inside a trusted network (through a trusted proxy) skips the factor; the audit names the network and the rule', async () => {
    const h = await host({ config: office, trustProxy: ['loopback'] });
    await addUser(h, 'ada');
    const b = new ForwardedBrowser(h.url, '10.1.2.3');
    await enrol(h, new Browser(h.url), 'ada');
    const path = await b.begin('ada');
    const r = await b.get(path);
    expect(r.status).toBe(200);
    expect(r.body).toContain('verified ada with no second factor');
    expect(h.record.outcomes.at(-1)).toMatchObject({ result: 'verified', methods: [], multiFactor: false });
    expect(await factorAudit(h, 'none')).toMatchObject([{ result: 'success', client_ip: '10.1.2.3', detail: 'skipped: trusted network 10.0.0.0/8, by rule "office" (policies.rules[0])' }]);
  });

  it('step-up: a relying party asking for a multi-factor context gets a challenge even inside the trusted network', async () => {
    const h = await host({ config: office, trustProxy: ['loopback'] });
    await addUser(h, 'ada');
    await enrol(h, new Browser(h.url), 'ada');
    const b = new ForwardedBrowser(h.url, '10.1.2.3');
    const start = await b.get('/test-app/start?user=ada&stepUp=1');
    expect((await b.get(start.headers.get('location')!)).body).toContain('name="code"');
    expect(await factorAudit(h, 'none')).toEqual([]);
  });

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy: the challenge is asked', async () => {
    const h = await host({ config: office });
    await addUser(h, 'ada');
    const secret = await enrol(h, new Browser(h.url), 'ada');
    const b = new ForwardedBrowser(h.url, '10.1.2.3');
    const path = await b.begin('ada');
    const page = await b.get(path);
    expect(page.body).toContain('name="code"');
    h.clock.advance(30_000);
    const r = await answer(b, path, generateTotp(secret, h.clock.now()));
    expect(r.body).toContain('verified ada with totp');
    expect(await factorAudit(h, 'none')).toEqual([]);
    expect((await factorAudit(h, 'totp')).map((a) => a.client_ip)).toEqual(['127.0.0.1', '127.0.0.1']);
  });

  it('off (no rule): a client in 10.0.0.0/8 is asked like anyone', async () => {
    const h = await host({ trustProxy: ['loopback'] });
    await addUser(h, 'ada');
    await enrol(h, new Browser(h.url), 'ada');
    const b = new ForwardedBrowser(h.url, '10.1.2.3');
    expect((await b.get(await b.begin('ada'))).body).toContain('name="code"');
  });

  it('require-inside: asked inside the listed networks, skipped outside them', async () => {
    const h = await host({ trustProxy: ['loopback'], config: { policies: { rules: [{ name: 'external', trustedNetworks: { networks: ['203.0.113.0/24'], mode: 'require-inside' } }] } } });
    await addUser(h, 'ada');
    const inside = new ForwardedBrowser(h.url, '203.0.113.5');
    await enrol(h, inside, 'ada');
    expect((await inside.get(await inside.begin('ada'))).body).toContain('name="code"');
    const outside = new ForwardedBrowser(h.url, '192.168.1.1');
    expect((await outside.get(await outside.begin('ada'))).body).toContain('verified ada with no second factor');
    expect((await factorAudit(h, 'none')).map((a) => a.detail)).toEqual(['skipped: outside the networks that require a second factor (203.0.113.0/24), by rule "external" (policies.rules[0])']);
  });
});

describe('per-group and per-app rules', () => {
  const adminsTotpOnly = {
    policies: {
      rules: [
        { name: 'other-app', apps: ['some-other-app'], methods: ['sms'] as 'sms'[] },
        { name: 'admins', groups: ['Domain Admins'], methods: ['oath'] as 'oath'[], enrolment: 'deny' as const },
      ],
    },
  };

  it('a group rule that does not allow the user\'s method hides it: with enrolment deny the challenge is denied NO_FACTOR', async () => {
    const h = await host({ config: adminsTotpOnly });
    await withGroups(h, 'grace', ['CN=Staff,DC=corp,DC=example']);
    await enrol(h, new Browser(h.url), 'grace');
    // The next sign-in brings the new groups from the directory.
    await withGroups(h, 'grace', ['CN=Domain Admins,CN=Users,DC=corp,DC=example']);
    const b = new Browser(h.url);
    await b.get(await b.begin('grace'));
    expect(h.record.outcomes.at(-1)).toMatchObject({ result: 'denied', reason: 'NO_FACTOR' });
  });

  it('the same user outside the group, or the rule for another app, leaves TOTP offered', async () => {
    const h = await host({ config: adminsTotpOnly });
    await withGroups(h, 'grace', ['CN=Staff,DC=corp,DC=example']);
    const secret = await enrol(h, new Browser(h.url), 'grace');
    const b = new Browser(h.url);
    const path = await b.begin('grace');
    h.clock.advance(30_000);
    expect((await answer(b, path, generateTotp(secret, h.clock.now()))).body).toContain('verified grace with totp');
  });

  it('sessionMinutes from a rule sets the session cookie\'s lifetime; without it the configured one', async () => {
    const h = await host({ config: { policies: { rules: [{ name: 'short', apps: ['test-relying-party'], sessionMinutes: 10 }] } } });
    await addUser(h, 'ada');
    const secret = await enrol(h, new Browser(h.url), 'ada');
    const b = new Browser(h.url);
    const path = await b.begin('ada');
    h.clock.advance(30_000);
    const r = await answer(b, path, generateTotp(secret, h.clock.now()));
    const session = r.setCookies.find((c) => /^fg_session=[^;]/.test(c));
    expect(session).toMatch(/Max-Age=600;/);
    const row = await h.store.db.selectFrom('sessions').select(['created_at', 'expires_at']).orderBy('created_at', 'desc').executeTakeFirstOrThrow();
    expect(row.expires_at - row.created_at).toBe(600_000);
  });
});
