/**
 * The console's users pages over HTTP, as a browser without JavaScript uses them: search by
 * prefix (username, UPN, email, phone, display name) with paging, a user's page (lock, methods,
 * tokens, audit with deny reasons; phone masked for the help desk), and every action through its
 * confirm step: reasoned, audited with the admin's name, CSRF-checked, refused to a role below it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/kit/clock.js';
import { startHost, type RunningHost } from '../../support/host-harness.js';
import { Browser, field } from '../../challenge/harness.js';
import type { Store } from '../../../src/store/store.js';
import { UserRepository } from '../../../src/users/user-repository.js';
import { AppPasswords } from '../../../src/users/app-passwords.js';
import { TokenRepository } from '../../../src/tokens/token-repository.js';
import { importCsvTokens } from '../../../src/tokens/index.js';
import { secretBoxFor } from '../../../src/keys/secret-keys.js';
import { encodeBase32, generateTotp } from '../../../src/otp/index.js';
import { USER_ACTIONS } from '../../../src/admin/console/users/user-actions.js';
import { CONSOLE_ROLES, CONSOLE_USERS, consoleUser, enrolAtLogin, failCodes, signInToConsole, storeOf } from './console-support.js';

const clock = new ManualClock(Date.UTC(2026, 2, 1, 9, 0, 0));
let h: RunningHost;
let store: Store;
const root = new Browser('');
const hd = new Browser('');

async function adminActions(username: string) {
  return store.db
    .selectFrom('audit_events')
    .innerJoin('users', 'users.id', 'audit_events.user_id')
    .select(['audit_events.detail'])
    .where('audit_events.event', '=', 'admin-action')
    .where('users.username', '=', username)
    .orderBy('audit_events.ts')
    .orderBy('audit_events.id')
    .execute()
    .then((rows) => rows.map((r) => JSON.parse(r.detail!) as Record<string, unknown>));
}

/** Opens an action's confirm step and posts it with `fields`; returns the answer. */
async function act(b: Browser, username: string, action: string, fields: Record<string, string>, target?: string) {
  const confirm = await b.get(`/admin/users/${encodeURIComponent(username)}/confirm/${action}${target ? `?target=${encodeURIComponent(target)}` : ''}`);
  expect(confirm.status).toBe(200);
  return b.post(`/admin/users/${encodeURIComponent(username)}/do/${action}`, { _csrf: field(confirm.body, '_csrf'), ...(target ? { target } : {}), ...fields });
}

beforeAll(async () => {
  h = await startHost({ clock, users: CONSOLE_USERS, config: { admin: { roles: CONSOLE_ROLES } } });
  store = await storeOf(h);
  root.base = h.url;
  hd.base = h.url;
  clock.advance(30_000);
  await signInToConsole(root, clock, consoleUser('root'));
  clock.advance(30_000);
  await signInToConsole(hd, clock, consoleUser('hd'));
  clock.advance(30_000);
  await enrolAtLogin(new Browser(h.url), clock, consoleUser('alice')); // alice
  const users = new UserRepository(store.db, clock);
  for (let i = 0; i < 30; i++) {
    await users.upsertFromDirectory({ externalId: `bulk-${i}`, username: `user${String(i).padStart(2, '0')}`, displayName: `Bulk User ${i}`, email: `u${i}@bulk.example`, disabled: false }, 'file');
  }
  await users.upsertFromDirectory({ externalId: 'bob', username: 'bob', upn: 'Bob.Durand@Corp.Example', displayName: 'Bob Durand', email: 'bob@example.test', mobile: '+33798765432', disabled: false }, 'file');
});
afterAll(async () => {
  await store?.close();
  await h?.close();
});

const listed = (body: string) => [...body.matchAll(/<a href="\/admin\/users\/([^"]+)">/g)].map((m) => decodeURIComponent(m[1]!));

describe('searching users', () => {
  it('finds by a case-insensitive prefix of username, UPN, email, phone and display name', async () => {
    expect(listed((await hd.get('/admin/users?q=ALI')).body)).toEqual(['alice']);
    expect(listed((await hd.get('/admin/users?q=bob.durand%40corp')).body)).toEqual(['bob']);
    expect(listed((await hd.get('/admin/users?q=alice%40example')).body)).toEqual(['alice']);
    expect(listed((await hd.get('/admin/users?q=%2B33798')).body)).toEqual(['bob']);
    expect(listed((await hd.get('/admin/users?q=bob%20d')).body)).toEqual(['bob']);
    // A prefix only: the middle of a name does not match.
    expect(listed((await hd.get('/admin/users?q=durand')).body)).toEqual([]);
    expect((await hd.get('/admin/users?q=nobody-here')).body).toContain('No user matches.');
  });

  it('pages 25 at a time with next and previous links', async () => {
    const first = await hd.get('/admin/users?q=user');
    expect(listed(first.body)).toHaveLength(25);
    expect(first.body).toContain('href="/admin/users?q=user&amp;page=1" rel="next"');
    const second = await hd.get('/admin/users?q=user&page=1');
    expect(listed(second.body)).toEqual(['user25', 'user26', 'user27', 'user28', 'user29']);
    expect(second.body).toContain('rel="prev"');
    expect(second.body).not.toContain('rel="next"');
  });

  it('shows the methods and the last sign-in with its result in the list', async () => {
    const page = await hd.get('/admin/users?q=alice');
    expect(page.body).toMatch(/<td>totp<\/td>/);
    expect(page.body).toContain('second-factor: success');
  });
});

