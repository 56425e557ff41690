import { afterEach, describe, expect, it } from 'vitest';
import { generateTotp } from '../../src/otp/index.js';
import { AuditLog } from '../../src/audit/audit-log.js';
import { createLogger } from '../../src/audit/logger.js';
import { UserAdmin } from '../../src/admin/user-admin.js';
import { maskContact, maskEmail } from '../../src/factors/index.js';
import { maskPhone } from '../../src/delivery/index.js';
import { rootConfigSchema } from '../../src/config/schema.js';
import { Browser, addUser, answer, enrol, secretOnPage, startHarness, type Harness } from '../challenge/harness.js';

let hosts: Harness[] = [];
afterEach(async () => {
  await Promise.all(hosts.map((h) => h.close()));
  hosts = [];
});

const actor = { name: 'cli:helpdesk-jo' };

async function setUp() {
  const h = await startHarness();
  hosts.push(h);
  const logger = createLogger({ level: 'silent', destination: { write: () => undefined } });
  const admin = new UserAdmin({ db: h.store.db, clock: h.clock, audit: new AuditLog(h.store.db, h.clock, logger), config: rootConfigSchema.parse({}) });
  return { h, admin };
}

async function auditRows(h: Harness, event: string) {
  return h.store.db.selectFrom('audit_events').selectAll().where('event', '=', event).orderBy('ts').execute();
}

function wrong(secret: Buffer, now: number): string {
  return generateTotp(secret, now) === '000000' ? '111111' : '000000';
}

describe('one-time bypass', () => {
  it('lets exactly the next sign-in skip the second factor, then challenges again', async () => {
    const { h, admin } = await setUp();
    await addUser(h, 'ada');
    const browser = new Browser(h.url);
    await enrol(h, browser, 'ada');
    h.record.outcomes.length = 0;

    await admin.grantBypass('ada', undefined, actor, 'phone left at home, ticket 4711');
    expect((await admin.show('ada', { revealAddresses: false })).bypass).toMatchObject({ grantedBy: 'cli:helpdesk-jo', expiresAt: new Date(h.clock.now() + 5 * 60_000).toISOString() });

    const first = await browser.get(await browser.begin('ada'));
    expect(first.status).toBe(200);
    expect(h.record.outcomes).toMatchObject([{ result: 'verified', methods: [], multiFactor: false }]);
    const used = await auditRows(h, 'bypass-used');
    expect(used).toHaveLength(1);
    expect(used[0]).toMatchObject({ username: 'ada', result: 'success', method: 'bypass' });
    expect(JSON.parse(used[0]!.detail!)).toMatchObject({ grantedBy: 'cli:helpdesk-jo', reason: 'phone left at home, ticket 4711' });
    expect((await admin.show('ada', { revealAddresses: false })).bypass).toBeNull();

    // The second sign-in meets the code page: the bypass was spent.
    const second = await browser.get(await browser.begin('ada'));
    expect(second.body).toContain('name="code"');
    expect(h.record.outcomes).toHaveLength(1);
  });

  it('is not used after it expires', async () => {
    const { h, admin } = await setUp();
    await addUser(h, 'ada');
    const browser = new Browser(h.url);
    await enrol(h, browser, 'ada');
    h.record.outcomes.length = 0;
    await admin.grantBypass('ada', 2, actor, 'travel');
    h.clock.advance(2 * 60_000);
    const page = await browser.get(await browser.begin('ada'));
    expect(page.body).toContain('name="code"');
    expect(h.record.outcomes).toHaveLength(0);
    expect(await auditRows(h, 'bypass-used')).toHaveLength(0);
  });

  it('does not let a locked or disabled user through', async () => {
    const { h, admin } = await setUp();
    await addUser(h, 'ada');
    const browser = new Browser(h.url);
    await enrol(h, browser, 'ada');
    h.record.outcomes.length = 0;
    await admin.setDisabled('ada', true, actor, 'left the company');
    await admin.grantBypass('ada', 10, actor, 'mistake');
    const page = await browser.get(await browser.begin('ada'));
    expect(page.body).not.toContain('name="code"');
    expect(h.record.outcomes).toMatchObject([{ result: 'denied', reason: 'USER_DISABLED' }]);
    expect(await auditRows(h, 'bypass-used')).toHaveLength(0);
    // The grant is still there for when the user is enabled again.
    expect((await admin.show('ada', { revealAddresses: false })).bypass).not.toBeNull();
  });

  it('refuses a length above admin.bypass.maxMinutes, and a grant without a reason', async () => {
    const { h, admin } = await setUp();
    await addUser(h, 'ada');
    await expect(admin.grantBypass('ada', 61, actor, 'long')).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(admin.grantBypass('ada', 0, actor, 'none')).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(admin.grantBypass('ada', 5, actor, '  ')).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(admin.grantBypass('nobody', 5, actor, 'x')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await h.store.db.selectFrom('user_bypasses').selectAll().execute()).toHaveLength(0);
    expect(await auditRows(h, 'admin-action')).toHaveLength(0);
  });
});

