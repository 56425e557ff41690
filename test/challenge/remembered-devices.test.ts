/**
 * "Remember this device" (issue 20) through the challenge page: offered only where the policy
 * says, a signed user- and app-bound cookie that skips the next challenge, refused when forged
 * or another user's, never honoured under step-up, and revoked by a method reset or a password
 * change in the directory.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { generateTotp } from '../../src/otp/index.js';
import { createLogger } from '../../src/audit/logger.js';
import { AuditLog } from '../../src/audit/audit-log.js';
import { UserAdmin } from '../../src/admin/user-admin.js';
import { rootConfigSchema } from '../../src/config/schema.js';
import { Browser, addUser, enrol, field, startHarness, type Harness, type HarnessOptions } from './harness.js';

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

const REMEMBER = { policies: { rules: [{ name: 'remember-30', apps: ['test-relying-party'], rememberDeviceDays: 30 }] } };
const COOKIE = /^(?:__Host-)?fg_rd_[A-Za-z0-9_-]{12}=/;

/** Signs `username` in with a TOTP code, ticking "remember this device" when asked. */
async function signIn(h: Harness, b: Browser, username: string, secret: Buffer, remember: boolean) {
  const path = await b.begin(username);
  const page = await b.get(path);
  h.clock.advance(30_000);
  const form: Record<string, string> = { _csrf: field(page.body, '_csrf'), method: field(page.body, 'method'), code: generateTotp(secret, h.clock.now()) };
  if (remember) form.remember = '1';
  return { page, result: await b.post(path, form) };
}

async function audits(h: Harness, event: string) {
  return h.store.db.selectFrom('audit_events').selectAll().where('event', '=', event).execute();
}

async function deviceSkips(h: Harness) {
  return (await audits(h, 'second-factor')).filter((a) => a.method === 'remembered-device');
}