describe('a locked user', () => {
  it('shows the lock and the failures, and the help desk unlocks with a reason, audited with its name', async () => {
    clock.advance(60_000);
    await failCodes(new Browser(h.url), consoleUser('alice'), 5);
    const list = await hd.get('/admin/users?q=alice');
    expect(list.body).toContain('class="locked"');
    const page = await hd.get('/admin/users/alice');
    expect(page.body).toMatch(/<span id="lock">locked until /);
    expect(page.body).toContain('<td class="deny-reason">LOCKED</td>');
    expect(page.body).toContain('5 failed attempts counted');

    const refused = await act(hd, 'alice', 'unlock', { reason: '   ' });
    expect(refused.status).toBe(400);
    expect(refused.body).toContain('a reason is required');
    expect(await adminActions('alice')).toEqual([]);

    const done = await act(hd, 'alice', 'unlock', { reason: 'ticket 4411: locked out' });
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe('/admin/users/alice?done=unlock');
    const after = await hd.get('/admin/users/alice?done=unlock');
    expect(after.body).toContain('Done: Unlock.');
    expect(after.body).toContain('<span id="lock">not locked</span>');
    expect(await adminActions('alice')).toEqual([expect.objectContaining({ action: 'unlock', admin: 'console:hd', reason: 'ticket 4411: locked out' })]);
  });
});

describe('the user page', () => {
  it('masks the phone for the help desk and shows it to an admin', async () => {
    expect((await hd.get('/admin/users/alice')).body).toContain('<span id="phone">+33 6 •• •• •• 78</span>');
    expect((await root.get('/admin/users/alice')).body).toContain('<span id="phone">+33612345678</span>');
    // No SMTP server configured here: no resend link.
    expect((await hd.get('/admin/users/alice')).body).not.toContain('/confirm/resend-enrolment');
  });

  it('never shows a secret: no seed of the enrolled app on the page', async () => {
    const row = await store.db.selectFrom('factors').innerJoin('users', 'users.id', 'factors.user_id').select(['factors.secret_enc', 'factors.id']).where('users.username', '=', 'alice').executeTakeFirstOrThrow();
    const page = await root.get('/admin/users/alice');
    expect(page.body).not.toContain(row.secret_enc!);
    expect(page.body).toContain(`/admin/users/alice/confirm/remove-method?target=${row.id}`);
  });

  it('answers 404 for a user the store does not know', async () => {
    expect((await hd.get('/admin/users/nobody')).status).toBe(404);
  });
});

