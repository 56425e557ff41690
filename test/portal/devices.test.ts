/**
 * `/portal/devices` (issue 20) against a real host: a device remembered at sign-in is listed with
 * its browser and last use (en, fr), revoked one at a time or all at once (CSRF checked, audited),
 * and a revoked device is asked for the second factor again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/kit/clock.js';
import { decodeBase32, generateTotp } from '../../src/otp/index.js';
import { startHost, type RunningHost } from '../support/host-harness.js';
import { Browser, field, secretOnPage } from '../challenge/harness.js';

const clock = new ManualClock(Date.UTC(2026, 2, 1, 9, 0, 0));
const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';
let h: RunningHost;
let totp: Buffer | undefined;
beforeAll(async () => {
  h = await startHost({ clock, config: { policies: { rules: [{ name: 'everyone', rememberDeviceDays: 14 }] } } });
});
afterAll(async () => {
  await h.close();
});

/** Signs alice in at /login; `remember` ticks the box. Returns the browser and what the page offered. */
async function signIn(b: Browser, remember: boolean): Promise<{ asked: boolean }> {
  const form = await b.get('/login', { 'user-agent': FIREFOX });
  const path = (await b.post('/login', { _csrf: field(form.body, '_csrf'), username: 'alice', password: 'alice-password-1' }, { 'user-agent': FIREFOX })).headers.get('location')!;
  const page = await b.get(path, { 'user-agent': FIREFOX });
  if (!page.body.includes('name="code"')) return { asked: false };
  if (page.body.includes('totp-secret')) {
    const s = decodeBase32(secretOnPage(page.body));
    if (!s.ok) throw new Error('no secret');
    totp = s.bytes;
  }
  clock.advance(30_000);
  const fields: Record<string, string> = { _csrf: field(page.body, '_csrf'), method: field(page.body, 'method'), code: generateTotp(totp!, clock.now()) };
  if (remember) fields.remember = '1';
  const r = await b.post(path, fields, { 'user-agent': FIREFOX });
  expect(r.headers.get('location')).toBe('/login');
  return { asked: true };
}

async function post(b: Browser, form: Record<string, string>) {
  const page = await b.get('/portal/devices');
  return b.post('/portal/devices', { _csrf: field(page.body, '_csrf'), ...form });
}

describe('/portal/devices', () => {
  it('sends a browser without a signed-in session to /login', async () => {
    const b = new Browser(h.url);
    expect((await b.get('/portal/devices')).headers.get('location')).toBe('/login');
  });

  it('lists a remembered device with its browser and last use, in English and French, and revokes it', async () => {
    const b = new Browser(h.url);
    await signIn(b, true);
    clock.advance(3600_000);
    // The remembered device skips the factor at the next sign-in (enrolled above, so not asked).
    expect(await signIn(b, false)).toEqual({ asked: false });
    const list = await b.get('/portal/devices');
    expect(list.status).toBe(200);
    expect(list.body).toContain('<th scope="row">Firefox on Linux</th><td>host</td>');
    expect(list.body).toContain('Mar 1, 2026, 10:00 AM UTC');
    b.acceptLanguage = 'fr';
    expect((await b.get('/portal/devices')).body).toContain('Appareils mémorisés');
    b.acceptLanguage = 'en';
    expect((await b.get('/portal')).body).toContain('href="/portal/devices"');

    // CSRF: a post without the form's token changes nothing.
    const id = /data-device="([^"]+)"/.exec(list.body)![1]!;
    const forged = await b.post('/portal/devices', { action: 'revoke', id });
    expect(forged.status).toBe(403);
    expect((await b.get('/portal/devices')).body).toContain(`data-device="${id}"`);

    const r = await post(b, { action: 'revoke', id });
    expect(r.body).toContain('The device is no longer remembered.');
    expect(r.body).toContain('No device is remembered.');
    const audit = await h.host.api.store.db.selectFrom('audit_events').selectAll().where('event', '=', 'remembered-device-revoke').execute();
    expect(audit).toMatchObject([{ result: 'success', device_token: id }]);
    // The next sign-in in that browser is asked again.
    expect(await signIn(b, false)).toEqual({ asked: true });
  });

  it('revokes all (the action read NFKC-normalised, as on every portal form); an unknown id answers 404', async () => {
    const one = new Browser(h.url);
    await signIn(one, true);
    const two = new Browser(h.url);
    await signIn(two, true);
    expect((await post(one, { action: 'revoke', id: 'no-such-device' })).status).toBe(404);
    // Read as every portal form reads its fields (NFKC): the full-width spelling is the same action.
    const r = await post(one, { action: '\uff52\uff45\uff56\uff4f\uff4b\uff45\uff0d\uff41\uff4c\uff4c' });
    expect(r.body).toContain('2 devices are no longer remembered.');
    expect(await signIn(two, false)).toEqual({ asked: true });
  });
});