describe('remember this device', () => {
  it('is offered where the policy says; the cookie (HttpOnly, 30 days) skips the next challenge, audited', async () => {
    const h = await host({ config: REMEMBER });
    await addUser(h, 'ada');
    const b = new Browser(h.url);
    const secret = await enrol(h, b, 'ada');
    const { page, result } = await signIn(h, b, 'ada', secret, true);
    expect(page.body).toContain('Don’t ask again on this device for 30 days');
    expect(result.status).toBe(200);
    const cookie = result.setCookies.find((c) => COOKIE.test(c))!;
    expect(cookie).toMatch(/; Max-Age=2592000; /);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).not.toMatch(/; Secure/); // plain-HTTP localhost demo
    const rows = await h.store.db.selectFrom('remembered_devices').selectAll().execute();
    expect(rows).toMatchObject([{ app: 'test-relying-party', browser_label: 'Browser', revoked_at: null }]);

    h.clock.advance(3600_000);
    const again = await b.get(await b.begin('ada'));
    expect(again.body).toContain('verified ada with remembered-device');
    expect(h.record.outcomes.at(-1)).toMatchObject({ result: 'verified', methods: ['remembered-device'], multiFactor: true });
    const [skip] = await deviceSkips(h);
    expect(skip!.detail).toBe(`skipped: remembered device "Browser" since ${new Date(rows[0]!.created_at).toISOString()}, by rule "remember-30" (policies.rules[0])`);
    expect(skip!.device_token).toBe(rows[0]!.id);
    expect((await h.store.db.selectFrom('remembered_devices').select('last_used_at').executeTakeFirstOrThrow()).last_used_at).toBe(h.clock.now());
  });

  it('off: no rule, no offer; a posted remember=1 sets no cookie and the next sign-in is asked', async () => {
    const h = await host();
    await addUser(h, 'ada');
    const b = new Browser(h.url);
    const secret = await enrol(h, b, 'ada');
    const { page, result } = await signIn(h, b, 'ada', secret, true);
    expect(page.body).not.toContain('name="remember"');
    expect(result.setCookies.some((c) => COOKIE.test(c))).toBe(false);
    expect((await b.get(await b.begin('ada'))).body).toContain('name="code"');
  });

  it('ends after its days', async () => {
    const h = await host({ config: REMEMBER });
    await addUser(h, 'ada');
    const b = new Browser(h.url);
    const secret = await enrol(h, b, 'ada');
    await signIn(h, b, 'ada', secret, true);
    h.clock.advance(31 * 24 * 3600_000);
    expect((await b.get(await b.begin('ada'))).body).toContain('name="code"');
  });

  it('refuses a forged cookie (changed MAC) and audits it; the challenge is asked and the cookie dropped', async () => {
    const h = await host({ config: REMEMBER });
    await addUser(h, 'ada');
    const b = new Browser(h.url);
    const secret = await enrol(h, b, 'ada');
    await signIn(h, b, 'ada', secret, true);
    const [name, value] = [...b.cookies].find(([k]) => k.startsWith('fg_rd_'))!;
    const [id, mac] = value.split('.') as [string, string];
    b.cookies.set(name, `${id}.${mac[0] === 'A' ? 'B' : 'A'}${mac.slice(1)}`);
    const page = await b.get(await b.begin('ada'));
    expect(page.body).toContain('name="code"');
    expect(page.setCookies.some((c) => c.startsWith(`${name}=;`))).toBe(true);
    expect(await audits(h, 'remembered-device')).toEqual(expect.arrayContaining([expect.objectContaining({ result: 'failure', deny_reason: 'FORGED' })]));
    // A made-up id is forged too.
    b.cookies.set(name, `${'x'.repeat(22)}.${mac}`);
    expect((await b.get(await b.begin('ada'))).body).toContain('name="code"');
    expect(await deviceSkips(h)).toEqual([]);
  });

  it('refuses another user\'s cookie, even a valid one', async () => {
    const h = await host({ config: REMEMBER });
    await addUser(h, 'ada');
    await addUser(h, 'eve');
    const ada = new Browser(h.url);
    const secret = await enrol(h, ada, 'ada');
    await signIn(h, ada, 'ada', secret, true);
    const eve = new Browser(h.url);
    await enrol(h, eve, 'eve');
    for (const [k, v] of ada.cookies) if (k.startsWith('fg_rd_')) eve.cookies.set(k, v);
    expect((await eve.get(await eve.begin('eve'))).body).toContain('name="code"');
    expect((await audits(h, 'remembered-device')).filter((a) => a.result === 'failure')).toMatchObject([{ deny_reason: 'OTHER_USER' }]);
    expect(await deviceSkips(h)).toEqual([]);
  });

  it('step-up: a relying party asking for a multi-factor context gets a challenge even from a remembered device', async () => {
    const h = await host({ config: REMEMBER });
    await addUser(h, 'ada');
    const b = new Browser(h.url);
    const secret = await enrol(h, b, 'ada');
    await signIn(h, b, 'ada', secret, true);
    const start = await b.get('/test-app/start?user=ada&stepUp=1');
    const page = await b.get(start.headers.get('location')!);
    expect(page.body).toContain('name="code"');
    expect(await deviceSkips(h)).toEqual([]);
    // Without step-up the same browser is let through.
    expect((await b.get(await b.begin('ada'))).body).toContain('verified ada with remembered-device');
  });

  it('is revoked by an admin method reset and by a password change the directory reports', async () => {
    const h = await host({ config: REMEMBER });
    await addUser(h, 'ada');
    const b = new Browser(h.url);
    let secret = await enrol(h, b, 'ada');
    await signIn(h, b, 'ada', secret, true);
    const admin = new UserAdmin({ db: h.store.db, clock: h.clock, audit: new AuditLog(h.store.db, h.clock, createLogger({ level: 'silent' })), config: rootConfigSchema.parse({}) });
    await admin.resetMethods('ada', { name: 'cli:helpdesk' }, 'lost phone');
    expect(await h.store.db.selectFrom('remembered_devices').select(['revoked_reason']).execute()).toEqual([{ revoked_reason: 'method-reset' }]);
    h.clock.advance(60_000);
    secret = await enrol(h, b, 'ada');
    await signIn(h, b, 'ada', secret, true);
    expect((await b.get(await b.begin('ada'))).body).toContain('verified ada with remembered-device');

    // The directory says the password changed (pwdLastSet / pwdChangedTime): first sight only records it…
    const dirUser = { externalId: 'ext-ada', username: 'ada', disabled: false };
    await h.users.upsertFromDirectory({ ...dirUser, passwordChangedAt: h.clock.now() - 86_400_000 }, 'test');
    expect((await b.get(await b.begin('ada'))).body).toContain('verified ada with remembered-device');
    // …a newer one revokes the devices.
    h.clock.advance(60_000);
    await h.users.upsertFromDirectory({ ...dirUser, passwordChangedAt: h.clock.now() }, 'test');
    expect((await b.get(await b.begin('ada'))).body).toContain('name="code"');
    expect((await h.store.db.selectFrom('remembered_devices').select('revoked_reason').orderBy('created_at').execute()).map((r) => r.revoked_reason)).toEqual(['method-reset', 'password-change']);
  });

  it('is refused and revoked when the password change reached the store by another path (another host), audited as PASSWORD_CHANGED', async () => {
    const h = await host({ config: REMEMBER });
    await addUser(h, 'ada');
    const b = new Browser(h.url);
    const secret = await enrol(h, b, 'ada');
    await signIn(h, b, 'ada', secret, true);
    expect((await b.get(await b.begin('ada'))).body).toContain('verified ada with remembered-device');
    // A change older than the device does not end it…
    const [device] = await h.store.db.selectFrom('remembered_devices').select(['created_at']).execute();
    await h.store.db.updateTable('users').set({ password_changed_at: device!.created_at - 1 }).where('username', '=', 'ada').execute();
    expect((await b.get(await b.begin('ada'))).body).toContain('verified ada with remembered-device');
    // …a newer one, written straight into the users row (no revocation by the writer), does.
    h.clock.advance(60_000);
    await h.store.db.updateTable('users').set({ password_changed_at: h.clock.now() }).where('username', '=', 'ada').execute();
    expect((await b.get(await b.begin('ada'))).body).toContain('name="code"');
    expect(await h.store.db.selectFrom('remembered_devices').select(['revoked_reason']).execute()).toEqual([{ revoked_reason: 'password-change' }]);
    expect((await audits(h, 'remembered-device')).filter((a) => a.result === 'failure').map((a) => a.deny_reason)).toEqual(['PASSWORD_CHANGED']);
  });

  it('over HTTPS the cookie is Secure with the __Host- prefix', async () => {
    const h = await host({ config: REMEMBER, publicUrl: 'https://mfa.example.test' });
    await addUser(h, 'ada');
    const b = new Browser(h.url);
    const secret = await enrol(h, b, 'ada');
    const { result } = await signIn(h, b, 'ada', secret, true);
    expect(result.setCookies.find((c) => COOKIE.test(c))).toMatch(/^__Host-fg_rd_[A-Za-z0-9_-]{12}=[^;]+; Max-Age=2592000; Path=\/; Expires=[^;]+; HttpOnly; Secure; SameSite=Lax$/);
  });
});
