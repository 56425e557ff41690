/**
 * `/portal/app-passwords` (issue 19) against a real host: a user creates a named app password
 * (generated, shown once, stored as an Argon2id hash), it verifies for its scope and records
 * its last use, and it is refused once revoked (one, then all). Also: CSRF, the five-minute
 * re-authentication (injected clock), the audit, and no password in the log.
 *
 * No adapter accepts app passwords yet (the forms proxy has no non-browser path): the check an
 * adapter will call, `AppPasswords.verify`, is exercised against the same store directly.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { ManualClock } from '../../src/kit/clock.js';
import { decodeBase32, generateTotp } from '../../src/otp/index.js';
import { AppPasswords } from '../../src/users/app-passwords.js';
import { startHost, type RunningHost } from '../support/host-harness.js';
import { Browser, field, secretOnPage } from '../challenge/harness.js';

const clock = new ManualClock(Date.UTC(2026, 2, 1, 9, 0, 0));
let h: RunningHost;
let totp: Buffer;
beforeAll(async () => {
  h = await startHost({ clock });
});
afterAll(async () => {
  await h.close();
});

async function signedIn(): Promise<Browser> {
  const b = new Browser(h.url);
  const form = await b.get('/login');
  const path = (await b.post('/login', { _csrf: field(form.body, '_csrf'), username: 'alice', password: 'alice-password-1' })).headers.get('location')!;
  const page = await b.get(path);
  if (page.body.includes('totp-secret')) {
    const s = decodeBase32(secretOnPage(page.body));
    if (!s.ok) throw new Error('no secret');
    totp = s.bytes;
  }
  clock.advance(30_000);
  const r = await b.post(path, { _csrf: field(page.body, '_csrf'), method: field(page.body, 'method'), code: generateTotp(totp, clock.now()) });
  expect(r.headers.get('location')).toBe('/login');
  return b;
}

async function post(b: Browser, form: Record<string, string>) {
  const page = await b.get('/portal/app-passwords');
  return b.post('/portal/app-passwords', { _csrf: field(page.body, '_csrf'), ...form });
}

const passwordOn = (body: string) => /id="app-password"[^>]*>([a-z2-9-]+)</.exec(body)![1]!;
const aliceId = async () => (await h.host.api.store.db.selectFrom('users').select('id').where('username', '=', 'alice').executeTakeFirstOrThrow()).id;

describe('/portal/app-passwords', () => {
  it('sends a browser without a signed-in session to /login', async () => {
    const b = new Browser(h.url);
    expect((await b.get('/portal/app-passwords')).headers.get('location')).toBe('/login');
    expect((await b.post('/portal/app-passwords', {})).headers.get('location')).toBe('/login');
  });

  it('creates a generated password shown once, verifies it for its scope, and refuses it once revoked', async () => {
    const b = await signedIn();
    const r = await post(b, { action: 'create', name: 'mail on my laptop' });
    expect(r.status).toBe(200);
    const pw = passwordOn(r.body);
    expect(pw).toMatch(/^([a-z2-9]{4}-){4}[a-z2-9]{4}$/);
    const again = await b.get('/portal/app-passwords');
    expect(again.body).not.toContain(pw);
    expect(again.body).toContain('mail on my laptop');

    const rows = await h.host.api.store.db.selectFrom('app_passwords').selectAll().execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.password_hash).toMatch(/^\$argon2id\$/);
    expect(JSON.stringify(rows)).not.toContain(pw.replace(/-/g, ''));

    const store = new AppPasswords(h.host.api.store.db);
    const uid = await aliceId();
    expect(await store.verify(uid, pw, 'forms-proxy', clock.now())).toMatchObject({ name: 'mail on my laptop', lastUsedAt: clock.now() });
    expect(await store.verify(uid, pw.toUpperCase().replace(/-/g, ' '), 'forms-proxy', clock.now())).not.toBeNull();
    expect(await store.verify(uid, 'abcd-efgh-jkmn-pqrs-tuvw', 'forms-proxy', clock.now())).toBeNull();
    expect((await b.get('/portal/app-passwords')).body).not.toContain('<td>never</td>');

    const revoked = await post(b, { action: 'revoke', id: rows[0]!.id });
    expect(revoked.body).toContain('The app password was revoked.');
    expect(await store.verify(uid, pw, 'forms-proxy', clock.now())).toBeNull();
    expect((await post(b, { action: 'revoke', id: rows[0]!.id })).status).toBe(404);

    const one = passwordOn((await post(b, { action: 'create', name: 'phone mail' })).body);
    const two = passwordOn((await post(b, { action: 'create', name: 'calendar' })).body);
    const all = await post(b, { action: 'revoke-all' });
    expect(all.body).toContain('2 app passwords were revoked.');
    expect(await store.verify(uid, one, 'forms-proxy', clock.now())).toBeNull();
    expect(await store.verify(uid, two, 'forms-proxy', clock.now())).toBeNull();

    const events = await h.host.api.store.db.selectFrom('audit_events').select(['event', 'result', 'detail']).where('event', 'like', 'app-password-%').orderBy('ts').orderBy(sql`rowid`).execute();
    expect(events.map((e) => e.event)).toEqual(['app-password-create', 'app-password-revoke', 'app-password-create', 'app-password-create', 'app-password-revoke']);
    const logs = h.logs.join('\n');
    for (const p of [pw, one, two]) expect(logs).not.toContain(p);
  });

  it('refuses a name that is empty or too long, and any form without the CSRF token', async () => {
    const b = await signedIn();
    expect((await post(b, { action: 'create', name: '' })).status).toBe(400);
    expect((await post(b, { action: 'create', name: 'x'.repeat(41) })).status).toBe(400);
    const before = await h.host.api.store.db.selectFrom('app_passwords').select('id').execute();
    expect((await b.post('/portal/app-passwords', { action: 'create', name: 'forged' })).status).toBe(403);
    expect((await b.post('/portal/app-passwords', { action: 'revoke-all', _csrf: 'forged' })).status).toBe(403);
    expect(await h.host.api.store.db.selectFrom('app_passwords').select('id').execute()).toEqual(before);
  });

  it('re-prompts for a second factor after five minutes, creates nothing meanwhile, and returns to the page', async () => {
    const b = await signedIn();
    const page = await b.get('/portal/app-passwords');
    clock.advance(5 * 60_000 + 1_000);
    const before = await h.host.api.store.db.selectFrom('app_passwords').select('id').execute();
    const r = await b.post('/portal/app-passwords', { _csrf: field(page.body, '_csrf'), action: 'create', name: 'late' });
    expect(r.status).toBe(303);
    const challenge = r.headers.get('location')!;
    expect(challenge).toMatch(/^\/mfa\//);
    // The re-authentication's 303 is the bodiless one (src/http/see-other.ts), headers kept.
    expect([r.body, r.headers.get('content-length'), r.headers.get('vary'), r.headers.get('x-frame-options')]).toEqual(['', '0', null, 'SAMEORIGIN']);
    expect(await h.host.api.store.db.selectFrom('app_passwords').select('id').execute()).toEqual(before);
    const ask = await b.get(challenge);
    clock.advance(30_000);
    const back = await b.post(challenge, { _csrf: field(ask.body, '_csrf'), method: field(ask.body, 'method'), code: generateTotp(totp, clock.now()) });
    expect(back.headers.get('location')).toBe('/portal/app-passwords');
    const created = await post(b, { action: 'create', name: 'late' });
    expect(created.status).toBe(200);
    expect(created.body).toContain('id="app-password"');
  });
});