describe('actions', () => {
  it('grants a bypass within admin.bypass.maxMinutes only, shown on the page until used', async () => {
    const tooLong = await act(hd, 'alice', 'bypass', { minutes: '61', reason: 'phone at home' });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body).toContain('bypass minutes must be a whole number from 1 to 60');
    expect(tooLong.body).toContain('value="phone at home"');
    const ok = await act(hd, 'alice', 'bypass', { minutes: '10', reason: 'phone at home' });
    expect(ok.status).toBe(303);
    expect((await hd.get('/admin/users/alice')).body).toMatch(/<span id="bypass">usable once until .*granted by console:hd \(phone at home\)/);
    expect((await hd.get('/admin/users?q=alice')).body).toContain('class="bypass"');
  });

  it('assigns a stock token by serial, resyncs it from two codes, and unassigns it (admin)', async () => {
    const seed = Buffer.from('12345678901234567890', 'ascii');
    const tokens = new TokenRepository(store.db, secretBoxFor(h.host.config, clock), clock);
    const report = await tokens.importTokens(importCsvTokens(`upn,serial number,secret key,time interval,manufacturer,model\n,HW-100,${encodeBase32(seed)},30,Acme,K1\n`), { assign: false });
    expect(report.stored).toBe(true);

    const unknown = await act(root, 'alice', 'assign-token', { serial: 'HW-999', reason: 'new token' });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toContain('no token with serial');
    expect((await act(root, 'alice', 'assign-token', { serial: 'HW-100', reason: 'new token' })).status).toBe(303);
    expect((await root.get('/admin/users/alice')).body).toMatch(/<td>HW-100<\/td><td>totp<\/td>/);

    // The token's clock ran 10 minutes ahead: two consecutive codes from then.
    const ahead = clock.now() + 10 * 60_000;
    const bad = await act(hd, 'alice', 'resync-token', { code1: '111111', code2: '222222', reason: 'drift' }, 'HW-100');
    expect(bad.status).toBe(400);
    expect(bad.body).not.toContain('111111');
    const synced = await act(hd, 'alice', 'resync-token', { code1: generateTotp(seed, ahead), code2: generateTotp(seed, ahead + 30_000), reason: 'drift' }, 'HW-100');
    expect(synced.status).toBe(303);

    expect((await act(root, 'alice', 'unassign-token', { reason: 'returned' }, 'HW-100')).status).toBe(303);
    expect((await root.get('/admin/users/alice')).body).toContain('No hardware token assigned.');
    expect((await adminActions('alice')).map((a) => a.action)).toEqual(expect.arrayContaining(['assign-token', 'resync-token', 'unassign-token']));
  });

  it('revokes all app passwords', async () => {
    const alice = await store.db.selectFrom('users').select('id').where('username', '=', 'alice').executeTakeFirstOrThrow();
    const ap = new AppPasswords(store.db);
    const mail = await ap.create(alice.id, 'mail', ['forms-proxy'], clock.now());
    await ap.create(alice.id, 'phone', ['forms-proxy'], clock.now());
    expect(await ap.verify(alice.id, mail.password, 'forms-proxy', clock.now())).not.toBeNull();
    const confirm = await hd.get('/admin/users/alice/confirm/revoke-app-passwords');
    expect(confirm.body).toContain('(2 in use)');
    expect((await act(hd, 'alice', 'revoke-app-passwords', { reason: 'laptop stolen' })).status).toBe(303);
    expect(await ap.list(alice.id)).toEqual([]);
    expect(await ap.verify(alice.id, mail.password, 'forms-proxy', clock.now())).toBeNull();
  });

  it('disables and enables (admin only); the help desk reaches neither the confirm step nor the post', async () => {
    expect((await hd.get('/admin/users/bob/confirm/disable')).status).toBe(403);
    const page = await hd.get('/admin/users/bob');
    expect(page.body).not.toContain('/confirm/disable');
    const forged = await hd.post('/admin/users/bob/do/disable', { _csrf: field(page.body, '_csrf'), reason: 'x' });
    expect(forged.status).toBe(403);
    expect((await hd.get('/admin/users/bob/confirm/assign-token')).status).toBe(403);
    expect((await act(root, 'bob', 'disable', { reason: 'left the company' })).status).toBe(303);
    expect((await root.get('/admin/users/bob')).body).toContain('<span id="status">disabled</span>');
    clock.advance(1000);
    expect((await act(root, 'bob', 'enable', { reason: 'came back' })).status).toBe(303);
    expect((await adminActions('bob')).map((a) => [a.action, a.admin])).toEqual([
      ['disable', 'console:root'],
      ['enable', 'console:root'],
    ]);
  });

  it('refuses every action form without the CSRF token or with a forged one, and changes nothing', async () => {
    const before = (await adminActions('alice')).length;
    for (const action of USER_ACTIONS) {
      const none = await root.post(`/admin/users/alice/do/${action.name}`, { reason: 'csrf test', minutes: '5', serial: 'HW-100', target: 'x' });
      expect(none.status, action.name).toBe(403);
      expect(none.body).toContain('This form has expired');
      const forged = await root.post(`/admin/users/alice/do/${action.name}`, { _csrf: 'A'.repeat(43), reason: 'csrf test', minutes: '5', serial: 'HW-100', target: 'x' });
      expect(forged.status, action.name).toBe(403);
    }
    // Nor the search form (a GET, changing nothing) nor sign-out with a forged token.
    expect((await root.post('/admin/logout', { _csrf: 'forged' })).status).toBe(403);
    expect((await adminActions('alice')).length).toBe(before);
  });

  it('resets all methods: the next sign-in enrols again', async () => {
    expect((await act(hd, 'alice', 'reset-methods', { reason: 'lost phone' })).status).toBe(303);
    expect((await hd.get('/admin/users/alice')).body).toContain('No method enrolled');
    clock.advance(60_000);
    // The bypass granted above is claimed first; a later sign-in meets enrolment.
    const b = new Browser(h.url);
    const form = await b.get('/login');
    const r = await b.post('/login', { _csrf: field(form.body, '_csrf'), username: 'alice', password: 'alice-password-1' });
    const first = await b.get(r.headers.get('location')!);
    expect(first.status).toBe(303);
    const again = new Browser(h.url);
    const form2 = await again.get('/login');
    const r2 = await again.post('/login', { _csrf: field(form2.body, '_csrf'), username: 'alice', password: 'alice-password-1' });
    const enrol = await again.get(r2.headers.get('location')!);
    expect(enrol.body).toContain('Set up two-step verification');
  });
});
