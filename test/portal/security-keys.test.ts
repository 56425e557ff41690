/**
 * Security keys in `/portal/methods` (issue 24) against a real host: a registered key is listed
 * with its name, kind and last use, renamed and removed by its owner (CSRF, audited); the
 * authenticator app stays. Registering keys is proven in the browser (webauthn-browser.test.ts);
 * here the key's row is the one registration writes.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/kit/clock.js';
import { decodeBase32, generateTotp } from '../../src/otp/index.js';
import { startHost, type RunningHost } from '../support/host-harness.js';
import { Browser, field, secretOnPage, type Page } from '../challenge/harness.js';

const clock = new ManualClock(Date.UTC(2026, 2, 1, 9, 0, 0));
let h: RunningHost;
beforeAll(async () => {
  h = await startHost({ clock, config: { factors: { webauthn: {} } } });
});
afterAll(async () => {
  await h.close();
});

/** The first sign-in enrols an authenticator app on the challenge page: a signed-in session. */
async function firstSignIn(username: string): Promise<Browser> {
  const b = new Browser(h.url);
  const form = await b.get('/login');
  const r = await b.post('/login', { _csrf: field(form.body, '_csrf'), username, password: `${username}-password-1` });
  const path = r.headers.get('location')!;
  const page = await b.get(path);
  const secret = decodeBase32(secretOnPage(page.body));
  if (!secret.ok) throw new Error('no secret on the page');
  clock.advance(30_000);
  const done = await b.post(path, { _csrf: field(page.body, '_csrf'), method: field(page.body, 'method'), code: generateTotp(secret.bytes, clock.now()) });
  expect(done.headers.get('location')).toBe('/login');
  return b;
}

async function change(b: Browser, form: Record<string, string>): Promise<Page> {
  const page = await b.get('/portal/methods');
  return b.post('/portal/methods', { _csrf: field(page.body, '_csrf'), ...form });
}

describe('security keys in /portal/methods', () => {
  it('lists a key with its name and last use, renames it and removes it; the app stays', async () => {
    const b = await firstSignIn('alice');
    const db = h.host.api.store.db;
    const user = await db.selectFrom('users').select('id').where('username', '=', 'alice').executeTakeFirstOrThrow();
    const id = randomUUID();
    const params = { credentialId: 'Y3JlZGVudGlhbC0x', publicKey: 'pQECAyYgASFYIA', transports: ['usb'], aaguid: '00000000-0000-0000-0000-000000000000', backupEligible: false, backedUp: false };
    await db
      .insertInto('factors')
      .values({ id, user_id: user.id, kind: 'webauthn', label: 'Blue key', secret_enc: null, params: JSON.stringify(params), is_default: 0, confirmed: 1, last_used_step: 3, created_at: clock.now(), last_used_at: null })
      .execute();

    const list = await b.get('/portal/methods');
    expect(list.status).toBe(200);
    expect(list.body).toContain('Blue key');
    expect(list.body).toContain('Security key or passkey');

    expect((await change(b, { action: 'rename', factorId: id, label: 'Office key' })).status).toBe(200);
    expect((await db.selectFrom('factors').select('label').where('id', '=', id).executeTakeFirstOrThrow()).label).toBe('Office key');

    // Without the CSRF token nothing changes.
    expect((await b.post('/portal/methods', { action: 'remove', factorId: id })).status).toBe(403);
    expect(await db.selectFrom('factors').select('id').where('id', '=', id).executeTakeFirst()).toBeDefined();

    const removed = await change(b, { action: 'remove', factorId: id });
    expect(removed.status).toBe(200);
    expect(removed.body).not.toContain('Office key');
    const left = await db.selectFrom('factors').select('kind').where('user_id', '=', user.id).execute();
    expect(left.map((r) => r.kind)).toEqual(['totp']);
    const audit = await db.selectFrom('audit_events').select(['result', 'method']).where('event', '=', 'method-remove').execute();
    expect(audit).toEqual([{ result: 'success', method: 'webauthn' }]);
  });
});
