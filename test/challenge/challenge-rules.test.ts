import { afterEach, describe, expect, it } from 'vitest';
import { decodeBase32, generateTotp, generateTotpForStep } from '../../src/otp/index.js';
import { ManualClock } from '../../src/kit/clock.js';
import { exportAudit } from '../../src/audit/export.js';
import { Browser, addUser, answer, enrol, field, secretOnPage, startHarness, tempDbFile, type Harness, type HarnessOptions } from './harness.js';

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

const NEUTRAL = 'That code could not be accepted. Check it and try again.';
const REUSED = 'This code was already used. Wait for the next code in your app.';

async function audit(h: Harness) {
  return h.store.db.selectFrom('audit_events').selectAll().orderBy('ts').orderBy('event').execute();
}

describe('one-time codes', () => {
  it('refuses a replayed code: the same step cannot sign in twice (RFC 6238 §5.2), and says to wait for the next code', async () => {
    const h = await host();
    await addUser(h, 'ada');
    const b = new Browser(h.url);
    const secret = await enrol(h, b, 'ada');
    // Same 30-second step: the code that just enrolled cannot be used again.
    const path = await b.begin('ada');
    const r = await answer(b, path, generateTotp(secret, h.clock.now()));
    expect(r.status).toBe(401);
    expect(r.body).toContain(`<p class="error" role="alert" id="code-error">${REUSED}</p>`);
    expect(r.body).not.toContain(NEUTRAL);
    b.acceptLanguage = 'fr';
    const fr = await answer(b, path, generateTotp(secret, h.clock.now()));
    expect(fr.body).toContain('Ce code a déjà été utilisé. Attendez le code suivant dans votre application.');
    b.acceptLanguage = 'en';
    expect(h.record.outcomes).toHaveLength(1);
    const last = (await audit(h)).at(-1)!;
    expect(last).toMatchObject({ event: 'second-factor', result: 'failure', deny_reason: 'REPLAY', method: 'totp' });
    // A code for the next step works on the same challenge.
    h.clock.advance(30_000);
    const ok = await answer(b, path, generateTotp(secret, h.clock.now()));
    expect(ok.status).toBe(200);
  });

  it('accepts codes one step either side and refuses two steps away (window edges)', async () => {
    const h = await host();
    await addUser(h, 'ada');
    const b = new Browser(h.url);
    const secret = await enrol(h, b, 'ada');
    h.clock.advance(10 * 30_000);
    const step = Math.floor(h.clock.now() / 30_000);
    const path = await b.begin('ada');
    for (const off of [-2, 2]) {
      const r = await answer(b, path, generateTotpForStep(secret, step + off));
      expect(r.status).toBe(401);
    }
    expect((await audit(h)).filter((a) => a.deny_reason === 'MISMATCH')).toHaveLength(2);
    expect((await answer(b, path, generateTotpForStep(secret, step - 1))).status).toBe(200);
    const path2 = await b.begin('ada');
    expect((await answer(b, path2, generateTotpForStep(secret, step + 1))).status).toBe(200);
  });

  it('honours a configured window of 0 steps', async () => {
    const h = await host({ config: { factors: { totp: { window: 0 } } } });
    await addUser(h, 'ada');
    const b = new Browser(h.url);
    const secret = await enrol(h, b, 'ada');
    h.clock.advance(5 * 30_000);
    const step = Math.floor(h.clock.now() / 30_000);
    const path = await b.begin('ada');
    expect((await answer(b, path, generateTotpForStep(secret, step - 1))).status).toBe(401);
    expect((await answer(b, path, generateTotpForStep(secret, step))).status).toBe(200);
  });

  it('shows one neutral message for wrong and malformed codes, the reuse message for a replayed one, and never logs or audits the code or the secret', async () => {
    const logLines: string[] = [];
    const h = await host({ logLines });
    await addUser(h, 'ada');
    const b = new Browser(h.url);
    const enrolPath = await b.begin('ada');
    const enrolPage = await b.get(enrolPath);
    const secretText = secretOnPage(enrolPage.body);
    const decoded = decodeBase32(secretText);
    const secret = decoded.ok ? decoded.bytes : Buffer.alloc(0);
    const good = generateTotp(secret, h.clock.now());
    const wrong = good === '123456' ? '654321' : '123456';
    const bodies: string[] = [];
    bodies.push((await answer(b, enrolPath, wrong)).body);
    bodies.push((await answer(b, enrolPath, 'abcdef')).body);
    expect((await answer(b, enrolPath, good)).status).toBe(200);
    const path = await b.begin('ada');
    bodies.push((await answer(b, path, good)).body); // replay
    bodies.forEach((body, i) => {
      expect(body).toContain(i < 2 ? NEUTRAL : REUSED);
      expect(body).toContain('role="alert"');
      expect(body).not.toMatch(/MISMATCH|REPLAY|MALFORMED|locked/i);
    });
    const reasons = (await audit(h)).filter((a) => a.result === 'failure').map((a) => a.deny_reason);
    expect(reasons).toEqual(['MISMATCH', 'MALFORMED', 'REPLAY']);

    const everything = [
      ...logLines,
      ...(await audit(h)).map((a) => JSON.stringify(a)),
    ];
    for await (const chunk of exportAudit(h.store.db, { format: 'jsonl' })) everything.push(chunk);
    for await (const chunk of exportAudit(h.store.db, { format: 'csv' })) everything.push(chunk);
    const text = everything.join('\n');
    expect(text).toContain('second factor refused');
    for (const secretish of [good, wrong, secretText, secret.toString('hex'), secret.toString('base64')]) {
      expect(text).not.toContain(secretish);
    }
  });
});