describe('help-desk actions', () => {
  it('reset methods: the next sign-in enrols again, and the action is audited with admin and reason', async () => {
    const { h, admin } = await setUp();
    await addUser(h, 'ada');
    const browser = new Browser(h.url);
    const oldSecret = await enrol(h, browser, 'ada');
    expect((await admin.show('ada', { revealAddresses: false })).methods).toMatchObject([{ kind: 'totp', confirmed: true }]);

    expect(await admin.resetMethods('ada', actor, 'lost phone')).toEqual({ methods: 1, tokens: 0 });
    const page = await browser.get(await browser.begin('ada'));
    const newSecret = secretOnPage(page.body);
    expect(newSecret).not.toBe(oldSecret.toString('hex'));
    const [action] = await auditRows(h, 'admin-action');
    expect(action).toMatchObject({ username: 'ada', result: 'success' });
    expect(JSON.parse(action!.detail!)).toEqual({ action: 'reset-methods', admin: 'cli:helpdesk-jo', reason: 'lost phone', methods: 1, tokens: 0 });
  });

  it('show: lock state and the failures with their deny reasons; unlock clears the lock', async () => {
    const { h, admin } = await setUp();
    await addUser(h, 'ada', { phone: '+33612345678' });
    const browser = new Browser(h.url);
    const secret = await enrol(h, browser, 'ada');
    h.clock.advance(30_000);
    const path = await browser.begin('ada');
    for (let i = 0; i < 5; i++) await answer(browser, path, wrong(secret, h.clock.now()));

    const locked = await admin.show('ada', { revealAddresses: false });
    expect(locked.lockedUntil).toBe(new Date(h.clock.now() + 15 * 60_000).toISOString());
    expect(locked.failedAttempts).toBe(5);
    const failures = locked.history.filter((r) => r.result === 'failure' || r.result === 'denied');
    expect(failures.length).toBeGreaterThanOrEqual(5);
    expect(failures.every((r) => r.denyReason !== null)).toBe(true);
    expect(failures.map((r) => r.denyReason)).toContain('LOCKED');
    expect(locked.phone).toBe('+33 6 •• •• •• 78');
    expect((await admin.show('ada', { revealAddresses: true })).phone).toBe('+33612345678');

    h.clock.advance(60_000);
    await admin.unlock('ada', actor, 'caller verified by callback');
    const after = await admin.show('ada', { revealAddresses: false });
    expect(after.lockedUntil).toBeNull();
    expect(after.failedAttempts).toBe(0);
    expect(after.history[0]).toMatchObject({ event: 'admin-action' });
  });

  it('disable survives a directory refresh; enable lets the user in again', async () => {
    const { h, admin } = await setUp();
    await addUser(h, 'ada');
    const browser = new Browser(h.url);
    await enrol(h, browser, 'ada');
    await admin.setDisabled('ada', true, actor, 'suspected compromise');
    await addUser(h, 'ada'); // the directory says enabled, as at every sign-in
    expect((await admin.show('ada', { revealAddresses: false })).disabledBy).toEqual(['admin']);
    h.record.outcomes.length = 0;
    await browser.get(await browser.begin('ada'));
    expect(h.record.outcomes).toMatchObject([{ result: 'denied', reason: 'USER_DISABLED' }]);

    await admin.setDisabled('ada', false, actor, 'password changed');
    expect((await admin.show('ada', { revealAddresses: false })).status).toBe('enabled');
    const page = await browser.get(await browser.begin('ada'));
    expect(page.body).toContain('name="code"');
  });

  it('masks phone numbers and email addresses as the rest of factorgate does (maskPhone, maskEmail)', () => {
    expect(maskContact('+33612345678')).toBe(maskPhone('+33612345678'));
    expect(maskContact('+33612345678')).toBe('+33 6 •• •• •• 78');
    expect(maskContact('ada@example.test')).toBe(maskEmail('ada@example.test'));
    expect(maskContact('ada@example.test')).toBe('a••••@example.test');
  });
});