describe('the challenge record', () => {
  it('expires after the configured time, measured on the injected clock: the adapter hears "denied: EXPIRED" once', async () => {
    const h = await host({ config: { challenge: { ttlSeconds: 120 } } });
    await addUser(h, 'ada');
    const b = new Browser(h.url);
    const secret = await enrol(h, b, 'ada');
    h.clock.advance(30_000);
    const path = await b.begin('ada');
    const page = await b.get(path);
    h.clock.advance(119_999);
    expect((await b.get(path)).status).toBe(200);
    h.clock.advance(1);
    const r = await b.post(path, { _csrf: field(page.body, '_csrf'), method: field(page.body, 'method'), code: generateTotp(secret, h.clock.now()) });
    expect(r.status).toBe(401);
    expect(r.body).toContain('Sign-in could not be completed.');
    expect(h.record.outcomes.at(-1)).toMatchObject({ result: 'denied', reason: 'EXPIRED' });
    expect((await b.get(path)).status).toBe(409);
    expect(h.record.outcomes).toHaveLength(2);
    expect((await audit(h)).at(-1)).toMatchObject({ event: 'challenge', result: 'denied', deny_reason: 'EXPIRED' });
  });

  it('is bound to the browser that began it: a second cookie jar cannot see or answer it', async () => {
    const h = await host();
    await addUser(h, 'ada');
    const owner = new Browser(h.url);
    const secret = await enrol(h, owner, 'ada');
    h.clock.advance(30_000);
    const path = await owner.begin('ada');
    const ownerPage = await owner.get(path);

    const thief = new Browser(h.url);
    const seen = await thief.get(path);
    expect(seen.status).toBe(403);
    expect(seen.body).not.toContain('name="code"');
    // Even with the owner's CSRF token and a valid code, the other jar gets nowhere.
    const thiefPage = await thief.get('/mfa/' + 'A'.repeat(43));
    expect(thiefPage.status).toBe(404);
    const posted = await thief.post(path, { _csrf: field(ownerPage.body, '_csrf'), method: field(ownerPage.body, 'method'), code: generateTotp(secret, h.clock.now()) });
    expect(posted.status).toBe(403);
    expect(h.record.outcomes).toHaveLength(1);
    expect((await audit(h)).filter((a) => a.deny_reason === 'WRONG_BROWSER')).toHaveLength(2);

    // The owner is unaffected.
    const r = await answer(owner, path, generateTotp(secret, h.clock.now()));
    expect(r.status).toBe(200);
  });

  it('is single use: a verified challenge cannot be resumed twice', async () => {
    const h = await host();
    await addUser(h, 'ada');
    const b = new Browser(h.url);
    const secret = await enrol(h, b, 'ada');
    h.clock.advance(30_000);
    const path = await b.begin('ada');
    const page = await b.get(path);
    const form = { _csrf: field(page.body, '_csrf'), method: field(page.body, 'method') };
    expect((await b.post(path, { ...form, code: generateTotp(secret, h.clock.now()) })).status).toBe(200);
    h.clock.advance(30_000);
    const again = await b.post(path, { ...form, code: generateTotp(secret, h.clock.now()) });
    expect(again.status).toBe(409);
    expect(again.body).toContain('already been completed');
    expect((await b.get(path)).status).toBe(409);
    expect(h.record.outcomes).toHaveLength(2); // enrolment + this one
  });

  it('lets exactly one of two hosts resume when the same valid code reaches both at once', async () => {
    const file = tempDbFile();
    const clock = new ManualClock(Date.UTC(2026, 2, 1, 9, 0, 0));
    const a = await host({ file, clock });
    const bHost = await host({ file, clock });
    await addUser(a, 'ada');
    const browser = new Browser(a.url);
    const secret = await enrol(a, browser, 'ada');
    clock.advance(30_000);
    const path = await browser.begin('ada');
    const page = await browser.get(path);
    const form = { _csrf: field(page.body, '_csrf'), method: field(page.body, 'method'), code: generateTotp(secret, clock.now()) };
    const other = new Browser(bHost.url);
    for (const [k, v] of browser.cookies) other.cookies.set(k, v);
    const results = await Promise.all([browser.post(path, form), other.post(path, form)]);
    // The loser sees the step already claimed (401, neutral message) or the challenge already
    // decided (409), depending on how far the winner had got.
    const statuses = results.map((r) => r.status).sort();
    expect(statuses[0]).toBe(200);
    expect([401, 409]).toContain(statuses[1]);
    const resumed = [...a.record.outcomes, ...bHost.record.outcomes].filter((o) => o.challengeId === path.slice(5));
    expect(resumed).toHaveLength(1);
  });

  it('survives a restart: a challenge begun on one host is finished by another on the same store', async () => {
    const file = tempDbFile();
    const clock = new ManualClock(Date.UTC(2026, 2, 1, 9, 0, 0));
    const first = await startHarness({ file, clock });
    await addUser(first, 'ada');
    const b = new Browser(first.url);
    const secret = await enrol(first, b, 'ada');
    clock.advance(30_000);
    const path = await b.begin('ada');
    await first.close();

    const second = await host({ file, clock });
    b.base = second.url;
    const r = await answer(b, path, generateTotp(secret, clock.now()));
    expect(r.status).toBe(200);
    expect(second.record.outcomes).toMatchObject([{ result: 'verified', continuation: { returnTo: '/app/home' } }]);
  });

  it('refuses a form with a missing or wrong CSRF token without counting an attempt', async () => {
    const h = await host();
    const user = await addUser(h, 'ada');
    const b = new Browser(h.url);
    const secret = await enrol(h, b, 'ada');
    h.clock.advance(30_000);
    const path = await b.begin('ada');
    const page = await b.get(path);
    const code = generateTotp(secret, h.clock.now());
    const method = field(page.body, 'method');
    const missing = await b.post(path, { method, code });
    expect(missing.status).toBe(403);
    const wrong = await b.post(path, { _csrf: 'A'.repeat(43), method, code });
    expect(wrong.status).toBe(403);
    const noCookie = new Browser(h.url);
    noCookie.cookies.set('fg_mfa', b.cookies.get('fg_mfa')!);
    expect((await noCookie.post(path, { _csrf: field(page.body, '_csrf'), method, code })).status).toBe(403);

    const row = await h.store.db.selectFrom('challenges').selectAll().where('id', '=', path.slice(5)).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ attempts: 0, status: 'pending' });
    const u = await h.store.db.selectFrom('users').selectAll().where('id', '=', user.id).executeTakeFirstOrThrow();
    expect(u.failed_attempts).toBe(0);
    expect((await answer(b, path, code)).status).toBe(200);
  });
});

describe('cookies', () => {
  it('are Secure with the __Host- prefix when the public URL is HTTPS, HttpOnly and SameSite=Lax always', async () => {
    const h = await host({ publicUrl: 'https://mfa.example.test' });
    await addUser(h, 'ada');
    const b = new Browser(h.url);
    const start = await b.get('/test-app/start?user=ada');
    const binding = start.setCookies.find((c) => c.startsWith('__Host-fg_mfa='))!;
    expect(binding).toMatch(/; Path=\//);
    expect(binding).toMatch(/; HttpOnly/);
    expect(binding).toMatch(/; Secure/);
    expect(binding).toMatch(/; SameSite=Lax/);
    expect(binding).not.toMatch(/Domain=/i);
    const path = start.headers.get('location')!;
    const page = await b.get(path);
    const secret = decodeBase32(secretOnPage(page.body));
    const done = await b.post(path, { _csrf: field(page.body, '_csrf'), method: field(page.body, 'method'), code: generateTotp(secret.ok ? secret.bytes : Buffer.alloc(0), h.clock.now()) });
    expect(done.status).toBe(200);
    const session = done.setCookies.filter((c) => c.startsWith('__Host-fg_session=')).at(-1)!;
    expect(session).toMatch(/; HttpOnly/);
    expect(session).toMatch(/; Secure/);
    expect(session).toMatch(/; SameSite=Lax/);
  });
});

describe('users with no method', () => {
  it('policy deny: the adapter hears "denied: NO_FACTOR" and the user sees the neutral page', async () => {
    const h = await host({ adapter: { enrolmentPolicy: 'deny' } });
    await addUser(h, 'ada');
    const b = new Browser(h.url);
    const r = await b.get(await b.begin('ada'));
    expect(r.status).toBe(401);
    expect(r.body).toContain('Sign-in could not be completed.');
    expect(h.record.outcomes).toMatchObject([{ result: 'denied', reason: 'NO_FACTOR' }]);
    expect(await h.store.db.selectFrom('factors').selectAll().execute()).toHaveLength(0);
  });

  it('policy allow: passes without a second factor, says so in the outcome and the audit record', async () => {
    const h = await host({ config: { challenge: { enrolmentPolicy: 'allow' } } });
    await addUser(h, 'ada');
    const b = new Browser(h.url);
    const r = await b.get(await b.begin('ada'));
    expect(r.status).toBe(200);
    expect(h.record.outcomes).toMatchObject([{ result: 'verified', methods: [], multiFactor: false }]);
    const a = (await audit(h)).at(-1)!;
    expect(a).toMatchObject({ event: 'second-factor', result: 'success', method: 'none' });
    expect(a.detail).toContain('policy allow');
    const session = await h.store.db.selectFrom('sessions').selectAll().executeTakeFirstOrThrow();
    expect(JSON.parse(session.data)).toMatchObject({ multiFactor: false, methods: [] });
  });

  it('an enrolment counts only once confirmed: a wrong first code leaves the user without a method', async () => {
    const h = await host();
    await addUser(h, 'ada');
    const b = new Browser(h.url);
    const path = await b.begin('ada');
    const first = await b.get(path);
    const again = await b.get(path);
    expect(secretOnPage(again.body)).toBe(secretOnPage(first.body)); // one secret per challenge
    expect((await answer(b, path, '000000')).status).toBe(401);
    const rows = await h.store.db.selectFrom('factors').selectAll().execute();
    expect(rows).toMatchObject([{ confirmed: 0 }]);
  });
});

describe('the page', () => {
  it('speaks French by Accept-Language, English when ?lang=en overrides, and shows the configured branding', async () => {
    const h = await host({ config: { branding: { productName: 'Acme Secure', primaryColor: '#aa3300', logoUrl: '/static/acme.svg' } } });
    await addUser(h, 'ada');
    const b = new Browser(h.url);
    b.acceptLanguage = 'fr-CA,fr;q=0.9,en;q=0.5';
    const path = await b.begin('ada');
    const fr = await b.get(path);
    expect(fr.body).toContain('<html lang="fr">');
    expect(fr.body).toContain('Configurer la validation en deux étapes');
    expect(fr.body).toContain('Acme Secure');
    expect(fr.body).toContain('#aa3300');
    expect(fr.body).toContain('src="/static/acme.svg"');
    const en = await b.get(`${path}?lang=en`);
    expect(en.body).toContain('<html lang="en">');
    expect(en.body).toContain('Set up two-step verification');
    expect(en.body).toContain(`action="${path}?lang=en"`);
    const wrong = await b.post(`${path}?lang=en`, { _csrf: field(en.body, '_csrf'), method: field(en.body, 'method'), code: '000000' });
    expect(wrong.body).toContain(NEUTRAL);
    b.acceptLanguage = 'fr';
    const frWrong = await b.post(path, { _csrf: field(en.body, '_csrf'), method: field(en.body, 'method'), code: '000001' });
    expect(frWrong.body).toContain('Ce code n’a pas pu être accepté.');
  });

  it('is accessible without JavaScript: labelled field, described hint and error, no script', async () => {
    const h = await host();
    await addUser(h, 'ada');
    const b = new Browser(h.url);
    const path = await b.begin('ada');
    const r = await answer(b, path, '000000');
    expect(r.body).not.toContain('<script');
    expect(r.body).toContain('<label for="code">');
    expect(r.body).toMatch(/<input type="text" id="code" name="code"[^>]*aria-describedby="code-error code-hint"[^>]*aria-invalid="true"/);
    expect(r.body).toContain('<p class="error" role="alert" id="code-error">');
    expect(r.body).toMatch(/<div class="qr" role="img" aria-label="[^"]+">/);
    expect(r.body).toContain('method="post"');
  });

  it('does not count an empty submission as an attempt', async () => {
    const h = await host();
    await addUser(h, 'ada');
    const b = new Browser(h.url);
    const path = await b.begin('ada');
    const r = await answer(b, path, '  ');
    expect(r.status).toBe(303);
    expect(r.headers.get('location')).toBe(path);
    const row = await h.store.db.selectFrom('challenges').selectAll().executeTakeFirstOrThrow();
    expect(row.attempts).toBe(0);
    expect(await audit(h)).toHaveLength(0);
  });

  it('lists enrolled methods with the default first and switches method with the `method` field', async () => {
    const h = await host();
    const user = await addUser(h, 'ada');
    const b = new Browser(h.url);
    const secret = await enrol(h, b, 'ada');
    // A second authenticator, registered later and not the default.
    const first = await h.store.db.selectFrom('factors').selectAll().executeTakeFirstOrThrow();
    await h.store.db.insertInto('factors').values({ ...first, id: 'second-phone', label: 'tablet', is_default: 0, created_at: first.created_at - 1000, last_used_step: null }).execute();
    // The copied secret is sealed to the first id, so the second one is unusable: that is fine for listing.
    h.clock.advance(30_000);
    const path = await b.begin('ada');
    const page = await b.get(path);
    expect(field(page.body, 'method')).toBe(first.id);
    expect(page.body).toContain('Use another method');
    expect(page.body).toContain('Authenticator app (tablet)');
    const switched = await b.post(path, { _csrf: field(page.body, '_csrf'), method: 'second-phone' });
    expect(switched.status).toBe(303);
    const now = await b.get(path);
    expect(field(now.body, 'method')).toBe('second-phone');
    expect(now.body).toContain('Authenticator app · default');
    const refused = await answer(b, path, generateTotp(secret, h.clock.now()));
    expect(refused.status).toBe(401);
    expect((await audit(h)).at(-1)).toMatchObject({ deny_reason: 'UNUSABLE', device_token: 'second-phone' });
    void user;
  });
});
